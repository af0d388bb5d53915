// Import a file into a GIS layer or the kit distributions. Layer imports run as a dry run
// first: the features are previewed on the map (see preview.js) and committed from there.

import { api, ApiError, fieldMessage } from "../../api.js";
import { h } from "../../dom.js";
import { has, t } from "../../i18n.js";
import { formDialog, infoDialog } from "../../ui/dialog.js";
import { FieldError, Form } from "../../ui/form.js";

const TARGETS = ["communities", "shelters", "routes", "teams", "buildings", "pois", "faults", "kits"];
const FORMATS = { geojson: "geojson", json: "geojson", csv: "csv", zip: "zip", gpkg: "gpkg", fgb: "fgb" };
/** Coordinate systems offered by name ("" = what the file says, else WGS84). */
export const CRS_CHOICES = ["", "EPSG:4326", "EPSG:4490", "GCJ-02", "BD-09", "other"];
const ENCODINGS = ["auto", "utf-8", "gbk", "gb18030", "cp932", "big5"];
const SHOWN = 20;

/** The import format a file name says ("" when it does not say). */
export function formatOf(name) {
  return FORMATS[String(name || "").toLowerCase().split(".").pop()] || "";
}

/** "column = field" pairs separated by ";" as an object (null when empty). */
export function parseMapping(text, field = "mapping") {
  const out = {};
  const pairs = String(text || "").split(/[;\n]/).map((x) => x.trim()).filter(Boolean);
  for (const [i, pair] of pairs.entries()) {
    const m = pair.match(/^(.+?)\s*[=:]\s*(.+)$/);
    if (!m) throw new FieldError(field, t("map.import_mapping_bad", { n: i + 1 }));
    out[m[1].trim()] = m[2].trim();
  }
  return pairs.length ? out : null;
}

function flat(params = {}) {
  const out = {};
  for (const [k, v] of Object.entries(params)) {
    out[k] = Array.isArray(v) ? v.join(", ") : v && typeof v === "object" ? JSON.stringify(v) : v;
  }
  return out;
}

/** A note or refusal ({code|type, params, msg}) in the UI language. */
export function noteText(n) {
  const code = n.code || n.type;
  const key = `gis.note.${code}`;
  return code && has(key) ? t(key, flat(n.params)) : n.msg || code || "";
}

function lines(items) {
  return items.slice(0, SHOWN).map((x) => {
    if (typeof x === "string") return h("li", {}, x);
    if (x.code || x.params) return h("li", { dataset: { code: x.code || x.type || "" } }, noteText(x));
    return h("li", {}, `${x.loc ?? x.index ?? x.row ?? ""} ${x.msg ?? JSON.stringify(x)}`);
  });
}

/** The parts of a layer import report: summary, CRS, repairs, skipped, notes. */
export function reportRows(r) {
  const rows = [];
  const key = r.dry_run ? "map.import_would" : "map.import_done";
  rows.push(h("p", { "data-testid": "import-summary" }, t(key, { created: r.created, updated: r.updated })));
  if (r.restored) rows.push(h("p", { "data-testid": "import-restored" }, t("map.import_restored", { n: r.restored })));
  rows.push(h("p", { "data-testid": "import-crs" }, t("map.import_crs", { crs: r.crs_label || r.crs, why: r.crs_reason })));
  for (const [k, items] of [["repairs", r.repairs], ["skipped", r.skipped], ["notes", r.notes]]) {
    if (!items?.length) continue;
    rows.push(h("h3", {}, t(`map.import_${k}`, { n: items.length })));
    rows.push(h("ul", { class: "import-issues", "data-testid": `import-${k}` }, lines(items)));
  }
  return rows;
}

function kitsReport(r) {
  const rows = [h("p", { "data-testid": "import-summary" }, t("map.import_kits_done", { n: r.imported, skipped: r.skipped }))];
  if (r.errors?.length) rows.push(h("ul", { class: "import-issues" }, lines(r.errors)));
  return rows;
}

/** The query of a layer import from the dialog's values. */
function layerQuery(v, format, upload) {
  const mapping = parseMapping(v.mapping);
  const defaults = parseMapping(v.defaults, "defaults");
  const crs = v.crs === "other" ? v.crs_other.trim() : v.crs;
  if (v.crs === "other" && !crs) throw new FieldError("crs_other", t("map.import_crs_other_needed"));
  return {
    format,
    crs,
    encoding: v.encoding,
    source: v.source.trim(),
    mapping: mapping ? JSON.stringify(mapping) : "",
    defaults: defaults ? JSON.stringify(defaults) : "",
    fid_field: v.fid_field.trim(),
    partial: v.partial ? "true" : "",
    allow_outside_site: v.allow_outside ? "true" : "",
    file_name: upload.name,
  };
}

/**
 * Word a refused import in the UI language: field errors keep their place (query.crs by the
 * CRS field), the rest (the file, features.N) become one message by the file field.
 */
export function localise(err) {
  if (!(err instanceof ApiError)) return err;
  for (const e of err.fieldErrors) e.msg = has(`gis.note.${e.type}`) ? noteText(e) : fieldMessage(e);
  const placed = new Set(["crs", "encoding", "mapping", "defaults", "fid_field", "source"]);
  const loose = err.fieldErrors.filter((e) => !placed.has(String(e.loc || "").split(".")[1] || ""));
  if (!loose.length || loose.length !== err.fieldErrors.length) return err;
  const refused = err.problem.reason === "invalid_features";
  const head = refused ? `${t("map.import_problems", { n: loose.length })} ` : "";
  const text = loose.slice(0, 5).map((e) => (e.loc && e.loc !== "body" ? `${e.loc}: ${e.msg}` : e.msg));
  return new FieldError("file", head + text.join("; "));
}

/** Run a layer import (dry run unless commit). */
export function runImport(target, upload, query, commit = false) {
  return api("POST", `/api/gis/layers/${target}/import`, {
    raw: upload,
    query: { ...query, dry_run: commit ? "" : "true" },
  });
}

/**
 * Ask for a target, a file and options. Kit distributions are imported at once and reported;
 * a layer import is dry-run and resolves with {target, upload, query, report} for the preview.
 */
export async function importDialog() {
  const form = new Form({ columns: 1 });
  form.select("target", t("map.import_target"), TARGETS.map((x) => ({
    value: x,
    label: x === "kits" ? t("map.import_kits") : t(`map.layer_${x}`),
  })), { required: true });
  const file = form.text("file", t("map.import_file"), {
    type: "file",
    accept: ".geojson,.json,.csv,.zip,.gpkg,.fgb",
    required: true,
  });
  form.select("crs", t("map.import_crs_label"), CRS_CHOICES.map((c) => ({ value: c, label: t(`map.crs_${c ? c.replace(/[^A-Za-z0-9]/g, "") : "file"}`) })), {
    hint: t("map.import_crs_hint"),
  });
  form.text("crs_other", t("map.import_crs_other"), { placeholder: "EPSG:4547", maxlength: 200 });
  form.select("encoding", t("map.import_encoding"), ENCODINGS.map((e) => ({ value: e, label: t(`map.enc_${e.replace(/-/g, "")}`) })), {
    hint: t("map.import_encoding_hint"),
  });
  form.text("source", t("map.import_source"), { hint: t("map.import_source_hint"), maxlength: 100 });
  form.text("mapping", t("map.import_mapping"), { hint: t("map.import_mapping_hint"), placeholder: t("map.import_mapping_example") });
  form.text("defaults", t("map.import_defaults"), { hint: t("map.import_defaults_hint"), placeholder: t("map.import_defaults_example") });
  form.text("fid_field", t("map.import_fid"), { hint: t("map.import_fid_hint"), maxlength: 100 });
  form.toggle("partial", t("map.import_partial"), t("map.import_partial_hint"));
  form.toggle("allow_outside", t("map.import_outside"), t("map.import_outside_hint"));
  let target = "";
  let pending = null;
  const result = await formDialog({
    title: t("map.import"),
    form,
    testid: "map-import-dialog",
    submitLabel: t("map.import_preview"),
    onSubmit: async (v) => {
      const upload = file.files?.[0];
      if (!upload) throw new FieldError("file", t("map.import_no_file"));
      const format = formatOf(upload.name);
      if (!format) throw new FieldError("file", t("map.import_bad_type"));
      target = v.target;
      if (target === "kits") {
        if (format !== "csv") throw new FieldError("file", t("map.import_kits_csv"));
        return api("POST", "/api/gis/kits/import", {
          raw: upload,
          contentType: "text/csv",
          query: { partial: v.partial ? "true" : "" },
        });
      }
      const query = layerQuery(v, format, upload);
      let report;
      try {
        report = await runImport(target, upload, query);
      } catch (err) {
        throw localise(err);
      }
      pending = { target, upload, query, report };
      return report;
    },
  });
  if (!result) return null;
  if (target === "kits") {
    await infoDialog({ title: t("map.import_report"), testid: "map-import-report", content: h("div", {}, ...kitsReport(result)) });
    return null;
  }
  return pending;
}
