// Shared bits of the health pages: permissions (mirroring the server's roles), statuses,
// fault reasons, badges, thumbnails, number and duration formatting, unit lookups.

import { h } from "../../dom.js";
import { getLocale, has, t } from "../../i18n.js";
import { elapsedText } from "../../ui/duration.js";
import { can } from "../../ui/perms.js";

export const STATUSES = ["ok", "learning", "degraded", "offline", "unknown"];
export const REASONS = [
  "offline",
  "blank",
  "frozen",
  "too_dark",
  "overexposed",
  "low_contrast",
  "blur",
  "colour_cast",
  "noise",
  "stripes",
  "occlusion",
  "shake",
  "scene_change",
  "low_fps",
  "stalls",
  "degraded",
];
export const ALERT_STATES = [
  "active",
  "firing",
  "recovered",
  "open",
  "acknowledged",
  "closed",
  "all",
];
export const WATCH_MODES = ["continuous", "patrol"];
export const PERIODS = ["day", "week", "month"];
export const SEVERITY = { offline: 3, degraded: 2, unknown: 1, learning: 0.5, ok: 0 };
const STATUS_CLASS = { ok: "ok", learning: "info", degraded: "warn", offline: "danger", unknown: "" };

// The server decides; these only hide controls it would refuse. They read the signed-in user's
// permissions from the session (the argument is kept for callers).
/** Whether the user may see camera health (status, alerts, availability). */
export const canReadHealth = () => can("health.read");
/** Whether the user may acknowledge and close alerts. */
export const canManageHealth = () => can("health.manage");
/** Whether the user may create, edit, delete and import cameras. */
export const canWriteCameras = () => can("cameras.write");

/** A fault reason code in the UI language (unknown codes are shown as they are). */
export function reasonText(code) {
  return has(`health.reason.${code}`) ? t(`health.reason.${code}`) : String(code);
}

/** A status badge; with reasons, the translated faults follow it. */
export function statusBadge(status, reasons = []) {
  const badge = h(
    "span",
    { class: `badge status ${STATUS_CLASS[status] ?? ""}`, dataset: { status } },
    h("span", { class: "status-dot", "aria-hidden": "true" }),
    t(`health.status.${STATUSES.includes(status) ? status : "unknown"}`),
  );
  if (!reasons?.length) return badge;
  return h(
    "span",
    { class: "status-cell" },
    badge,
    h(
      "span",
      { class: "reasons" },
      reasons.map((r) => h("span", { class: "reason", dataset: { reason: r } }, reasonText(r))),
    ),
  );
}

/** Compare two health rows by status severity (worst first), then by id. */
export function bySeverity(a, b) {
  return (
    (SEVERITY[b.status] ?? 0) - (SEVERITY[a.status] ?? 0) ||
    String(a.camera_id).localeCompare(String(b.camera_id))
  );
}

/** Sort health rows by `key` ("status", "since", "name"), `dir` 1 or -1; returns a new list. */
export function sortRows(rows, key, dir = 1) {
  const cmp = {
    status: bySeverity,
    since: (a, b) => String(a.since || "").localeCompare(String(b.since || "")),
    name: (a, b) => String(a.name).localeCompare(String(b.name), getLocale()),
    id: (a, b) => String(a.camera_id).localeCompare(String(b.camera_id)),
  }[key];
  return [...rows].sort((a, b) => (cmp ? cmp(a, b) * dir : 0) || bySeverity(a, b));
}

/** Whether a health row passes the filters {status, reason, unit, q}. */
export function matchesFilters(row, f) {
  if (f.status && row.status !== f.status) return false;
  if (f.reason) {
    const offline = f.reason === "offline" && row.status === "offline";
    if (!offline && !(row.reasons || []).includes(f.reason)) return false;
  }
  if (f.unit && String(row.owner_unit_id) !== String(f.unit)) return false;
  if (f.q) {
    const q = f.q.toLowerCase();
    if (
      ![row.camera_id, row.name].some((v) =>
        String(v || "")
          .toLowerCase()
          .includes(q),
      )
    ) {
      return false;
    }
  }
  return true;
}

/** Counts per status for a list of rows. */
export function summarise(rows) {
  const out = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  for (const row of rows) out[row.status in out ? row.status : "unknown"] += 1;
  return out;
}

/** "3 h 20 min" style duration between an ISO instant and now (or `until`), natural units. */
export function formatDuration(fromIso, until = Date.now()) {
  return elapsedText(fromIso, until);
}

/** A number in the UI locale with at most `digits` decimals ("" for null). */
export function formatNumber(value, digits = 1) {
  if (value === null || value === undefined || value === "") return "";
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  return new Intl.NumberFormat(getLocale(), { maximumFractionDigits: digits }).format(n);
}

/** A percentage ("—" when unknown). */
export function formatPct(value) {
  return value === null || value === undefined ? "—" : `${formatNumber(value, 1)} %`;
}

/** The unit with this id from a list, or null. */
export function unitById(units, id) {
  return units.find((u) => u.id === id) || null;
}

/**
 * A lazy-loaded thumbnail of the camera's last keyframe; a placeholder stays when the server has
 * no snapshot (404) or no snapshot route yet.
 */
export function thumbnail(cameraId, { large = false } = {}) {
  const box = h("span", {
    class: `thumb${large ? " large" : ""}`,
    "data-testid": "thumb",
    "aria-hidden": "true",
  });
  const img = h("img", {
    alt: "",
    loading: "lazy",
    decoding: "async",
    width: large ? 320 : 64,
    height: large ? 180 : 36,
    src: `/api/cameras/${encodeURIComponent(cameraId)}/snapshot.jpg`,
  });
  img.addEventListener("load", () => box.classList.add("loaded"));
  img.addEventListener("error", () => {
    img.remove();
    box.classList.add("missing");
  });
  box.append(img);
  return box;
}

export const PAGE_ROWS = 300;

/**
 * The first `shown` rows plus, when more exist, a last row with a "show more" button; keeps big
 * camera lists cheap to redraw on every live event.
 */
export function pagedRows(rows, shown, columns, toRow, onMore) {
  const out = rows.slice(0, shown).map(toRow);
  const rest = rows.length - shown;
  if (rest > 0) {
    out.push(
      h(
        "tr",
        { class: "more-row" },
        h(
          "td",
          { colspan: columns, class: "empty" },
          h(
            "button",
            { type: "button", class: "btn btn-sm", "data-testid": "show-more", onclick: onMore },
            t("health.show_more", { count: Math.min(rest, PAGE_ROWS), rest }),
          ),
        ),
      ),
    );
  }
  return out;
}

/** Metric keys shown in the detail view, in display order, with their unit key. */
export const METRICS = [
  ["fps", "health.unit_fps"],
  ["nominal_fps", "health.unit_fps"],
  ["bitrate_kbps", "health.unit_kbps"],
  ["resolution", ""],
  ["codec", ""],
  ["profile", ""],
  ["keyframe_interval_s", "health.unit_s"],
  ["b_frames", ""],
  ["last_packet_age_s", "health.unit_s"],
  ["stalls", ""],
  ["reconnects_per_h", "health.unit_per_h"],
];

/** [{key, label, value}] for the metrics present in a metrics object (plus detector scores). */
export function metricList(metrics = {}) {
  const out = [];
  const m = { ...metrics };
  if (m.width && m.height) m.resolution = `${m.width}×${m.height}`;
  for (const [key, unitKey] of METRICS) {
    const value = m[key];
    if (value === null || value === undefined || value === "") continue;
    let text = typeof value === "number" ? formatNumber(value, 2) : String(value);
    if (typeof value === "boolean") text = t(value ? "health.yes" : "health.no");
    if (unitKey) text = `${text} ${t(unitKey)}`;
    out.push({ key, label: t(`health.metric.${key}`), value: text });
  }
  for (const [key, value] of Object.entries(m.scores || {})) {
    if (typeof value !== "number") continue;
    const label = has(`health.score.${key}`) ? t(`health.score.${key}`) : key;
    out.push({ key: `scores.${key}`, label, value: formatNumber(value, 3) });
  }
  return out;
}
