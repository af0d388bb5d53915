// Shelters during an incident: expected demand against capacity (over capacity highlighted),
// the status operators set (opened / full / closed) and the latest head count, reported here.

import { api, problemMessage } from "../../api.js";
import { h, replace } from "../../dom.js";
import { getLocale, t } from "../../i18n.js";
import { toast } from "../../ui/toast.js";

export const STATES = ["opened", "full", "closed"];

function num(v) {
  return v === null || v === undefined ? "—" : Number(v).toLocaleString(getLocale());
}

/** Render the incident's shelters; `names` maps shelter id to name. */
export function incidentSheltersPane(pane, inc, data, { names, canWrite, onShow, onChanged }) {
  const over = data.items.filter((r) => r.over_capacity);
  const set = async (fid, status) => {
    try {
      await api("PUT", `/api/incidents/${inc.id}/shelters/${encodeURIComponent(fid)}`, { body: { status } });
      onChanged();
    } catch (err) {
      toast(problemMessage(err), "error");
    }
  };
  const report = async (fid, input) => {
    const count = Number(input.value);
    if (input.value === "" || !Number.isInteger(count) || count < 0) {
      input.setAttribute("aria-invalid", "true");
      return input.focus();
    }
    try {
      await api("POST", `/api/incidents/${inc.id}/shelters/${encodeURIComponent(fid)}/occupancy`, {
        body: { count, at: new Date().toISOString(), open: true },
      });
      input.value = "";
      input.removeAttribute("aria-invalid");
      onChanged();
    } catch (err) {
      toast(problemMessage(err), "error");
    }
  };
  const rows = data.items.slice(0, 80).map((r) => {
    const pct = r.capacity ? Math.round((100 * r.expected_demand) / r.capacity) : null;
    const occ = r.occupancy_ratio !== null ? Math.round(100 * r.occupancy_ratio) : null;
    const status = h(
      "select",
      { class: "select ops-mini", disabled: !canWrite || inc.status !== "open", "aria-label": t("ops.shelters.status"), "data-testid": `ops-shelter-status-${r.id}` },
      h("option", { value: "unset", disabled: true }, t("ops.shelters.s_unset")),
      STATES.map((s) => h("option", { value: s }, t(`ops.shelters.s_${s}`))),
    );
    status.value = r.status;
    status.addEventListener("change", () => set(r.id, status.value));
    const count = h("input", { class: "input ops-count", type: "number", min: "0", step: "1", "aria-label": t("ops.shelters.head_count"), placeholder: t("ops.shelters.head_count"), "data-testid": `ops-shelter-count-${r.id}` });
    const send = h("button", { type: "button", class: "btn btn-sm", "data-testid": `ops-shelter-report-${r.id}`, onclick: () => report(r.id, count) }, t("ops.shelters.report"));
    count.addEventListener("keydown", (e) => e.key === "Enter" && report(r.id, count));
    return h(
      "tr",
      { class: `${r.over_capacity ? "over" : ""} st-${r.status}`, "data-testid": `ops-shelter-${r.id}`, dataset: { over: String(r.over_capacity), status: r.status } },
      h("th", {}, h("button", { type: "button", class: "link-btn", onclick: () => onShow(r.id) }, names[r.id] || r.id)),
      h(
        "td",
        { class: "num" },
        num(r.expected_demand), " / ", num(r.capacity),
        pct !== null ? h("small", { class: "muted" }, ` ${pct}%`) : null,
        r.over_capacity ? h("span", { class: "badge danger", "data-testid": "ops-over-capacity" }, t("ops.shelters.over", { n: num(r.excess) })) : null,
      ),
      h("td", { class: "num" }, r.occupancy === null ? "—" : `${num(r.occupancy)}${occ !== null ? ` (${occ}%)` : ""}`),
      h("td", {}, status),
      h("td", {}, canWrite && inc.status === "open" ? h("span", { class: "ops-row" }, count, send) : null),
    );
  });
  replace(
    pane,
    h("div", { class: "ops-pane-head" }, h("h2", { class: "ops-pane-title" }, t("ops.shelters.title_incident")), h("span", { class: "spacer" }),
      over.length ? h("span", { class: "badge danger", "data-testid": "ops-over-count" }, t("ops.shelters.over_count", { n: over.length })) : h("span", { class: "badge ok" }, t("ops.shelters.all_fit"))),
    h(
      "div",
      { class: "ops-table-wrap" },
      h(
        "table",
        { class: "ops-table", "data-testid": "ops-incident-shelters" },
        h("thead", {}, h("tr", {}, ["shelter", "demand", "occupancy", "status", "report"].map((k) => h("th", {}, t(`ops.shelters.col_${k}`))))),
        h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: "5", class: "muted" }, t("ops.shelters.none_incident")))),
      ),
    ),
  );
}
