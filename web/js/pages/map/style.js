// Colours and sizes for the map layers and the readiness choropleth legend.

/** Readiness score bins, lowest first: [min score, colour, i18n key]. */
export const SCORE_BINS = [
  [0, "#dc2626", "map.legend_low"],
  [40, "#f97316", "map.legend_fair"],
  [60, "#facc15", "map.legend_good"],
  [80, "#16a34a", "map.legend_high"],
];
export const NO_SCORE = "#64748b";

/** The fill colour for a readiness score (null: no score yet). */
export function scoreColour(score) {
  if (score === null || score === undefined) return NO_SCORE;
  let colour = SCORE_BINS[0][1];
  for (const [min, c] of SCORE_BINS) if (score >= min) colour = c;
  return colour;
}

export const STATUS_COLOURS = {
  online: "#22c55e",
  degraded: "#f59e0b",
  offline: "#ef4444",
  disabled: "#64748b",
  unknown: "#94a3b8",
};

/** Shelter colour by occupancy / capacity (blue when occupancy is not reported). */
export function shelterColour(props) {
  const cap = props.capacity;
  if (props.occupancy === null || props.occupancy === undefined || !cap) return "#38bdf8";
  const share = props.occupancy / cap;
  if (share >= 0.9) return "#ef4444";
  if (share >= 0.5) return "#f59e0b";
  return "#22c55e";
}

/** Shelter circle radius in pixels, growing with the square root of capacity. */
export function shelterRadius(props) {
  return Math.max(5, Math.min(26, 5 + Math.sqrt(props.capacity || 0) / 5));
}

export const BUILDING_COLOURS = { safe: "#22c55e", moderate: "#f59e0b", unsafe: "#ef4444", unknown: "#94a3b8" };
