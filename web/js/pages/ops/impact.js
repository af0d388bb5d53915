// The impact table of an incident: district totals and the communities hardest hit, every
// figure with its inputs on demand (as the readiness "why" dialog shows a score's inputs).

import { h, replace } from "../../dom.js";
import { getLocale, t } from "../../i18n.js";
import { infoDialog } from "../../ui/dialog.js";

const SORTS = ["displaced", "intensity", "unsheltered", "fatalities"];

function num(v, digits = 0) {
  if (v === null || v === undefined) return "—";
  return Number(v).toLocaleString(getLocale(), { maximumFractionDigits: digits });
}

function show(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") return num(v, 3);
  if (Array.isArray(v)) return v.map(show).join(", ");
  if (typeof v === "object") return v[getLocale()] || v.en || JSON.stringify(v);
  return String(v);
}

function table(obj) {
  return h("table", { class: "rd-inputs" }, h("tbody", {}, Object.entries(obj).map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, show(v))))));
}

function relations(rels) {
  return h(
    "ul",
    { class: "ops-cites" },
    rels.map((r) => h("li", {}, h("strong", {}, getLocale() === "en" ? r.name : r.name_zh || r.name), " — ", r.citation)),
  );
}

/** The inputs behind one district figure. */
export function whyTotal(key, tot) {
  const rows = {
    max_intensity: () => [
      h("p", {}, t("ops.why.intensity", { n: tot.relations.length })),
      relations(tot.relations),
      h("p", {}, show(tot.strike?.text)),
      tot.notes?.length ? h("p", { class: "muted" }, tot.notes.join(" ")) : null,
    ],
    displaced: () => [h("p", {}, t("ops.why.displaced")), table(tot.buildings), h("p", { class: "muted" }, tot.vulnerability_citation)],
    unsheltered: () => [h("p", {}, t("ops.why.unsheltered")), table({ displaced: tot.displaced, unsheltered: tot.unsheltered, shelters_over_capacity: tot.shelters_over_capacity })],
    kit_shortfall: () => [h("p", {}, t("ops.why.kits")), table({ water_l: tot.water_l, food_kcal: tot.food_kcal, kit_shortfall: tot.kit_shortfall }), h("p", { class: "muted" }, tot.needs_citation)],
    teams_to_send: () => [h("p", {}, t("ops.why.teams")), table(tot.buildings)],
    fatalities: () =>
      tot.fatalities
        ? [
            h("p", {}, t("ops.why.fatalities", { range: tot.fatalities.range_is })),
            table({ expected: tot.fatalities.expected, low: tot.fatalities.low, high: tot.fatalities.high, ...tot.fatalities.model }),
          ]
        : [h("p", {}, t("ops.why.no_casualties"))],
  }[key];
  return infoDialog({ title: t(`ops.impact.${key}`), testid: "ops-why-dialog", content: h("div", { class: "ops-why", "data-testid": `ops-why-${key}` }, rows()) });
}

/** The inputs behind one community's figures. */
export function whyCommunity(row, tot, name) {
  const content = h(
    "div",
    { class: "ops-why", "data-testid": "ops-why-community" },
    h("h3", {}, t("ops.impact.intensity")),
    h("p", {}, t("ops.why.community_intensity", { value: row.intensity, low: row.intensity_low, high: row.intensity_high })),
    table(row.by_relation),
    h("h3", {}, t("ops.impact.damage")),
    table(row.damage),
    h("p", {}, t("ops.why.rule", { rule: row.displaced_rule })),
    h("h3", {}, t("ops.impact.demand")),
    table({
      population: row.population,
      buildings: row.buildings,
      displaced: row.displaced,
      capacity_in_reach: row.capacity_in_reach,
      unsheltered: row.unsheltered,
      water_l: row.water_l,
      food_kcal: row.food_kcal,
      kits_needed: row.kits_needed,
      kits_in_hand: row.kits_in_hand,
      kit_shortfall: row.kit_shortfall,
      teams_needed: row.teams_needed,
      local_teams: row.local_teams,
      teams_to_send: row.teams_to_send,
      fatalities: row.fatalities,
    }),
    h("h3", {}, t("ops.impact.inputs")),
    table(row.inputs),
    h("p", { class: "muted" }, tot.vulnerability_citation),
    h("p", { class: "muted" }, tot.needs_citation),
  );
  return infoDialog({ title: `${name || row.code} (${row.code})`, content, testid: "ops-why-dialog" });
}

/** Render the impact pane; `names` maps community code to name; onShow(code) focuses the map. */
export function impactPane(pane, data, { names, sort, onSort, onShow }) {
  const tot = data.totals;
  const fig = (key, value, extra = "") =>
    h(
      "button",
      { type: "button", class: `ops-fig${key === "shelters_over_capacity" && value > 0 ? " danger" : ""}`, "data-testid": `ops-fig-${key}`, onclick: () => whyTotal(key === "shelters_over_capacity" ? "unsheltered" : key, tot) },
      h("span", { class: "ops-fig-v" }, value, extra),
      h("span", { class: "ops-fig-k" }, t(`ops.impact.${key}`)),
    );
  const fat = tot.fatalities;
  const sortSel = h("select", { class: "select ops-mini", "aria-label": t("ops.impact.sort"), "data-testid": "ops-impact-sort" }, SORTS.map((k) => h("option", { value: k }, t(`ops.impact.${k}`))));
  sortSel.value = sort;
  sortSel.addEventListener("change", () => onSort(sortSel.value));
  const rows = data.communities.map((r) =>
    h(
      "tr",
      { "data-testid": `ops-impact-${r.code}`, dataset: { code: r.code } },
      h("th", {}, h("button", { type: "button", class: "link-btn", onclick: () => onShow(r.code) }, names[r.code] || r.code)),
      h("td", { class: `ops-int d${r.degree}` }, r.roman, h("small", { class: "muted" }, ` ${r.intensity_low.toFixed(1)}–${r.intensity_high.toFixed(1)}`)),
      h("td", { class: "num" }, num(r.displaced)),
      h("td", { class: `num${r.unsheltered > 0 ? " danger" : ""}` }, num(r.unsheltered)),
      h("td", { class: "num" }, num(r.kit_shortfall)),
      h("td", { class: "num" }, num(r.teams_to_send)),
      h("td", {}, h("button", { type: "button", class: "btn btn-sm", "data-testid": `ops-impact-why-${r.code}`, onclick: () => whyCommunity(r, tot, names[r.code]) }, t("ops.why"))),
    ),
  );
  replace(
    pane,
    h("div", { class: "ops-pane-head" }, h("h2", { class: "ops-pane-title" }, t("ops.impact.title")), h("span", { class: "spacer" }), sortSel),
    h(
      "div",
      { class: "ops-figs", "data-testid": "ops-impact-totals" },
      fig("max_intensity", tot.max_intensity === null ? "—" : num(tot.max_intensity, 1)),
      fig("displaced", num(tot.displaced)),
      fig("unsheltered", num(tot.unsheltered)),
      fig("shelters_over_capacity", tot.shelters_over_capacity),
      fig("kit_shortfall", num(tot.kit_shortfall)),
      fig("teams_to_send", num(tot.teams_to_send)),
      fig("fatalities", fat ? `${num(fat.low)}–${num(fat.high)}` : "—"),
    ),
    h(
      "div",
      { class: "ops-table-wrap" },
      h(
        "table",
        { class: "ops-table", "data-testid": "ops-impact-table" },
        h("thead", {}, h("tr", {}, ["community", "intensity", "displaced", "unsheltered", "kit_shortfall", "teams_to_send", "why"].map((k) => h("th", {}, t(`ops.impact.col_${k}`))))),
        h("tbody", {}, rows),
      ),
    ),
  );
}
