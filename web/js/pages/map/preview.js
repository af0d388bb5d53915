// The import preview: a dry run's features drawn on the map and its report in the side
// panel, with the coordinate-system choice for Chinese web-map data, then commit and undo.

import { api, problemMessage } from "../../api.js";
import { h, replace } from "../../dom.js";
import { formatDateTime, t } from "../../i18n.js";
import { confirmDialog, infoDialog } from "../../ui/dialog.js";
import { toast } from "../../ui/toast.js";
import { localise, reportRows, runImport } from "./importer.js";

const ACTION_COLOURS = { create: "#f97316", update: "#eab308", restore: "#a855f7" };

/** Shows one pending import at a time over the map; `onChange(layer)` after a write. */
export class ImportPreview {
  constructor(L, map, panel, { onChange, onClose }) {
    this.L = L;
    this.map = map;
    this.panel = panel;
    this.onChange = onChange;
    this.onClose = onClose;
    this.layer = null;
    this.pending = null;
  }

  /** Draw a dry run's features and describe it; `pending` = {target, upload, query, report}. */
  show(pending) {
    this.pending = pending;
    this.draw(pending.report);
    this.describe();
  }

  draw(report) {
    const { L } = this;
    this.layer?.remove();
    const style = (f) => {
      const c = ACTION_COLOURS[f.import_action] || ACTION_COLOURS.create;
      return { color: c, weight: 3, dashArray: "6 4", fillColor: c, fillOpacity: 0.25, className: "map-preview" };
    };
    this.layer = L.geoJSON(report.preview, {
      style,
      pointToLayer: (f, latlng) => L.circleMarker(latlng, { ...style(f), radius: 7 }),
      onEachFeature: (f, lyr) => lyr.bindTooltip(String(f.properties?.name || f.id || ""), { sticky: true }),
    }).addTo(this.map);
    const b = report.bbox;
    if (b) {
      const bounds = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
      this.map.fitBounds(bounds.pad(0.2), { animate: false, maxZoom: 17 });
    }
  }

  describe() {
    const { report, target } = this.pending;
    const buttons = [];
    const commit = h("button", { type: "button", class: "btn btn-primary btn-sm", "data-testid": "import-commit" }, t("map.import_commit", { crs: report.crs_label || report.crs }));
    commit.addEventListener("click", () => this.commit(commit));
    const cancel = h("button", { type: "button", class: "btn btn-sm", "data-testid": "import-cancel" }, t("action.cancel"));
    cancel.addEventListener("click", () => this.close());
    buttons.push(commit, cancel);
    const choice = report.crs_choices?.length ? this.crsChoice(report) : null;
    replace(
      this.panel,
      h("h2", {}, t("map.import_preview_title", { layer: t(`map.layer_${target}`) })),
      h("p", { class: "muted" }, this.pending.upload.name),
      choice,
      h(
        "div",
        { class: "import-report", "data-testid": "import-preview", dataset: { bbox: (report.bbox || []).join(","), crs: report.crs } },
        ...reportRows(report),
      ),
      report.preview_truncated ? h("p", { class: "muted" }, t("map.import_truncated", { n: report.preview.features.length })) : null,
      h("div", { class: "map-actions" }, buttons),
    );
  }

  /** Undeclared CRS inside China: pick WGS84, GCJ-02 or BD-09 and preview again. */
  crsChoice(report) {
    const box = h("fieldset", { class: "import-crs-choice", "data-testid": "import-crs-choice" }, h("legend", {}, t("map.import_crs_pick")));
    for (const c of report.crs_choices) {
      const id = `crs-${c.crs.replace(/[^A-Za-z0-9]/g, "")}`;
      const input = h("input", { type: "radio", name: "import-crs", value: c.crs, id, checked: c.crs === report.crs });
      input.addEventListener("change", () => this.rerun(c.crs));
      const label = c.shift_m ? t("map.import_crs_shift", { crs: c.crs, m: Math.round(c.shift_m) }) : c.crs;
      box.append(h("label", { class: "check", for: id }, input, h("span", {}, label)));
    }
    return box;
  }

  async rerun(crs) {
    const { target, upload, query } = this.pending;
    const next = { ...query, crs };
    try {
      const report = await runImport(target, upload, next);
      // Keep offering the choice: the report of a declared CRS has none.
      if (!report.crs_choices?.length) report.crs_choices = this.pending.report.crs_choices;
      this.show({ target, upload, query: next, report });
    } catch (err) {
      const e = localise(err);
      toast(e.message && e.name === "FieldError" ? e.message : problemMessage(err), "error");
    }
  }

  async commit(btn) {
    const { target, upload, query } = this.pending;
    btn.disabled = true;
    let report;
    try {
      report = await runImport(target, upload, query, true);
    } catch (err) {
      btn.disabled = false;
      const e = localise(err);
      toast(e.name === "FieldError" ? e.message : problemMessage(err), "error");
      return;
    }
    this.clear();
    this.onChange(target);
    const undo = h("button", { type: "button", class: "btn btn-sm btn-danger", "data-testid": "import-undo" }, t("map.import_undo"));
    undo.addEventListener("click", async () => {
      if (await revertBatch(report.batch)) {
        this.onChange(target);
        replace(this.panel, h("p", { "data-testid": "import-undone" }, t("map.import_undone", { n: report.created + report.updated })));
      }
    });
    replace(
      this.panel,
      h("h2", {}, t("map.import_report")),
      h("div", { class: "import-report", "data-testid": "import-committed" }, ...reportRows(report)),
      h("div", { class: "map-actions" }, undo),
    );
  }

  clear() {
    this.layer?.remove();
    this.layer = null;
    this.pending = null;
  }

  close() {
    this.clear();
    this.onClose?.();
  }

  dispose() {
    this.clear();
  }
}

/** Confirm, then revert a whole import batch; true when done. */
export async function revertBatch(id) {
  const ok = await confirmDialog({
    title: t("map.import_undo"),
    message: t("map.import_undo_confirm"),
    confirmLabel: t("map.import_undo"),
    danger: true,
  });
  if (!ok) return false;
  try {
    const r = await api("POST", `/api/gis/imports/${id}/revert`);
    toast(t("map.import_reverted", { deleted: r.deleted, restored: r.restored }), "ok");
    return true;
  } catch (err) {
    const first = err.fieldErrors?.[0];
    toast(first?.type === "changed_since" ? t("map.import_changed_since", { n: err.fieldErrors.length, fid: first.params?.fid }) : problemMessage(err), "error");
    return false;
  }
}

/** The import history: every batch with who, when, what, and Undo for the ones still in force. */
export async function importsDialog(onChange) {
  const data = await api("GET", "/api/gis/imports", { query: { limit: 100 } });
  const rows = data.items.map((b) => {
    const undo = b.reverted_at
      ? h("span", { class: "muted" }, t("map.import_reverted_by", { by: b.reverted_by, at: formatDateTime(b.reverted_at) }))
      : h("button", { type: "button", class: "btn btn-sm", "data-testid": `import-undo-${b.id}` }, t("map.import_undo"));
    if (!b.reverted_at) {
      undo.addEventListener("click", async () => {
        if (await revertBatch(b.id)) {
          onChange(b.layer);
          replace(undo.parentElement, h("span", { class: "muted" }, t("map.import_reverted_short")));
        }
      });
    }
    return h(
      "tr",
      { "data-testid": `import-row-${b.id}` },
      h("td", {}, formatDateTime(b.created_at)),
      h("td", {}, b.created_by),
      h("td", {}, t(`map.layer_${b.layer}`)),
      h("td", {}, b.file_name || b.source || "—"),
      h("td", {}, t("map.import_done", { created: b.created, updated: b.updated })),
      h("td", {}, undo),
    );
  });
  const table = rows.length
    ? h(
        "table",
        { class: "table" },
        h("thead", {}, h("tr", {}, ["when", "who", "layer", "file", "result", "action"].map((k) => h("th", {}, t(`map.imports_${k}`))))),
        h("tbody", {}, rows),
      )
    : h("p", { class: "muted" }, t("map.imports_none"));
  await infoDialog({ title: t("map.imports"), testid: "map-imports-dialog", content: table });
}
