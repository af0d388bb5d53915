// Readiness: communities ranked by score with component bars, trends, filters, drill-down,
// CSV export, and live updates when a score moves.

import { api, problemMessage } from "../api.js";
import { debounce, h, replace } from "../dom.js";
import { formatDateTime, getLocale, t } from "../i18n.js";
import { can } from "../ui/perms.js";
import { toast } from "../ui/toast.js";
import { pageStyle } from "./map/leaflet.js";
import { scoreBar } from "./map/panel.js";
import { openDetail } from "./readiness/detail.js";
import { sparkline } from "./readiness/spark.js";

export const COMPONENTS = [
  "shelter_capacity",
  "shelter_reach",
  "kits",
  "drills",
  "teams",
  "camera_coverage",
  "building_safety",
];
let state = null;

function select(testid, label, options, value) {
  const el = h(
    "select",
    { class: "select", "data-testid": testid, "aria-label": label },
    options.map(([v, text]) => h("option", { value: v }, text)),
  );
  el.value = value;
  return el;
}

/** Render the readiness page. */
export async function render(container, ctx) {
  pageStyle("map");
  pageStyle("readiness");
  const q = ctx.route?.query || {};
  const s = (state = { data: null, disposed: false });
  const canRecompute = can("readiness.recompute");
  const office = select("readiness-office", t("readiness.street_office"), [["", t("readiness.all_offices")]], "");
  const comp = select(
    "readiness-component",
    t("readiness.component"),
    [["", t("readiness.any_component")], ...COMPONENTS.map((c) => [c, t(`readiness.c_${c}`)])],
    COMPONENTS.includes(q.component) ? q.component : "",
  );
  const below = h("input", {
    class: "input rd-below",
    type: "number",
    min: "0",
    max: "100",
    value: q.below || "50",
    "data-testid": "readiness-below",
    "aria-label": t("readiness.below"),
  });
  const sort = select("readiness-sort", t("readiness.sort"), [["asc", t("readiness.sort_asc")], ["desc", t("readiness.sort_desc")]], q.sort === "desc" ? "desc" : "asc");
  const csv = h("a", { class: "btn btn-sm", "data-testid": "readiness-csv", href: "/api/readiness.csv", download: "readiness.csv" }, t("readiness.csv"));
  const recompute = canRecompute
    ? h("button", { type: "button", class: "btn btn-sm", "data-testid": "readiness-recompute" }, t("readiness.recompute"))
    : null;
  const stamp = h("span", { class: "muted", "data-testid": "readiness-computed" });
  const body = h("tbody", { "data-testid": "readiness-rows" });
  const head = h(
    "tr",
    {},
    h("th", {}, "#"),
    h("th", {}, t("readiness.community")),
    h("th", {}, t("readiness.score")),
    COMPONENTS.map((c) => h("th", { class: "rd-comp-head", title: t(`readiness.c_${c}`) }, t(`readiness.s_${c}`))),
    h("th", {}, t("readiness.trend")),
    h("th", {}, t("readiness.weakest")),
  );
  replace(
    container,
    h("div", { class: "page-head" }, h("h1", {}, t("nav.readiness"))),
    h(
      "div",
      { class: "panel" },
      h(
        "div",
        { class: "toolbar" },
        h("label", { class: "field" }, t("readiness.street_office"), office),
        h("label", { class: "field" }, t("readiness.component"), comp),
        h("label", { class: "field" }, t("readiness.below"), below),
        h("label", { class: "field" }, t("readiness.sort"), sort),
        h("span", { class: "spacer" }),
        stamp,
        recompute,
        csv,
      ),
      h("div", { class: "table-wrap" }, h("table", { class: "data rd-table" }, h("thead", {}, head), body)),
    ),
  );

  function draw() {
    const data = s.data;
    if (!data) return;
    const offices = [...new Set(data.communities.map((c) => c.street_office).filter(Boolean))].sort();
    const keep = office.value || q.street_office || "";
    replace(office, h("option", { value: "" }, t("readiness.all_offices")), offices.map((o) => h("option", { value: o }, o)));
    office.value = offices.includes(keep) ? keep : "";
    const limit = Number(below.value);
    const rows = data.communities.filter((c) => {
      if (office.value && c.street_office !== office.value) return false;
      if (comp.value) {
        const score = c.components?.[comp.value]?.score;
        return typeof score === "number" && Number.isFinite(limit) && score < limit;
      }
      return true;
    });
    ctx.replaceQuery({ street_office: office.value, component: comp.value, below: comp.value ? below.value : "", sort: sort.value });
    replace(stamp, data.computed_at ? t("readiness.computed_at", { at: formatDateTime(data.computed_at) }) : t("readiness.never"));
    const lang = getLocale();
    replace(
      body,
      rows.length
        ? rows.map((c, i) =>
            h(
              "tr",
              { "data-testid": `readiness-row-${c.code}`, "data-code": c.code, "data-score": c.score ?? "", class: "rd-row", tabindex: "0" },
              h("td", { class: "muted" }, String(i + 1)),
              h("td", {}, h("strong", {}, c.name || c.code), h("div", { class: "muted" }, [c.code, c.street_office].filter(Boolean).join(" · "))),
              h("td", {}, scoreBar(c.score, "readiness-score")),
              COMPONENTS.map((name) => h("td", { class: "rd-comp" }, scoreBar(c.components?.[name]?.score))),
              h("td", { class: "rd-trend" }, sparkline(c.trend)),
              h("td", { class: "rd-weakest" }, c.weakest?.text?.[lang] || c.weakest?.text?.en || ""),
            ),
          )
        : h("tr", {}, h("td", { colspan: String(COMPONENTS.length + 5), class: "empty" }, t("readiness.empty"))),
    );
  }

  async function load() {
    try {
      // With a component chosen the server ranks by that component.
      const data = await api("GET", "/api/readiness", { query: { sort: sort.value, component: comp.value } });
      if (s.disposed) return;
      s.data = data;
      draw();
    } catch (err) {
      if (!s.disposed) replace(body, h("tr", {}, h("td", { colspan: String(COMPONENTS.length + 5), class: "empty" }, problemMessage(err))));
    }
  }

  office.addEventListener("change", draw);
  comp.addEventListener("change", load);
  below.addEventListener("input", debounce(draw, 200));
  sort.addEventListener("change", load);
  body.addEventListener("click", (ev) => {
    const row = ev.target.closest("tr[data-code]");
    if (row) openDetail(row.dataset.code);
  });
  body.addEventListener("keydown", (ev) => {
    const row = ev.target.closest("tr[data-code]");
    if (row && ev.key === "Enter") openDetail(row.dataset.code);
  });
  recompute?.addEventListener("click", async () => {
    recompute.disabled = true;
    try {
      await api("POST", "/api/readiness/recompute");
      await load();
      toast(t("readiness.recomputed"), "ok");
    } catch (err) {
      toast(problemMessage(err), "error");
    } finally {
      recompute.disabled = false;
    }
  });
  const live = debounce(load, 400);
  ctx.onEvent("readiness.score.changed", live);
  await load();
  if (q.code && !s.disposed) openDetail(q.code);
}

/** Forget the page state. */
export function dispose() {
  if (state) state.disposed = true;
  state = null;
}
