// Metric history chart as inline SVG (no library): stacked panels sharing one time axis
// (frames/s against nominal, bitrate, detector scores) above a band coloured by status.

import { t } from "../../i18n.js";
import { formatNumber } from "./common.js";

const NS = "http://www.w3.org/2000/svg";
const W = 960;
const LEFT = 56;
const RIGHT = 12;
const PANEL_H = 76;
const TITLE_H = 18;
const GAP = 12;
const BAND_H = 12;
const AXIS_H = 22;

/** The panels and their series; `key` paths may reach into `scores`. */
export const PANELS = [
  { id: "fps", series: ["fps", "nominal_fps"], unit: "health.unit_fps" },
  { id: "bitrate", series: ["bitrate_kbps"], unit: "health.unit_kbps" },
  {
    id: "scores",
    series: ["scores.brightness", "scores.blur", "scores.sharpness", "scores.contrast"],
    unit: "",
  },
];

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== null && v !== undefined && v !== false) el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A value from a history point by dotted path ("scores.blur"); null when absent. */
export function valueAt(point, path) {
  let v = point;
  for (const part of path.split(".")) v = v && typeof v === "object" ? v[part] : undefined;
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/**
 * Runs of consecutive present values as [[ [ms, v], ... ], ...]; a missing value breaks the
 * line so an offline stretch shows as a gap rather than a slope.
 */
export function segments(history, path) {
  const out = [];
  let run = [];
  for (const p of history) {
    const v = valueAt(p, path);
    const ms = Date.parse(p.ts);
    if (v === null || Number.isNaN(ms)) {
      if (run.length) out.push(run);
      run = [];
    } else run.push([ms, v]);
  }
  if (run.length) out.push(run);
  return out;
}

/** Status spans [{status, start, end}] (ms) from interval rows, clipped to [from, to]. */
export function statusSpans(changes, from, to) {
  const spans = [];
  for (const c of changes || []) {
    const start = Math.max(from, Date.parse(c.started_at));
    const end = Math.min(to, c.ended_at ? Date.parse(c.ended_at) : to);
    if (end > start) spans.push({ status: c.status, start, end });
  }
  return spans.sort((a, b) => a.start - b.start);
}

function timeLabel(ms, spanMs) {
  const opts =
    spanMs > 2 * 86_400_000
      ? { month: "2-digit", day: "2-digit", hour: "2-digit" }
      : { hour: "2-digit", minute: "2-digit" };
  return new Intl.DateTimeFormat(document.documentElement.lang || "en", {
    ...opts,
    hour12: false,
  }).format(ms);
}

/** A round axis maximum at or above `value` (1, 2, 2.5, 5 times a power of ten). */
export function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** Build the chart for `history` over [from, to] (ms); returns an <svg> (or null: no data). */
export function metricChart(history, changes, from, to) {
  const panels = [];
  for (const panel of PANELS) {
    const series = panel.series
      .map((path) => ({ path, runs: segments(history, path) }))
      .filter((x) => x.runs.length);
    if (series.length) panels.push({ ...panel, series });
  }
  const spans = statusSpans(changes, from, to);
  if (!panels.length && !spans.length) return null;
  const plotW = W - LEFT - RIGHT;
  const x = (ms) => LEFT + ((ms - from) / Math.max(1, to - from)) * plotW;
  const height = panels.length * (TITLE_H + PANEL_H + GAP) + TITLE_H + BAND_H + AXIS_H;
  const svg = s("svg", {
    class: "chart",
    viewBox: `0 0 ${W} ${height}`,
    role: "img",
    "aria-label": t("health.chart_label"),
    "data-testid": "health-chart",
    preserveAspectRatio: "xMidYMid meet",
  });
  svg.append(s("title", {}, t("health.chart_label")));
  let top = 0;
  for (const panel of panels) {
    const values = panel.series.flatMap((x) => x.runs.flat().map((p) => p[1]));
    const title = s(
      "text",
      { class: "panel-title", x: LEFT, y: top + 12 },
      t(`health.chart.${panel.id}`) + (panel.unit ? ` (${t(panel.unit)})` : ""),
    );
    top += TITLE_H;
    const top1 = Math.max(...values);
    // Detector scores are mostly 0..1: keep that scale unless a score goes beyond it.
    const max = panel.id === "scores" && top1 <= 1 ? 1 : niceMax(top1 * 1.05);
    const y = (v) => top + PANEL_H - (v / max) * PANEL_H;
    const g = s("g", { class: `panel panel-${panel.id}`, "data-panel": panel.id });
    g.append(
      title,
      s("rect", { class: "plot-bg", x: LEFT, y: top, width: plotW, height: PANEL_H }),
      s("line", { class: "grid", x1: LEFT, x2: W - RIGHT, y1: y(max / 2), y2: y(max / 2) }),
      s(
        "text",
        { class: "axis-label", x: LEFT - 6, y: top + 10, "text-anchor": "end" },
        formatNumber(max, 1),
      ),
      s("text", { class: "axis-label", x: LEFT - 6, y: top + PANEL_H, "text-anchor": "end" }, "0"),
    );
    panel.series.forEach((series, i) => {
      const name = series.path.replace("scores.", "");
      for (const run of series.runs) {
        const pts = run.map(([ms, v]) => `${x(ms).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
        const attrs = { class: `line s${i}`, "data-series": name, points: pts };
        g.append(
          run.length > 1
            ? s("polyline", attrs)
            : s("circle", { class: `dot s${i}`, cx: x(run[0][0]), cy: y(run[0][1]), r: 2.5 }),
        );
      }
    });
    svg.append(g);
    top += PANEL_H + GAP;
  }
  top += TITLE_H - 12;
  const band = s("g", { class: "band", "data-testid": "health-chart-band" });
  band.append(s("rect", { class: "band-bg", x: LEFT, y: top, width: plotW, height: BAND_H }));
  for (const span of spans) {
    const r = s("rect", {
      class: `band-${span.status}`,
      x: x(span.start).toFixed(1),
      y: top,
      width: Math.max(1, x(span.end) - x(span.start)).toFixed(1),
      height: BAND_H,
      "data-status": span.status,
    });
    r.append(s("title", {}, t(`health.status.${span.status}`)));
    band.append(r);
  }
  svg.append(
    band,
    s(
      "text",
      { class: "axis-label", x: LEFT - 6, y: top + BAND_H - 2, "text-anchor": "end" },
      t("health.col.status"),
    ),
  );
  top += BAND_H + 14;
  const ticks = 6;
  for (let i = 0; i <= ticks; i += 1) {
    const ms = from + ((to - from) * i) / ticks;
    const anchor = i === 0 ? "start" : i === ticks ? "end" : "middle";
    svg.append(
      s("line", { class: "tick", x1: x(ms), x2: x(ms), y1: top - 12, y2: top - 9 }),
      s(
        "text",
        { class: "axis-label", x: x(ms), y: top + 2, "text-anchor": anchor },
        timeLabel(ms, to - from),
      ),
    );
  }
  return svg;
}

/** Legend entries [{panel, name, index}] for the series that have data. */
export function legend(history) {
  const out = [];
  for (const panel of PANELS) {
    let i = 0;
    for (const path of panel.series) {
      if (segments(history, path).length)
        out.push({ panel: panel.id, name: path.replace("scores.", ""), index: i });
      if (segments(history, path).length) i += 1;
    }
  }
  return out;
}
