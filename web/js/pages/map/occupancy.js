// A shelter's reported occupancy: the latest count against capacity and a small sparkline.

import { api } from "../../api.js";
import { h, replace } from "../../dom.js";
import { formatDateTime, t } from "../../i18n.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 220;
const H = 40;

function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** An inline SVG line of counts in time order, scaled to the capacity when it is larger. */
export function sparkline(items, capacity) {
  const times = items.map((p) => new Date(p.at).getTime());
  const t0 = times[0];
  const span = Math.max(1, times[times.length - 1] - t0);
  const top = Math.max(1, capacity || 0, ...items.map((p) => p.count));
  const pts = items.map((p, i) => {
    const x = items.length > 1 ? ((times[i] - t0) / span) * W : W / 2;
    return `${x.toFixed(1)},${(H - (p.count / top) * (H - 2) - 1).toFixed(1)}`;
  });
  const root = svg("svg", {
    viewBox: `0 0 ${W} ${H}`,
    width: W,
    height: H,
    class: "map-occupancy-spark",
    "data-testid": "map-occupancy-spark",
    role: "img",
    "aria-label": t("map.occupancy_trend"),
  });
  if (capacity) root.append(svg("line", { x1: 0, x2: W, y1: 1, y2: 1, stroke: "#f87171", "stroke-dasharray": "3 3" }));
  root.append(svg("polyline", { points: pts.join(" "), fill: "none", stroke: "#38bdf8", "stroke-width": 1.5 }));
  return root;
}

/** A panel block that fetches the shelter's series and shows the latest figure and trend. */
export function occupancyBlock(fid) {
  const box = h("div", { class: "map-occupancy", "data-testid": "map-occupancy" }, h("p", { class: "muted" }, "…"));
  api("GET", `/api/gis/shelters/${encodeURIComponent(fid)}/occupancy`)
    .then((s) => {
      const last = s.items[s.items.length - 1];
      if (!last) return replace(box, h("p", { class: "muted" }, t("map.occupancy_none")));
      const figure = s.capacity
        ? t("map.occupancy_latest_cap", { count: last.count, capacity: s.capacity, pct: Math.round((100 * last.count) / s.capacity) })
        : t("map.occupancy_latest", { count: last.count });
      replace(
        box,
        h("h3", {}, t("map.occupancy_title")),
        h("p", { "data-testid": "map-occupancy-latest" }, figure, " · ", t(last.open ? "map.occupancy_open" : "map.occupancy_closed")),
        h("p", { class: "muted" }, formatDateTime(last.at), " (", t("map.occupancy_reports", { n: s.items.length }), ")"),
        sparkline(s.items, s.capacity),
      );
    })
    .catch(() => replace(box, h("p", { class: "muted" }, t("map.occupancy_error"))));
  return box;
}
