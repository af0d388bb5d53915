// Shared bits of the drills pages: statuses and the workflow (mirroring drills/workflow.py),
// permissions, reference data (GIS layers, units), zone-aware times, versioned writes.

import { api, ApiError, fieldMessage, problemMessage } from "../../api.js";
import { h } from "../../dom.js";
import { getLocale, has, t, unitName } from "../../i18n.js";
import { hoursText } from "../../ui/duration.js";
import { can } from "../../ui/perms.js";

export const STATUSES = [
  "draft",
  "submitted",
  "approved",
  "scheduled",
  "in_progress",
  "completed",
  "reviewed",
  "cancelled",
  "aborted",
];
// The server decides (409 naming the allowed ones); this only hides buttons it would refuse.
export const TRANSITIONS = {
  draft: ["submitted", "cancelled"],
  submitted: ["draft", "approved", "cancelled"],
  approved: ["scheduled", "cancelled"],
  scheduled: ["in_progress", "cancelled"],
  in_progress: ["completed", "aborted"],
  completed: ["reviewed"],
  reviewed: [],
  cancelled: [],
  aborted: [],
};
// Who may take each step (mirrors drills/workflow.py): the duty officer runs drills live.
const PLANNERS = ["admin", "coordinator"];
const RUNNERS = ["admin", "coordinator", "operator"];
export const STEP_ROLES = { in_progress: RUNNERS, completed: RUNNERS, aborted: RUNNERS };
const any = (user, roles) => Boolean(user?.roles?.some((r) => roles.includes(r)));
/** Whether the user may take the step to `to` (the server decides; this hides buttons). */
export const canMove = (user, to) => canRun() && any(user, STEP_ROLES[to] || PLANNERS);
// Drafts and cancelled drills may be deleted; moves that must say why.
export const DELETABLE = new Set(["draft", "cancelled"]);
export const NEEDS_REASON = new Set(["aborted"]);
export const TYPES = [
  "community_evacuation",
  "drill",
  "functional",
  "full_scale",
  "tabletop",
  "game",
  "workshop",
  "seminar",
];
export const EDITABLE = new Set(["draft", "submitted", "approved", "scheduled", "in_progress", "cancelled"]);
export const DEFAULT_TZ = "Asia/Shanghai";

// Gated on the session's permissions (the signed-in user; the argument is kept for callers).
/** Whether the user may edit plans (drills.write). */
export const canWrite = () => can("drills.write");
/** Whether the user may move drills along the workflow and run them live (drills.run). */
export const canRun = () => can("drills.run");

/** Load the stylesheet of the drills pages once (index.html predates them). */
export function ensureStyles() {
  if (document.querySelector('link[data-drills-css]')) return;
  const link = h("link", { rel: "stylesheet", href: "css/drills.css", "data-drills-css": "1" });
  document.head.append(link);
}

/** A status badge coloured by status. */
export function statusBadge(status) {
  return h(
    "span",
    { class: `badge drill-status st-${status}`, dataset: { status }, "data-testid": "drill-status" },
    t(`drills.status.${status}`),
  );
}

// ---- reference data ------------------------------------------------------------------------

function features(fc) {
  return (fc?.features || []).map((f) => ({
    id: String(f.id ?? f.properties?.fid ?? ""),
    name: f.properties?.name || String(f.id ?? ""),
    props: f.properties || {},
    geometry: f.geometry,
  }));
}

/** Communities, shelters, routes, teams (GIS layers) and units; missing layers are empty. */
export async function loadRefs() {
  const layer = (name) =>
    api("GET", `/api/gis/layers/${name}.geojson`)
      .then(features)
      .catch(() => []);
  const [communities, shelters, routes, teams, units] = await Promise.all([
    layer("communities"),
    layer("shelters"),
    layer("routes"),
    layer("teams"),
    api("GET", "/api/units")
      .then((r) => r.items || [])
      .catch(() => []),
  ]);
  return { communities, shelters, routes, teams, units };
}

/** "Name (id)" for a reference id, or the bare id when unknown. */
export function refLabel(list, id) {
  const found = list.find((x) => String(x.id) === String(id));
  if (!found) return String(id);
  const name = found.name_en !== undefined ? unitName(found) : found.name;
  return name && name !== String(id) ? `${name} (${id})` : String(id);
}

// ---- time zones ----------------------------------------------------------------------------

const partFormats = new Map();

function parts(ms, zone) {
  if (!partFormats.has(zone)) {
    partFormats.set(
      zone,
      new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      }),
    );
  }
  const out = {};
  for (const p of partFormats.get(zone).formatToParts(new Date(ms))) out[p.type] = p.value;
  return out;
}

/** Whether an IANA zone name is known to this browser. */
export function validZone(zone) {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return Boolean(zone);
  } catch {
    return false;
  }
}

function offsetMinutes(ms, zone) {
  const p = parts(ms, zone);
  const asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

const pad = (n, w = 2) => String(n).padStart(w, "0");

/** "2027-05-12T09:00" (wall time in `zone`) -> ISO with the zone's offset then. */
export function localToIso(local, zone = DEFAULT_TZ) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(String(local || ""));
  if (!m) return "";
  const naive = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  let off = offsetMinutes(naive, zone);
  const second = offsetMinutes(naive - off * 60000, zone);
  if (second !== off) off = second;
  const sign = off < 0 ? "-" : "+";
  const abs = Math.abs(off);
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** An ISO instant as "YYYY-MM-DDTHH:MM" wall time in `zone` (for datetime-local inputs). */
export function isoToLocal(iso, zone = DEFAULT_TZ) {
  const ms = Date.parse(iso || "");
  if (Number.isNaN(ms)) return "";
  const p = parts(ms, zone);
  return `${p.year}-${p.month}-${p.day}T${pad(+p.hour % 24)}:${p.minute}`;
}

/** The calendar day ("YYYY-MM-DD") of an instant in `zone`. */
export function dayOf(iso, zone = DEFAULT_TZ) {
  return isoToLocal(iso, zone).slice(0, 10);
}

/** "HH:MM" wall time in `zone`. */
export function timeOf(iso, zone = DEFAULT_TZ) {
  return isoToLocal(iso, zone).slice(11, 16);
}

/** Date and time for people, in `zone` and the UI locale. */
export function formatWhen(iso, zone = DEFAULT_TZ) {
  const ms = Date.parse(iso || "");
  if (Number.isNaN(ms)) return String(iso || "");
  return new Intl.DateTimeFormat(getLocale(), {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).format(new Date(ms));
}

/** "HH:MM:SS" wall-clock time in `zone`. */
export function formatClock(iso, zone = DEFAULT_TZ) {
  const ms = Date.parse(iso || "");
  if (Number.isNaN(ms)) return "";
  const p = parts(ms, zone);
  return `${pad(+p.hour % 24)}:${p.minute}:${p.second}`;
}

/** Today as "YYYY-MM-DD" in `zone`. */
export function today(zone = DEFAULT_TZ) {
  return isoToLocal(new Date().toISOString(), zone).slice(0, 10);
}

/** "YYYY-MM-DD" plus `n` days (pure calendar arithmetic). */
export function addDays(day, n) {
  const [y, m, d] = day.split("-").map(Number);
  const dt = new Date(Date.UTC(y, m - 1, d + n));
  return dt.toISOString().slice(0, 10);
}

/** Monday of the ISO week containing `day`. */
export function mondayOf(day) {
  const [y, m, d] = day.split("-").map(Number);
  const wd = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
  return addDays(day, -wd);
}

/** Seconds as "m:ss" / "h:mm:ss" ("—" when unknown). */
export function formatSeconds(secs) {
  if (secs === null || secs === undefined || !Number.isFinite(Number(secs))) return "—";
  const s = Math.round(Number(secs));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  return hh ? `${hh}:${pad(mm)}:${pad(ss)}` : `${mm}:${pad(ss)}`;
}

/** A 0..1 rate as a percentage ("—" when unknown). */
export function formatRate(rate) {
  if (rate === null || rate === undefined) return "—";
  return `${new Intl.NumberFormat(getLocale(), { maximumFractionDigits: 1 }).format(rate * 100)} %`;
}

// ---- conflicts and errors ------------------------------------------------------------------

/** A conflict explained in the UI language (server message key with its parameters). */
export function conflictText(c) {
  const params = { ...(c.params || {}) };
  if (params.at) params.at = formatWhen(params.at);
  if (params.holiday_key && has(`drills.holiday.${params.holiday_key}`) && params.holiday_key !== "site")
    params.holiday = t(`drills.holiday.${params.holiday_key}`);
  // Gaps come in hours; people read "14 days", not "336 h".
  if (params.gap_hours !== undefined) params.gap = hoursText(params.gap_hours);
  if (params.min_gap_hours !== undefined) params.min_gap = hoursText(params.min_gap_hours);
  let key = c.message_key || `drills.conflict.${c.kind}`;
  if (key === "drills.conflict.blackout" && params.holiday) key = "drills.conflict.blackout_holiday";
  const text = has(key) ? t(key, params) : c.message || c.kind;
  return params.provisional ? `${text} ${t("drills.holiday.provisional_note")}` : text;
}

/**
 * The plan field a problem location names: "body.plan.objectives[0].text" -> "objectives";
 * model-level errors ("body.plan") are placed by the code the server puts in the message.
 */
export function planFieldOf(err) {
  const segs = String(err.loc || "")
    .replace(/\[\d+\]/g, "")
    .split(".")
    .filter(Boolean);
  while (["body", "plan", "header", "query", "path"].includes(segs[0])) segs.shift();
  if (segs[0]) return segs[0];
  const code = /\((\w+)\)\s*$/.exec(err.msg || "")?.[1] || err.type;
  return (
    {
      end_before_start: "end",
      too_short: "end",
      too_long: "end",
      naive_datetime: "start",
      inject_after_end: "injects",
      duplicate_objective: "objectives",
      bad_rrule: "rrule",
      date_out_of_range: "start",
      not_working_day: "start",
    }[code] || ""
  );
}

/** A field error message: a drills-specific code first, else the generic validation text. */
export function planErrorText(err) {
  const code = /\((\w+)\)\s*$/.exec(err.msg || "")?.[1] || err.type;
  if (code && has(`drills.err.${code}`)) return t(`drills.err.${code}`, err);
  const idx = /\[(\d+)\]/.exec(err.loc || "")?.[1];
  const base = fieldMessage(err);
  return idx !== undefined ? `#${Number(idx) + 1}: ${base}` : base;
}

// ---- versioned writes ----------------------------------------------------------------------

/**
 * PUT/POST JSON with If-Match (the version the edit started from). Resolves with
 * {data, etag}; throws ApiError like api().
 */
export async function sendVersioned(method, path, body, version) {
  const headers = version !== null && version !== undefined ? { "If-Match": `"${version}"` } : {};
  const data = (await api(method, path, { body, headers })) ?? {};
  return { data, etag: data.version !== undefined ? `"${data.version}"` : null };
}

/** POST a workflow step with If-Match (the version shown); resolves with the drill. */
export async function moveDrill(drill, to, reason = "") {
  const path = `/api/drills/${encodeURIComponent(drill.id)}/${to === "in_progress" ? "start" : "transition"}`;
  const body = to === "in_progress" ? undefined : { to, ...(reason ? { reason } : {}) };
  const { data } = await sendVersioned("POST", path, body, drill.version);
  return data;
}

/**
 * Ask why (inline, in `slot`): resolves with the text, or null when dismissed. `required`
 * keeps the confirm button disabled until something is typed.
 */
export function askReason(slot, { title, required = false, confirm }) {
  return new Promise((resolve) => {
    const text = h("textarea", { class: "input", rows: 2, maxlength: 2000, "data-testid": "reason-text", "aria-label": title });
    const done = (value) => {
      slot.replaceChildren();
      resolve(value);
    };
    const ok = h("button", { type: "submit", class: "btn btn-danger btn-sm", "data-testid": "reason-confirm", disabled: required }, confirm);
    const cancel = h("button", { type: "button", class: "btn btn-sm", "data-testid": "reason-cancel", onclick: () => done(null) }, t("action.cancel"));
    text.addEventListener("input", () => (ok.disabled = required && !text.value.trim()));
    const form = h("form", { class: "alert reason-box", role: "dialog", "aria-label": title, "data-testid": "reason-box" },
      h("strong", {}, title), text, h("div", { class: "form-foot" }, cancel, ok));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (!required || text.value.trim()) done(text.value.trim());
    });
    slot.replaceChildren(form);
    text.focus();
  });
}

/** A workflow refusal in the UI language, with the time or objectives it names. */
export function workflowMessage(err) {
  const p = err instanceof ApiError ? err.problem || {} : {};
  if (err instanceof ApiError && err.code === "start-too-early" && p.opens_at)
    return t("problem.start-too-early", { opens_at: formatWhen(p.opens_at) });
  if (err instanceof ApiError && err.code === "objectives-unrated")
    return t("problem.objectives-unrated", { unrated: (p.unrated || []).join(", ") });
  return problemMessage(err);
}

/** The current version a 412 names (from the ETag-carrying problem), or null. */
export function staleVersion(err) {
  const v = err.problem?.current_version;
  return Number.isInteger(v) ? v : null;
}

/** Whether an ApiError means "this route is not there yet" (older server). */
export function missingRoute(err) {
  return err instanceof ApiError && (err.status === 404 || err.status === 405);
}
