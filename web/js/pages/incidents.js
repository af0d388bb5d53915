// Earthquakes (#/incidents): open and past incidents (exercises carry the exercise label) and the
// log of every earthquake received, logged or opened, with the reason. #/incidents/ID opens
// that incident in the operations view (the link notifications carry).

import { api, problemMessage } from "../api.js";
import { debounce, h, replace } from "../dom.js";
import { formatDateTime, t } from "../i18n.js";
import { pageStyle } from "./map/leaflet.js";

let state = null;

function chip(x) {
  return x.is_exercise ? h("span", { class: "ops-ex-chip" }, t("ops.exercise_label")) : h("span", { class: "ops-real-chip" }, t("ops.banner.real"));
}

function incidentRow(inc) {
  return h(
    "tr",
    { "data-testid": `incident-row-${inc.id}`, dataset: { exercise: String(inc.is_exercise), status: inc.status } },
    h("td", {}, chip(inc)),
    h("td", {}, h("a", { href: `#/ops?incident=${inc.id}` }, inc.title)),
    h("td", {}, t(`ops.inc.status_${inc.status}`)),
    h("td", { class: "mono" }, formatDateTime(inc.opened_at)),
    h("td", { class: "num" }, inc.summary?.max_intensity ?? "—"),
    h("td", { class: "num" }, inc.summary?.displaced ?? "—"),
    h("td", {}, h("a", { href: `/api/incidents/${inc.id}/report`, target: "_blank", rel: "noopener" }, t("ops.report.html"))),
  );
}

function quakeRow(q) {
  const why = (q.decision?.reasons || []).join("; ") || (q.decision?.too_old ? t("ops.inc.too_old") : t("ops.inc.below"));
  return h(
    "tr",
    { "data-testid": `quake-row-${q.id}`, dataset: { exercise: String(q.is_exercise) } },
    h("td", {}, q.is_exercise ? chip(q) : null),
    h("td", { class: "mono" }, formatDateTime(q.origin_time)),
    h("td", {}, `${q.mag_type} ${q.magnitude}`),
    h("td", {}, q.place || `${q.lat.toFixed(2)}, ${q.lon.toFixed(2)}`),
    h("td", { class: "num" }, q.depth_km),
    h("td", {}, q.source),
    h("td", {}, q.incident_id ? h("a", { href: `#/ops?incident=${q.incident_id}` }, t("ops.inc.opened")) : t("ops.inc.logged")),
    h("td", { class: "muted" }, why),
  );
}

function table(testid, cols, rows, empty) {
  return h(
    "div",
    { class: "ops-table-wrap" },
    h(
      "table",
      { class: "ops-table", "data-testid": testid },
      h("thead", {}, h("tr", {}, cols.map((c) => h("th", {}, t(c))))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: String(cols.length), class: "muted" }, t(empty)))),
    ),
  );
}

/** Render the incidents page, or hand #/incidents/ID to the operations view. */
export async function render(container, ctx) {
  dispose();
  const id = Number(ctx.route.rest[0]);
  if (id) {
    history.replaceState(null, "", `#/ops?incident=${id}`);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
    return;
  }
  pageStyle("ops");
  const s = (state = { disposed: false });
  const roles = ctx.user?.roles || [];
  const body = h("div", { class: "ops-incidents" });
  replace(
    container,
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, t("nav.incidents")),
      roles.some((r) => ["admin", "coordinator", "operator"].includes(r))
        ? h("a", { class: "btn", href: "#/ops?intake=quake", "data-testid": "incidents-enter" }, t("ops.tool.quake"))
        : null,
      roles.some((r) => ["admin", "coordinator"].includes(r))
        ? h("a", { class: "btn", href: "#/ops?intake=exercise", "data-testid": "incidents-exercise" }, t("ops.tool.exercise"))
        : null,
    ),
    body,
  );
  const load = async () => {
    try {
      const [incs, quakes] = await Promise.all([api("GET", "/api/incidents"), api("GET", "/api/quakes", { query: { limit: 100 } })]);
      if (s.disposed) return;
      const open = incs.items.filter((i) => i.status === "open");
      const past = incs.items.filter((i) => i.status !== "open");
      const cols = ["ops.inc.kind", "ops.inc.title", "ops.inc.status", "ops.inc.opened_at", "ops.inc.max_intensity", "ops.inc.displaced", "ops.inc.report"];
      replace(
        body,
        h("h2", {}, t("ops.inc.open")),
        table("incidents-open", cols, open.map(incidentRow), "ops.inc.none_open"),
        h("h2", {}, t("ops.inc.past")),
        table("incidents-past", cols, past.map(incidentRow), "ops.inc.none_past"),
        h("h2", {}, t("ops.inc.log")),
        table(
          "quakes-log",
          ["ops.inc.kind", "ops.inc.origin_time", "ops.inc.magnitude", "ops.inc.place", "ops.inc.depth", "ops.inc.source", "ops.inc.decision", "ops.inc.why"],
          quakes.items.map(quakeRow),
          "ops.inc.none_log",
        ),
      );
    } catch (err) {
      replace(body, h("p", { class: "alert" }, problemMessage(err)));
    }
  };
  const again = debounce(load, 500);
  for (const type of ["incident.opened", "incident.updated", "incident.closed", "quake.event"]) ctx.onEvent(type, again);
  s.cancel = () => again.cancel();
  await load();
}

export function dispose() {
  if (!state) return;
  state.disposed = true;
  state.cancel?.();
  state = null;
}
