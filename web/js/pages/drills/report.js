// After-action report: P/S/M/U per objective, strengths and areas for improvement, corrective
// actions tracked to closure, the summary-report fields, measured figures, print and PDF.

import { api, ApiError, problemMessage } from "../../api.js";
import { h, replace } from "../../dom.js";
import { getLocale, t, unitName } from "../../i18n.js";
import { toast } from "../../ui/toast.js";
import { capabilityLabel } from "./capabilities.js";
import {
  canMove,
  canWrite,
  formatRate,
  formatSeconds,
  loadRefs,
  planErrorText,
  sendVersioned,
  staleVersion,
  moveDrill,
  statusBadge,
  workflowMessage,
} from "./common.js";

export const SUMMARY = ["purpose", "time_and_place", "participants", "plan_summary", "problems_and_causes", "lessons", "recommendations"];
const RATINGS = ["P", "S", "M", "U"];
let state = null;

const lines = (text) =>
  String(text || "")
    .split("\n")
    .map((x) => x.trim())
    .filter(Boolean);

function ratingRow(objective, rating, locked) {
  const sel = h("select", { class: "select", "data-testid": `rating-${objective.id}`, disabled: locked },
    h("option", { value: "" }, t("drills.report.unrated")),
    RATINGS.map((r) => h("option", { value: r }, `${r} · ${t(`drills.rating.${r}`)}`)));
  sel.value = rating?.rating || "";
  const strengths = h("textarea", { class: "input", rows: 2, disabled: locked, "data-testid": `strengths-${objective.id}`, placeholder: t("drills.report.one_per_line") });
  strengths.value = (rating?.strengths || []).join("\n");
  const areas = h("textarea", { class: "input", rows: 2, disabled: locked, "data-testid": `areas-${objective.id}`, placeholder: t("drills.report.one_per_line") });
  areas.value = (rating?.areas_for_improvement || []).join("\n");
  const el = h("div", { class: "rating-row", dataset: { objective: objective.id } },
    h("div", { class: "rating-head" }, h("strong", {}, objective.text), h("span", { class: "muted" }, capabilityLabel(objective.capability)), sel),
    h("label", { class: "inline-field" }, h("span", {}, t("drills.report.strengths")), strengths),
    h("label", { class: "inline-field" }, h("span", {}, t("drills.report.areas")), areas));
  return {
    el,
    read: () => (sel.value ? { objective_id: objective.id, rating: sel.value, strengths: lines(strengths.value), areas_for_improvement: lines(areas.value) } : null),
  };
}

function actionRow(s, a, locked) {
  const desc = h("input", { class: "input", maxlength: 2000, disabled: locked, "data-testid": "action-description", placeholder: t("drills.report.action_text") });
  desc.value = a?.text || "";
  const owner = h("select", { class: "select", disabled: locked, "data-testid": "action-owner", "aria-label": t("drills.report.owner") },
    s.refs.units.map((u) => h("option", { value: String(u.id) }, unitName(u))));
  owner.value = String(a?.owner_unit_id || s.drill.organising_unit_id || "");
  const due = h("input", { class: "input", type: "date", disabled: locked, "data-testid": "action-due", "aria-label": t("drills.report.due") });
  due.value = a?.due || "";
  const id = a?.id || `a${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
  const saved = Boolean(a?.id && s.report.actions.some((x) => x.id === a.id));
  const closed = a?.status === "closed" ? String(a.closed_at || "").slice(0, 10) || "✓" : "";
  const closeBtn = saved && !closed
    ? h("button", { type: "button", class: "btn btn-sm", "data-testid": `action-close-${id}`, onclick: () => closeAction(s, id) }, t("drills.report.close_action"))
    : null;
  const stateEl = closed
    ? h("span", { class: "badge ok", "data-testid": "action-closed" }, t("drills.report.closed_on", { date: closed }))
    : a?.overdue
      ? h("span", { class: "badge danger", "data-testid": "action-overdue" }, t("drills.report.overdue"))
      : null;
  const remove = locked || saved ? null : h("button", { type: "button", class: "btn btn-sm btn-ghost", "aria-label": t("drills.remove"), onclick: () => el.remove() }, "×");
  const el = h("div", { class: `action-row${a?.overdue && !closed ? " overdue" : ""}`, dataset: { action: id }, "data-testid": "action-row" }, desc, owner, due, stateEl, closeBtn, remove);
  el.read = () =>
    desc.value.trim() || due.value
      ? { id, text: desc.value.trim(), owner_unit_id: Number(owner.value), due: due.value || null, status: a?.status || "open", closed_at: a?.closed_at || null }
      : null;
  return el;
}

async function closeAction(s, id) {
  try {
    await api("POST", `/api/drills/${encodeURIComponent(s.id)}/report/actions/${encodeURIComponent(id)}/close`);
    toast(t("drills.report.action_closed"), "ok");
    await load(s);
  } catch (err) {
    toast(problemMessage(err), "error");
  }
}

const SIGNOFF = ["prepared_by", "reviewed_by", "issued_by"];

function readReport(s) {
  const out = {};
  for (const [k, el] of s.summary) out[k] = el.value;
  for (const [k, el] of s.signoff) out[k] = el.value.trim();
  out.report_date = s.reportDate.value || null;
  out.ratings = s.ratings.map((r) => r.read()).filter(Boolean);
  out.actions = [...s.actionList.children].map((el) => el.read()).filter(Boolean);
  return out;
}

function showErrors(s, err) {
  const msgs = err.fieldErrors.map((e) => `${String(e.loc || "").replace(/^body\./, "")}: ${planErrorText(e)}`);
  replace(s.alert, msgs.length ? msgs.join(" · ") : problemMessage(err));
  s.alert.hidden = false;
}

async function save(s) {
  s.alert.hidden = true;
  try {
    const { data } = await sendVersioned("PUT", `/api/drills/${encodeURIComponent(s.id)}/report`, readReport(s), s.report.version);
    toast(t("drills.saved"), "ok");
    s.report = data?.drill_id ? data : s.report;
    await load(s);
  } catch (err) {
    if (err instanceof ApiError && err.status === 412) {
      replace(s.alert, t("drills.stale.body", { v: staleVersion(err) ?? "?" }), " ",
        h("button", { type: "button", class: "btn btn-sm", "data-testid": "stale-reload", onclick: () => load(s) }, t("drills.stale.reload")));
      s.alert.hidden = false;
    } else if (err instanceof ApiError) showErrors(s, err);
    else toast(problemMessage(err), "error");
  }
}

async function load(s) {
  try {
    const [drill, report] = await Promise.all([
      api("GET", `/api/drills/${encodeURIComponent(s.id)}`),
      api("GET", `/api/drills/${encodeURIComponent(s.id)}/report`),
    ]);
    if (state !== s) return;
    s.drill = drill;
    s.report = report;
  } catch (err) {
    if (state === s) replace(s.root, h("div", { class: "alert", role: "alert" }, problemMessage(err)));
    return;
  }
  draw(s);
}

function draw(s) {
  const { drill, report, ctx } = s;
  const locked = Boolean(report.locked) || !canWrite(ctx.user) || drill.status === "reviewed";
  const m = report.measures || {};
  const lang = getLocale();
  s.alert = h("div", { class: "alert", role: "alert", hidden: true, "data-testid": "report-alert" });
  s.summary = new Map();
  const summary = SUMMARY.map((k) => {
    const el = h("textarea", { class: "input", rows: 3, disabled: locked, "data-testid": `report-${k}` });
    el.value = report[k] || "";
    s.summary.set(k, el);
    return h("label", { class: "field span-2" }, h("span", {}, t(`drills.report.${k}`)), el);
  });
  const objectives = drill.plan.objectives || [];
  s.ratings = objectives.map((o) => ratingRow(o, (report.ratings || []).find((r) => r.objective_id === o.id), locked));
  s.actionList = h("div", { class: "action-list", "data-testid": "actions" });
  for (const a of report.actions || []) s.actionList.append(actionRow(s, a, locked));
  const addAction = locked ? null : h("button", { type: "button", class: "btn btn-sm", "data-testid": "action-add", onclick: () => s.actionList.append(actionRow(s, null, false)) }, t("drills.report.add_action"));
  const cell = (key, label, value) =>
    h("div", { class: "measure", "data-testid": `report-measure-${key}` }, h("span", { class: "measure-label" }, label), h("span", { class: "measure-value" }, value));
  const base = `/api/drills/${encodeURIComponent(s.id)}`;
  s.signoff = new Map();
  const signoff = SIGNOFF.map((k) => {
    const el = h("input", { class: "input", maxlength: 200, disabled: locked, "data-testid": `report-${k}` });
    el.value = report[k] || "";
    s.signoff.set(k, el);
    return h("label", { class: "field" }, h("span", {}, t(`drills.report.${k}`)), el);
  });
  s.reportDate = h("input", { class: "input", type: "date", disabled: locked, "data-testid": "report-report_date" });
  s.reportDate.value = report.report_date || "";
  signoff.push(h("label", { class: "field" }, h("span", {}, t("drills.report.report_date")), s.reportDate));
  const review = canMove(ctx.user, "reviewed") && drill.status === "completed"
    ? h("button", { type: "button", class: "btn", "data-testid": "transition-reviewed", onclick: async () => {
        try {
          await moveDrill(drill, "reviewed");
          toast(t("drills.moved", { status: t("drills.status.reviewed") }), "ok");
          await load(s);
        } catch (err) {
          toast(workflowMessage(err), "error");
        }
      } }, t("drills.action.reviewed"))
    : null;
  const saveBtn = locked ? null : h("button", { type: "button", class: "btn btn-primary", "data-testid": "report-save", onclick: () => save(s) }, t("action.save"));
  replace(
    s.root,
    h("div", { class: "editor-head toolbar" },
      h("a", { href: `#/drills/${encodeURIComponent(s.id)}`, class: "back-link" }, "‹ ", t("drills.plan")),
      h("h2", { "data-testid": "drill-title" }, t("drills.report.title", { title: drill.plan.title })),
      statusBadge(drill.status),
      h("span", { class: "spacer" }),
      h("a", { class: "btn btn-sm", href: `#/drills/${encodeURIComponent(s.id)}/live`, "data-testid": "open-live" }, t("drills.live.timeline")),
      h("a", { class: "btn btn-sm", href: `${base}/report.html?lang=${encodeURIComponent(lang)}`, target: "_blank", rel: "noopener", "data-testid": "report-print" }, t("drills.report.print")),
      h("a", { class: "btn btn-sm", href: `${base}/report.pdf?lang=${encodeURIComponent(lang)}`, target: "_blank", rel: "noopener", "data-testid": "report-pdf" }, "PDF"),
      review),
    locked ? h("div", { class: "alert info", "data-testid": "report-locked" }, t("drills.report.locked")) : null,
    s.alert,
    h("section", { class: "panel report-section" }, h("h3", {}, t("drills.report.measured")),
      h("div", { class: "measures", "data-testid": "report-measures" },
        cell("evacuation", t("drills.measure.evacuation"), formatSeconds(m.evacuation_seconds)),
        cell("all_clear", t("drills.measure.all_clear"), formatSeconds(m.all_clear_seconds)),
        cell("head_count", t("drills.measure.head_count"), m.head_count ?? "—"),
        cell("participation", t("drills.measure.participation"), formatRate(m.participation_rate)),
        cell("incidents", t("drills.measure.incidents"), String(m.incidents ?? 0)))),
    h("section", { class: "panel report-section" }, h("h3", {}, t("drills.report.ratings")),
      objectives.length ? s.ratings.map((r) => r.el) : h("p", { class: "muted" }, t("drills.report.no_objectives"))),
    h("section", { class: "panel report-section" }, h("h3", {}, t("drills.report.actions")), s.actionList, addAction),
    h("section", { class: "panel report-section" }, h("h3", {}, t("drills.report.summary")), h("div", { class: "form-grid" }, summary)),
    h("section", { class: "panel report-section", "data-testid": "report-signoff" }, h("h3", {}, t("drills.report.signoff")), h("div", { class: "form-grid" }, signoff)),
    h("div", { class: "form-foot" }, saveBtn),
  );
  s.root.dataset.version = String(report.version ?? "");
}

/** Render the report editor for ctx.drillId. */
export async function render(container, ctx) {
  dispose();
  const s = (state = { id: ctx.drillId, ctx, root: h("section", { class: "drill-report", "data-testid": "drill-report" }) });
  replace(container, s.root);
  s.refs = await loadRefs();
  if (state !== s) return;
  await load(s);
}

/** Forget the view. */
export function dispose() {
  state = null;
}
