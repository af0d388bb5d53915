// Live control view: cameras covering the venue and routes, the timeline with big buttons,
// measures computed from the log, observer notes, and entries from other browsers live.

import { api, problemMessage } from "../../api.js";
import { h, replace } from "../../dom.js";
import { t } from "../../i18n.js";
import { person } from "../../ui/people.js";
import { toast } from "../../ui/toast.js";
import { thumbnail } from "../health/common.js";
import { askReason, canMove, canRun, formatClock, formatRate, formatSeconds, missingRoute, moveDrill, statusBadge, workflowMessage } from "./common.js";

export const KINDS = ["alarm_sounded", "evacuation_started", "assembly_complete", "head_count", "all_clear", "incident"];
const MILESTONES = ["alarm_sounded", "evacuation_started", "assembly_complete", "all_clear"];
let state = null;

/** Figures from the timeline (mirrors drills/conduct.py measure()). */
export function measure(timeline, expected) {
  const sorted = [...timeline].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const first = {};
  for (const e of sorted) if (!(e.kind in first)) first[e.kind] = Date.parse(e.at);
  const alarm = first.alarm_sounded;
  const since = (k) => (alarm !== undefined && first[k] !== undefined ? (first[k] - alarm) / 1000 : null);
  const counts = sorted.filter((e) => e.kind === "head_count");
  const hc = counts.length ? counts[counts.length - 1].count : null;
  return {
    evacuation_seconds: since("assembly_complete"),
    all_clear_seconds: since("all_clear"),
    head_count: hc,
    participation_rate: hc !== null && expected ? hc / expected : null,
    incidents: sorted.filter((e) => e.kind === "incident").length,
  };
}

function entryRow(e) {
  const detail = e.kind === "head_count" ? t("drills.live.count", { n: e.count }) : "";
  return h(
    "li",
    { class: `tl-entry kind-${e.kind}`, "data-testid": "tl-entry", dataset: { kind: e.kind, id: String(e.id ?? "") } },
    h("time", { class: "mono", datetime: e.at }, formatClock(e.at, state?.zone)),
    h("strong", {}, t(`drills.kind.${e.kind}`)),
    detail ? h("span", {}, detail) : null,
    e.note || e.text ? h("span", { class: "tl-note" }, e.note || e.text) : null,
    h("span", { class: "muted tl-author" }, person(e.author || e.author_id)),
  );
}

function drawTimeline(s) {
  const sorted = [...s.timeline].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  replace(s.list, sorted.length ? sorted.map(entryRow) : h("li", { class: "empty" }, t("drills.live.empty")));
  const m = measure(s.timeline, s.plan?.expected_residents || 0);
  const cell = (key, label, value) =>
    h("div", { class: "measure", "data-testid": `measure-${key}` }, h("span", { class: "measure-label" }, label), h("span", { class: "measure-value" }, value));
  replace(
    s.measures,
    cell("evacuation", t("drills.measure.evacuation"), formatSeconds(m.evacuation_seconds)),
    cell("all_clear", t("drills.measure.all_clear"), formatSeconds(m.all_clear_seconds)),
    cell("head_count", t("drills.measure.head_count"), m.head_count ?? "—"),
    cell("participation", t("drills.measure.participation"), formatRate(m.participation_rate)),
    cell("incidents", t("drills.measure.incidents"), String(m.incidents)),
    m.head_count !== null && s.plan?.expected_residents && m.head_count > s.plan.expected_residents
      ? h("div", { class: "alert warning", role: "status", "data-testid": "over-expected" },
          t("drills.live.over_expected", { n: m.head_count, expected: s.plan.expected_residents }))
      : null,
  );
  const logged = new Set(s.timeline.map((e) => e.kind));
  for (const [kind, btn] of s.buttons) {
    if (MILESTONES.includes(kind)) {
      const idx = MILESTONES.indexOf(kind);
      btn.disabled = !s.running || logged.has(kind) || MILESTONES.slice(0, idx).some((k) => !logged.has(k));
      btn.classList.toggle("done", logged.has(kind));
    } else btn.disabled = !s.running;
  }
}

function addEntry(s, entry) {
  if (entry.id !== undefined && s.timeline.some((e) => e.id === entry.id)) return;
  s.timeline.push(entry);
  drawTimeline(s);
}

async function log(s, kind, extra = {}) {
  try {
    const out = await api("POST", `/api/drills/${encodeURIComponent(s.id)}/timeline`, { body: { kind, ...extra } });
    const entry = out?.entry || (out?.kind ? out : null);
    if (entry) addEntry(s, entry);
    else if (Array.isArray(out?.timeline)) {
      s.timeline = out.timeline;
      drawTimeline(s);
    }
    return true;
  } catch (err) {
    toast(problemMessage(err), "error");
    return false;
  }
}

function cameraCard(cam) {
  return h(
    "li",
    { class: "live-camera", "data-testid": `live-camera-${cam.id}`, dataset: { status: cam.status || "unknown" } },
    thumbnail(cam.id, { large: true }),
    h("span", { class: "cam-name" }, cam.name || cam.id),
    h("span", { class: `badge cam-st st-${cam.status || "unknown"}` }, cam.status || "unknown"),
  );
}

function controls(s, ctx) {
  s.buttons = new Map();
  const big = (kind, onClick) => {
    const b = h("button", { type: "button", class: `btn big-btn kind-${kind}`, "data-testid": `tl-${kind}`, onclick: onClick }, t(`drills.kind.${kind}`));
    s.buttons.set(kind, b);
    return b;
  };
  const count = h("input", { class: "input", type: "number", min: 0, max: 1000000, "data-testid": "tl-count", "aria-label": t("drills.live.count_label"), placeholder: t("drills.live.count_label") });
  const incident = h("input", { class: "input", maxlength: 4000, "data-testid": "tl-incident-text", "aria-label": t("drills.live.incident_label"), placeholder: t("drills.live.incident_label") });
  return h(
    "div",
    { class: "live-buttons" },
    ["alarm_sounded", "evacuation_started", "assembly_complete"].map((k) => big(k, () => log(s, k))),
    h("div", { class: "big-group" }, count, big("head_count", async () => {
      if (count.value === "") return count.focus();
      if (await log(s, "head_count", { count: Number(count.value) })) count.value = "";
    })),
    big("all_clear", () => log(s, "all_clear")),
    h("div", { class: "big-group" }, incident, big("incident", async () => {
      if (await log(s, "incident", { note: incident.value.trim() })) incident.value = "";
    })),
  );
}

function noteBox(s) {
  const text = h("textarea", { class: "input", rows: 2, maxlength: 4000, "data-testid": "tl-note-text", "aria-label": t("drills.live.note_label"), placeholder: t("drills.live.note_label") });
  const add = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "tl-note-add" }, t("drills.live.add_note"));
  const form = h("form", { class: "note-box" }, text, add);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!text.value.trim()) return text.focus();
    add.disabled = true;
    if (await log(s, "note", { note: text.value.trim() })) text.value = "";
    add.disabled = false;
  });
  return form;
}

/** Render the live control view for ctx.drillId. */
export async function render(container, ctx) {
  dispose();
  const s = (state = { id: ctx.drillId, timeline: [], zone: "Asia/Shanghai", buttons: new Map() });
  const root = h("section", { class: "drill-live", "data-testid": "drill-live" });
  replace(container, root);
  let live;
  try {
    live = await api("GET", `/api/drills/${encodeURIComponent(s.id)}/live`);
  } catch (err) {
    if (!missingRoute(err) || state !== s) return replace(root, h("div", { class: "alert", role: "alert" }, problemMessage(err)));
    const d = await api("GET", `/api/drills/${encodeURIComponent(s.id)}`).catch(() => null);
    if (!d) return replace(root, h("div", { class: "alert", role: "alert" }, problemMessage(err)));
    live = { ...d, timeline: [], cameras: [], unavailable: true };
  }
  if (state !== s) return;
  s.plan = live.plan;
  s.zone = live.plan?.timezone || s.zone;
  s.status = live.status;
  s.timeline = live.timeline || [];
  s.running = canRun(ctx.user) && live.status === "in_progress";
  s.list = h("ol", { class: "timeline", "data-testid": "timeline", "aria-live": "polite" });
  s.measures = h("div", { class: "measures", "data-testid": "measures" });
  const cams = live.cameras || [];
  const wallBtn = cams.length
    ? h("a", { class: "btn", href: `#/wall?cameras=${cams.map((c) => encodeURIComponent(c.id)).join(",")}`, "data-testid": "live-open-wall" }, t("drills.live.open_wall"))
    : null;
  const drill = { id: s.id, version: live.version };
  const reasonSlot = h("div", { class: "banner" });
  const complete = s.running && canMove(ctx.user, "completed")
    ? h("button", {
        type: "button",
        class: "btn btn-primary",
        "data-testid": "transition-completed",
        onclick: async () => {
          try {
            await moveDrill(drill, "completed");
            ctx.navigate(`#/drills/${encodeURIComponent(s.id)}/report`);
          } catch (err) {
            toast(workflowMessage(err), "error");
          }
        },
      }, t("drills.action.completed"))
    : null;
  const abort = s.running && canMove(ctx.user, "aborted")
    ? h("button", {
        type: "button",
        class: "btn btn-danger",
        "data-testid": "transition-aborted",
        onclick: async () => {
          const reason = await askReason(reasonSlot, { title: t("drills.reason.aborted"), required: true, confirm: t("drills.action.aborted") });
          if (reason === null) return;
          try {
            await moveDrill(drill, "aborted", reason);
            toast(t("drills.moved", { status: t("drills.status.aborted") }), "ok");
            render(container, ctx);
          } catch (err) {
            toast(problemMessage(err), "error");
          }
        },
      }, t("drills.action.aborted"))
    : null;
  replace(
    root,
    h("div", { class: "editor-head toolbar" },
      h("a", { href: `#/drills/${encodeURIComponent(s.id)}`, class: "back-link" }, "‹ ", t("drills.plan")),
      h("h2", { "data-testid": "drill-title" }, live.plan?.title || s.id),
      statusBadge(live.status),
      h("span", { class: "spacer" }),
      ["completed", "reviewed"].includes(live.status)
        ? h("a", { class: "btn btn-sm", href: `#/drills/${encodeURIComponent(s.id)}/report`, "data-testid": "open-report" }, t("drills.report.open"))
        : null,
      complete,
      abort),
    reasonSlot,
    live.status_reason ? h("div", { class: "alert info", "data-testid": "status-reason" }, t("drills.reason_shown", { reason: live.status_reason })) : null,
    live.unavailable ? h("div", { class: "alert" }, t("drills.live.unavailable")) : null,
    h("div", { class: "live-cols" },
      h("div", { class: "live-main" },
        s.running ? controls(s, ctx) : h("p", { class: "muted" }, t(live.status === "in_progress" ? "drills.live.observer" : "drills.live.not_running")),
        s.measures,
        h("h3", {}, t("drills.live.timeline")),
        s.list,
        live.status === "in_progress" ? noteBox(s) : null),
      h("aside", { class: "live-side" },
        h("h3", {}, t("drills.live.cameras")),
        cams.length ? h("ul", { class: "live-cameras" }, cams.map(cameraCard)) : h("p", { class: "muted" }, t("drills.live.no_cameras")),
        wallBtn)),
  );
  drawTimeline(s);
  ctx.onEvent("drills.timeline.added", (data) => {
    if (state !== s || String(data?.drill_id) !== String(s.id) || !data.entry) return;
    addEntry(s, data.entry);
  });
  // Started, completed or cancelled elsewhere: redraw with the new status.
  ctx.onEvent("drill.status", (data) => {
    if (state === s && String(data?.id) === String(s.id) && data.status !== s.status) render(container, ctx);
  });
  ctx.onEvent("resync", () => state === s && render(container, ctx));
}

/** Forget the view. */
export function dispose() {
  state = null;
}
