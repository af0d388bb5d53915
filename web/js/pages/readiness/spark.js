// Inline SVG sparklines of a community's score trend (0-100).

const NS = "http://www.w3.org/2000/svg";

/** A small line chart of [[iso, score], ...]; empty when fewer than two points. */
export function sparkline(trend, { width = 90, height = 22 } = {}) {
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  svg.setAttribute("class", "spark");
  const pts = (trend || []).filter((p) => typeof p?.[1] === "number");
  svg.dataset.points = String(pts.length);
  if (pts.length < 2) return svg;
  const step = width / (pts.length - 1);
  const y = (v) => (height - 2 - (Math.max(0, Math.min(100, v)) / 100) * (height - 4)).toFixed(1);
  const line = document.createElementNS(NS, "polyline");
  line.setAttribute("points", pts.map((p, i) => `${(i * step).toFixed(1)},${y(p[1])}`).join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "currentColor");
  line.setAttribute("stroke-width", "1.5");
  const last = pts[pts.length - 1];
  const dot = document.createElementNS(NS, "circle");
  dot.setAttribute("cx", String(width));
  dot.setAttribute("cy", y(last[1]));
  dot.setAttribute("r", "2");
  dot.setAttribute("fill", "currentColor");
  const title = document.createElementNS(NS, "title");
  title.textContent = pts.map((p) => `${String(p[0]).slice(0, 10)}: ${p[1].toFixed(0)}`).join("\n");
  svg.append(title, line, dot);
  return svg;
}
