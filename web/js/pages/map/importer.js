// Import a file into a GIS layer or the kit distributions, then show what the server did:
// the CRS it assumed and why, repairs, skipped features or rows.

import { api } from "../../api.js";
import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import { formDialog, infoDialog } from "../../ui/dialog.js";
import { FieldError, Form } from "../../ui/form.js";

const TARGETS = ["communities", "shelters", "routes", "teams", "buildings", "pois", "faults", "kits"];
const FORMATS = { geojson: "geojson", json: "geojson", csv: "csv", zip: "zip", gpkg: "gpkg", fgb: "fgb" };
const SHOWN = 20;

/** The import format a file name says ("" when it does not say). */
export function formatOf(name) {
  return FORMATS[String(name || "").toLowerCase().split(".").pop()] || "";
}

/** "column = field" pairs separated by ";" as an object (null when empty). */
export function parseMapping(text) {
  const out = {};
  const pairs = String(text || "").split(/[;\n]/).map((x) => x.trim()).filter(Boolean);
  for (const [i, pair] of pairs.entries()) {
    const m = pair.match(/^(.+?)\s*[=:]\s*(.+)$/);
    if (!m) throw new FieldError("mapping", t("map.import_mapping_bad", { n: i + 1 }));
    out[m[1].trim()] = m[2].trim();
  }
  return pairs.length ? out : null;
}

function lines(items) {
  return items.slice(0, SHOWN).map((x) =>
    h("li", {}, typeof x === "string" ? x : `${x.loc ?? x.index ?? x.row ?? ""} ${x.msg ?? JSON.stringify(x)}`),
  );
}

function report(target, r) {
  const rows = [];
  if (target === "kits") {
    rows.push(h("p", { "data-testid": "import-summary" }, t("map.import_kits_done", { n: r.imported, skipped: r.skipped })));
    if (r.errors?.length) rows.push(h("ul", { class: "import-issues" }, lines(r.errors)));
    return rows;
  }
  rows.push(h("p", { "data-testid": "import-summary" }, t("map.import_done", { created: r.created, updated: r.updated })));
  rows.push(h("p", { "data-testid": "import-crs" }, t("map.import_crs", { crs: r.crs, why: r.crs_reason })));
  for (const [key, items] of [["repairs", r.repairs], ["skipped", r.skipped], ["notes", r.notes]]) {
    if (!items?.length) continue;
    rows.push(h("h3", {}, t(`map.import_${key}`, { n: items.length })));
    rows.push(h("ul", { class: "import-issues" }, lines(items)));
  }
  return rows;
}

/** Ask for a target, a file and options; upload it; show the server's report. */
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
  form.text("crs", t("map.import_crs_label"), { hint: t("map.import_crs_hint"), maxlength: 200 });
  form.text("source", t("map.import_source"), { hint: t("map.import_source_hint"), maxlength: 100 });
  form.text("mapping", t("map.import_mapping"), { hint: t("map.import_mapping_hint"), placeholder: t("map.import_mapping_example") });
  form.text("fid_field", t("map.import_fid"), { hint: t("map.import_fid_hint"), maxlength: 100 });
  form.toggle("partial", t("map.import_partial"), t("map.import_partial_hint"));
  let target = "";
  const result = await formDialog({
    title: t("map.import"),
    form,
    testid: "map-import-dialog",
    submitLabel: t("map.import"),
    onSubmit: (v) => {
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
      const pairs = parseMapping(v.mapping);
      return api("POST", `/api/gis/layers/${target}/import`, {
        raw: upload,
        query: {
          format,
          crs: v.crs.trim(),
          source: v.source.trim(),
          mapping: pairs ? JSON.stringify(pairs) : "",
          fid_field: v.fid_field.trim(),
          partial: v.partial ? "true" : "",
        },
      });
    },
  });
  if (!result) return null;
  await infoDialog({ title: t("map.import_report"), testid: "map-import-report", content: h("div", {}, ...report(target, result)) });
  return result;
}
