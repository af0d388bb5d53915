// Availability: online and healthy percentages per camera or per unit over a day, week or month,
// worst first.

import { api, problemMessage } from "../../api.js";
import { h, replace } from "../../dom.js";
import { t, unitName } from "../../i18n.js";
import { messageRow } from "../admin/common.js";
import { formatNumber, formatPct, PERIODS, unitById } from "./common.js";

const GROUPS = ["camera", "unit"];
const COLUMNS = ["name", "online", "healthy", "observed", "offline"];

let state = null;

/** Rows sorted worst first (unknown percentages last), ties by name. */
export function worstFirst(items) {
  const pct = (x) => (x.online_pct === null || x.online_pct === undefined ? 1000 : x.online_pct);
  return [...items].sort(
    (a, b) =>
      pct(a) - pct(b) ||
      String(a.camera_id ?? a.unit_id).localeCompare(String(b.camera_id ?? b.unit_id)),
  );
}

/** Render the availability report into `container`. */
export async function render(container, ctx) {
  const q = ctx.route.query;
  const f = {
    period: PERIODS.includes(q.period) ? q.period : "day",
    by: GROUPS.includes(q.by) ? q.by : "camera",
  };
  const mine = { units: [] };
  state = mine;
  const tbody = h("tbody");
  const heads = COLUMNS.map((c) =>
    h(
      "th",
      { scope: "col" },
      t(c === "name" ? `health.avail_col.${f.by}` : `health.avail_col.${c}`),
    ),
  );
  const seg = (key, values) =>
    h(
      "div",
      { class: "seg", role: "group", "aria-label": t(`health.avail_${key}`) },
      values.map((v) =>
        h(
          "button",
          {
            type: "button",
            class: "btn btn-sm",
            "aria-pressed": String(f[key] === v),
            "data-testid": `avail-${key}-${v}`,
            onclick: () => {
              f[key] = v;
              ctx.replaceQuery({ period: f.period, by: f.by });
              render(container, { ...ctx, route: { ...ctx.route, query: { ...f } } });
            },
          },
          t(`health.avail_${key}_${v}`),
        ),
      ),
    );
  const range = h("span", { class: "count" });
  replace(
    container,
    h(
      "section",
      { class: "panel", "aria-label": t("health.tab.availability") },
      h(
        "div",
        { class: "toolbar" },
        seg("period", PERIODS),
        seg("by", GROUPS),
        h("span", { class: "spacer" }),
        range,
      ),
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "data", "data-testid": "availability-table" },
          h("thead", {}, h("tr", {}, heads)),
          tbody,
        ),
      ),
    ),
  );
  replace(tbody, messageRow(COLUMNS.length, t("table.loading")));

  function bar(pct) {
    const el = h("span", { class: "pct-bar", "aria-hidden": "true" }, h("span"));
    // Width is data: set through the CSSOM so a strict CSP still holds.
    el.firstChild.style.width = `${Math.max(0, Math.min(100, pct ?? 0))}%`;
    if (pct !== null && pct !== undefined && pct < 95) el.classList.add(pct < 80 ? "bad" : "poor");
    return el;
  }

  function row(item) {
    let name;
    if (f.by === "unit") {
      const unit = unitById(mine.units, item.unit_id);
      name = unit ? unitName(unit) : String(item.unit_id);
    } else {
      name = h(
        "a",
        { href: `#/health/camera/${encodeURIComponent(item.camera_id)}` },
        item.name || item.camera_id,
        " ",
        h("span", { class: "mono faint" }, item.camera_id),
      );
    }
    return h(
      "tr",
      { "data-testid": `avail-row-${item.camera_id ?? item.unit_id}` },
      h("td", { class: "wrap" }, name),
      h("td", { class: "pct" }, bar(item.online_pct), formatPct(item.online_pct)),
      h("td", { class: "pct" }, formatPct(item.healthy_pct)),
      h("td", { class: "num" }, `${formatNumber(item.observed_h, 1)} ${t("health.unit_h")}`),
      h("td", { class: "num" }, `${formatNumber(item.offline_h, 1)} ${t("health.unit_h")}`),
    );
  }

  try {
    const [data, units] = await Promise.all([
      api("GET", "/api/health/availability", { query: f }),
      api("GET", "/api/units"),
    ]);
    if (state !== mine) return;
    mine.units = units.items;
    replace(range, t("table.count", { count: data.items.length }));
    if (!data.items.length)
      return replace(tbody, messageRow(COLUMNS.length, t("health.no_availability")));
    replace(tbody, worstFirst(data.items).map(row));
  } catch (err) {
    if (state === mine) replace(tbody, messageRow(COLUMNS.length, problemMessage(err), "alert"));
  }
}

/** Forget the page state (pending responses are ignored). */
export function dispose() {
  state = null;
}
