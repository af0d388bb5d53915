// Compliance overview: per community, drills held this year, last drill, compliant or overdue;
// the overdue list first and highlighted.

import { api, problemMessage } from "../../api.js";
import { h, replace } from "../../dom.js";
import { t } from "../../i18n.js";
import { canWrite, formatWhen, today } from "./common.js";

let state = null;

function row(r) {
  const bad = !r.compliant;
  return h(
    "tr",
    { class: bad ? "overdue" : "", "data-testid": `compliance-${r.community_id}`, dataset: { compliant: r.compliant ? "1" : "0" } },
    h("td", {}, r.name || r.community_id, h("div", { class: "muted mono" }, r.community_id)),
    h("td", { class: "num" }, String(r.drills_in_year ?? r.drills_held ?? 0)),
    h("td", { class: "num" }, String(r.drills_past_12_months ?? "")),
    h("td", {}, r.last_drill ? formatWhen(r.last_drill) : t("drills.compliance.never")),
    h("td", {}, bad
      ? h("span", { class: "badge danger" }, t("drills.compliance.overdue"), r.overdue_since ? ` · ${formatWhen(r.overdue_since).slice(0, 10)}` : "")
      : h("span", { class: "badge ok" }, t("drills.compliance.compliant"))),
  );
}

async function load(s) {
  try {
    const [comp, overdue] = await Promise.all([
      api("GET", "/api/drills/compliance", { query: { year: s.year } }),
      api("GET", "/api/drills/overdue").catch(() => null),
    ]);
    if (state !== s) return;
    const items = comp.items || [];
    const late = overdue?.items || items.filter((r) => !r.compliant);
    replace(
      s.overdue,
      h("h3", {}, t("drills.compliance.overdue_list", { n: late.length })),
      late.length
        ? h("ul", { class: "overdue-list", "data-testid": "overdue-list" }, late.map((r) =>
            h("li", { "data-testid": `overdue-${r.community_id}` }, h("strong", {}, r.name || r.community_id), " ",
              h("span", { class: "muted" }, r.last_drill ? t("drills.compliance.last", { when: formatWhen(r.last_drill) }) : t("drills.compliance.never")),
              // Only for those who may plan drills (the server would refuse the rest).
              canWrite() ? [" ", h("a", { href: `#/drills/new?date=${today()}&community=${encodeURIComponent(r.community_id)}`, class: "btn btn-sm", "data-testid": "plan-one" }, t("drills.compliance.plan_one"))] : null)))
        : h("p", { class: "muted" }, t("drills.compliance.none_overdue")),
    );
    const sorted = [...items].sort((a, b) => Number(a.compliant) - Number(b.compliant) || String(a.name || a.community_id).localeCompare(String(b.name || b.community_id)));
    replace(s.body, sorted.length ? sorted.map(row) : h("tr", {}, h("td", { colspan: 5, class: "empty" }, t("drills.compliance.empty"))));
  } catch (err) {
    if (state === s) replace(s.overdue, h("div", { class: "alert", role: "alert" }, problemMessage(err)));
  }
}

/** Render the compliance overview. */
export async function render(container, ctx) {
  dispose();
  const now = Number(today().slice(0, 4));
  const asked = Number(ctx.route.query?.year);
  const s = (state = { year: asked >= 2000 && asked <= 2100 ? asked : now });
  const year = h("select", { class: "select", "data-testid": "compliance-year", "aria-label": t("drills.compliance.year") },
    [now + 1, now, now - 1, now - 2, now - 3].map((y) => h("option", { value: String(y) }, String(y))));
  year.value = String(s.year);
  year.addEventListener("change", () => {
    s.year = Number(year.value);
    ctx.replaceQuery({ year: s.year });
    load(s);
  });
  s.overdue = h("div", { class: "panel overdue-box" });
  s.body = h("tbody");
  replace(
    container,
    h("section", { class: "drills-compliance", "data-testid": "drills-compliance" },
      h("div", { class: "toolbar" }, h("label", {}, t("drills.compliance.year"), " ", year)),
      s.overdue,
      h("div", { class: "panel table-wrap" }, h("table", { class: "data" },
        h("thead", {}, h("tr", {},
          h("th", {}, t("drills.field.community")),
          h("th", {}, t("drills.compliance.held")),
          h("th", {}, t("drills.compliance.past12")),
          h("th", {}, t("drills.compliance.last_drill")),
          h("th", {}, t("drills.compliance.state")))),
        s.body))),
  );
  await load(s);
  ctx.onEvent("drill.*", () => state === s && load(s));
}

/** Forget the view. */
export function dispose() {
  state = null;
}
