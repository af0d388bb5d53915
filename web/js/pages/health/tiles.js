// Summary tiles of the health overview: counts per status (click to filter), open alerts and
// today's availability.

import { h, replace } from "../../dom.js";
import { t } from "../../i18n.js";
import { formatPct, STATUSES, summarise } from "./common.js";

/**
 * Fill `el` with the tiles. `status` is the active status filter; `onStatus(status | "")` runs
 * when a status tile is pressed (pressing the active one clears the filter).
 */
export function summaryTiles(el, { rows, loaded, availability, status, onStatus }) {
  // Redraws replace the tiles: keep keyboard focus on the tile that had it.
  const focused = el.contains(document.activeElement)
    ? document.activeElement.dataset.testid
    : null;
  const sum = summarise(rows);
  const open = rows.reduce((n, r) => n + (r.open_alerts || 0), 0);
  const value = (text) => h("span", { class: "tile-value" }, loaded ? text : "…");
  const label = (key) => h("span", { class: "tile-label" }, t(key));
  replace(
    el,
    STATUSES.map((s) =>
      h(
        "button",
        {
          type: "button",
          class: `tile tile-${s}`,
          "data-testid": `health-tile-${s}`,
          "aria-pressed": String(status === s),
          title: t("health.tile_filter"),
          onclick: () => onStatus(status === s ? "" : s),
        },
        value(String(sum[s])),
        label(`health.status.${s}`),
      ),
    ),
    h(
      "a",
      {
        class: "tile tile-alerts",
        href: "#/health/alerts?state=firing",
        "data-testid": "health-tile-alerts",
      },
      value(String(open)),
      label("health.open_alerts"),
    ),
    h(
      "a",
      { class: "tile", href: "#/health/availability", "data-testid": "health-tile-availability" },
      h(
        "span",
        { class: "tile-value" },
        availability === undefined ? "…" : formatPct(availability),
      ),
      label("health.availability_today"),
    ),
  );
  if (focused) el.querySelector(`[data-testid="${focused}"]`)?.focus();
}
