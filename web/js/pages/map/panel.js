// The side panel: a community's readiness breakdown, or a feature's details and actions.

import { api } from "../../api.js";
import { h, replace } from "../../dom.js";
import { getLocale, has, t } from "../../i18n.js";
import { componentSummary } from "../readiness/words.js";
import { occupancyBlock } from "./occupancy.js";
import { scoreColour } from "./style.js";

function fmt(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(2);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

// Known feature properties in words; other columns (from imports) keep their own names.
const propLabel = (k) => (has(`map.f_${k}`) ? t(`map.f_${k}`) : k);
const propValue = (k, v) => (k === "kind" && has(`map.kind_${v}`) ? t(`map.kind_${v}`) : fmt(v));

/** A 0-100 bar with its number. */
export function scoreBar(score, testid = null) {
  const known = score !== null && score !== undefined;
  return h(
    "span",
    { class: "score-bar", "data-testid": testid, title: known ? score.toFixed(0) : t("readiness.no_data") },
    h(
      "span",
      { class: "score-track" },
      h("span", { class: "score-fill", style: `width:${known ? Math.max(0, Math.min(100, score)) : 0}%;background:${scoreColour(score)}` }),
    ),
    h("span", { class: "score-num" }, known ? score.toFixed(0) : "—"),
  );
}

/** The readiness breakdown of one community (record from GET /api/readiness). */
export function communityPanel(panel, feature, record) {
  const p = feature.properties;
  const rows = Object.entries(record?.components || {}).map(([name, c]) =>
    h(
      "tr",
      { "data-testid": `map-comp-${name}` },
      h("th", {}, t(`readiness.c_${name}`)),
      h("td", {}, scoreBar(c.score)),
      h("td", { class: "muted" }, componentSummary(name, c) || "—"),
    ),
  );
  const weakest = record?.weakest?.text?.[getLocale()] || record?.weakest?.text?.en;
  replace(
    panel,
    h("h2", {}, p.name || p.code),
    h("p", { class: "muted" }, [p.code, p.street_office].filter(Boolean).join(" · ")),
    h(
      "p",
      {},
      t("map.population", { population: fmt(p.population), households: fmt(p.households) }),
    ),
    record
      ? h(
          "div",
          { class: "map-score", "data-testid": "map-community-score" },
          t("readiness.score"),
          " ",
          scoreBar(record.score),
        )
      : h("p", { class: "muted" }, t("map.no_score")),
    weakest ? h("p", { class: "map-weakest", "data-testid": "map-weakest" }, t("readiness.weakest"), ": ", weakest) : null,
    rows.length ? h("table", { class: "map-comps" }, h("tbody", {}, rows)) : null,
    record?.missing?.length
      ? h("p", { class: "muted" }, t("readiness.missing"), ": ", record.missing.map((m) => t(`readiness.c_${m}`)).join(", "))
      : null,
    h("a", { href: `#/readiness?code=${encodeURIComponent(p.code)}`, class: "btn btn-sm" }, t("map.open_readiness")),
  );
}

/** Details of a shelter, route or other feature; `actions` are buttons for writers. */
export function featurePanel(panel, layer, feature, actions = []) {
  const props = Object.entries(feature.properties).filter(
    ([k, v]) => k !== "fid" && v !== null && v !== "" && !(Array.isArray(v) && !v.length),
  );
  replace(
    panel,
    h("h2", {}, feature.properties.name || feature.id),
    h("p", { class: "muted" }, t(`map.layer_${layer}`)),
    h(
      "table",
      { class: "map-props" },
      h("tbody", {}, props.map(([k, v]) => h("tr", {}, h("th", { title: k }, propLabel(k)), h("td", {}, propValue(k, v))))),
    ),
    layer === "shelters" ? occupancyBlock(feature.properties.fid || feature.id) : null,
    layer === "shelters" || layer === "routes" ? watchersBlock(layer, feature.properties.fid || feature.id) : null,
    actions.length ? h("div", { class: "map-actions" }, actions) : null,
  );
}

/** Cameras whose view covers the feature (the definition readiness and live drills use). */
function watchersBlock(layer, fid) {
  const box = h("div", { class: "map-watchers", "data-testid": "map-watchers" }, h("h3", {}, t("map.watchers")));
  api("GET", `/api/gis/layers/${layer}/features/${encodeURIComponent(fid)}/cameras`)
    .then((r) => {
      box.append(
        r.items.length
          ? h("ul", {}, r.items.map((c) => h("li", { dataset: { camera: c.id } }, `${c.name} (${t(`map.status_${c.status}`)})`)))
          : h("p", { class: "muted" }, t("map.watchers_none")),
      );
    })
    .catch(() => box.append(h("p", { class: "muted" }, t("map.watchers_none"))));
  return box;
}

/** The empty panel hint. */
export function emptyPanel(panel) {
  replace(panel, h("p", { class: "muted" }, t("map.panel_hint")));
}
