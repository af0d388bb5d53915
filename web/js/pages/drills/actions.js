// Improvement plan: corrective actions across drills (owner unit, due date, overdue flagged),
// filtered by status, overdue and owner unit, each linked to its drill's report; coordinators
// close them here.

import { api, problemMessage } from "../../api.js";
import { h, replace } from "../../dom.js";
import { t, unitName } from "../../i18n.js";
import { toast } from "../../ui/toast.js";
import { canWrite, formatWhen } from "./common.js";

let state = null;

const STATUS = ["open", "closed", ""];
const OVERDUE = ["", "true", "false"];

/** The API query for the page's filters (status "" means all). */
export function actionQuery(f) {
  return { status: f.status, overdue: f.overdue, unit: f.unit };
}

function ownerLabel(s, id) {
  const unit = s.units.find((u) => String(u.id) === String(id));
  return unit ? unitName(unit) : String(id);
}

function stateCell(a) {
  if (a.status === "closed") {
    const when = a.closed_at ? formatWhen(a.closed_at).slice(0, 10) : "✓";
    return h("span", { class: "badge ok" }, t("drills.report.closed_on", { date: when }));
  }
  if (a.overdue) return h("span", { class: "badge danger", "data-testid": "ip-overdue" }, t("drills.report.overdue"));
  return h("span", { class: "badge" }, t("drills.ip.open"));
}

function row(s, a) {
  const report = `#/drills/${encodeURIComponent(a.drill_id)}/report`;
  const close =
    s.writer && a.status === "open"
      ? h(
          "button",
          { type: "button", class: "btn btn-sm", "data-testid": "ip-close", onclick: () => closeAction(s, a) },
          t("drills.report.close_action"),
        )
      : null;
  return h(
    "tr",
    {
      class: a.overdue ? "overdue" : "",
      "data-testid": `ip-${a.drill_id}-${a.id}`,
      dataset: { overdue: a.overdue ? "1" : "0", status: a.status },
    },
    h("td", {}, a.text),
    h("td", {}, h("a", { href: report, "data-testid": "ip-report" }, a.drill_title || a.drill_id), h("div", { class: "muted mono" }, a.drill_id)),
    h("td", {}, ownerLabel(s, a.owner_unit_id)),
    h("td", { class: "mono" }, String(a.due || "")),
    h("td", {}, stateCell(a)),
    h("td", {}, close),
  );
}

async function closeAction(s, a) {
  const path = `/api/drills/${encodeURIComponent(a.drill_id)}/report/actions/${encodeURIComponent(a.id)}/close`;
  try {
    await api("POST", path);
    toast(t("drills.report.action_closed"), "ok");
    await load(s);
  } catch (err) {
    toast(problemMessage(err), "error");
  }
}

async function load(s) {
  const mine = ++s.serial;
  s.body.setAttribute("aria-busy", "true");
  try {
    const page = await api("GET", "/api/drills/actions", { query: actionQuery(s.filters) });
    if (state !== s || mine !== s.serial) return;
    const items = page.items || [];
    const late = items.filter((a) => a.overdue).length;
    replace(s.summary, t("drills.ip.summary", { n: page.total ?? items.length, late }));
    s.summary.dataset.overdue = String(late);
    replace(
      s.body,
      items.length ? items.map((a) => row(s, a)) : h("tr", {}, h("td", { colspan: 6, class: "empty", "data-testid": "ip-empty" }, t("drills.ip.empty"))),
    );
  } catch (err) {
    if (state === s) replace(s.body, h("tr", {}, h("td", { colspan: 6 }, h("div", { class: "alert", role: "alert" }, problemMessage(err)))));
  }
  if (state === s && mine === s.serial) s.body.removeAttribute("aria-busy");
}

function filter(s, ctx, name, options) {
  const el = h(
    "select",
    { class: "select", name, "data-testid": `ip-filter-${name}` },
    options.map((o) => h("option", { value: o.value }, o.label)),
  );
  el.value = s.filters[name];
  el.addEventListener("change", () => {
    s.filters[name] = el.value;
    ctx.replaceQuery({ ...s.filters, status: s.filters.status || "all" });
    load(s);
  });
  return h("div", { class: "field" }, h("label", {}, t(`drills.ip.filter_${name}`), el));
}

/** Render the improvement plan. */
export async function render(container, ctx) {
  dispose();
  const q = ctx.route.query || {};
  const s = (state = {
    serial: 0,
    writer: canWrite(ctx.user),
    units: [],
    filters: {
      status: q.status === "all" ? "" : STATUS.includes(q.status) ? q.status : "open",
      overdue: OVERDUE.includes(q.overdue) ? q.overdue : "",
      unit: /^\d+$/.test(q.unit || "") ? q.unit : "",
    },
    body: h("tbody", { "data-testid": "ip-rows" }),
    summary: h("p", { class: "muted", "data-testid": "ip-summary", "aria-live": "polite" }),
  });
  const filters = h("div", { class: "toolbar filters" });
  replace(
    container,
    h(
      "section",
      { class: "drills-actions", "data-testid": "drills-actions" },
      h("h2", {}, t("drills.ip.title")),
      filters,
      s.summary,
      h(
        "div",
        { class: "panel table-wrap" },
        h(
          "table",
          { class: "data" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["text", "drill", "owner", "due", "state", "close"].map((c) => h("th", {}, c === "close" ? "" : t(`drills.ip.col_${c}`))),
            ),
          ),
          s.body,
        ),
      ),
    ),
  );
  const drawFilters = () =>
    replace(
      filters,
      filter(s, ctx, "status", STATUS.map((v) => ({ value: v, label: t(`drills.ip.status_${v || "all"}`) }))),
      filter(s, ctx, "overdue", OVERDUE.map((v) => ({ value: v, label: t(`drills.ip.overdue_${v || "all"}`) }))),
      filter(s, ctx, "unit", [{ value: "", label: t("drills.cal.all") }, ...s.units.map((u) => ({ value: String(u.id), label: unitName(u) }))]),
    );
  drawFilters();
  s.units = await api("GET", "/api/units")
    .then((r) => r.items || [])
    .catch(() => []);
  if (state !== s) return;
  drawFilters();
  await load(s);
  if (state !== s) return;
  const reload = () => state === s && load(s);
  // Event types in backticks: the catalogue test reads quoted "drills.…" strings as UI keys.
  ctx.onEvent(`drills.action.closed`, reload);
  ctx.onEvent(`drills.report.updated`, reload);
}

/** Forget the view. */
export function dispose() {
  state = null;
}
