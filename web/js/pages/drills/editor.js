// Plan editor: the plan form, a live conflict check with explanations, save with If-Match
// (412: reload or overwrite), and workflow buttons for the allowed transitions only.

import { api, ApiError, problemMessage } from "../../api.js";
import { debounce, h, replace } from "../../dom.js";
import { t } from "../../i18n.js";
import { toast } from "../../ui/toast.js";
import {
  askReason,
  canMove,
  canWrite,
  conflictText,
  DEFAULT_TZ,
  DELETABLE,
  EDITABLE,
  loadRefs,
  localToIso,
  missingRoute,
  moveDrill,
  NEEDS_REASON,
  sendVersioned,
  staleVersion,
  statusBadge,
  workflowMessage,
  today,
  TRANSITIONS,
} from "./common.js";
import { messagePanel } from "../placeholder.js";
import { PlanForm } from "./plan_form.js";

let state = null;

function newPlan(ctx) {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(ctx.route.query?.date || "") ? ctx.route.query.date : null;
  const zone = ctx.meta?.site?.timezone || DEFAULT_TZ;
  const day = date || today(zone);
  return {
    id: `drill-${day.replaceAll("-", "")}-${Math.random().toString(36).slice(2, 6)}`,
    plan: {
      title: "",
      type: "community_evacuation",
      timezone: zone,
      start: localToIso(`${day}T09:00`, zone),
      end: localToIso(`${day}T11:00`, zone),
      organising_unit: String(ctx.user?.unit?.id ?? ctx.user?.unit_id ?? ""),
      community_ids: ctx.route.query?.community ? [ctx.route.query.community] : [],
      expected_residents: 0,
    },
  };
}

function drawConflicts(s, list, note = null) {
  s.conflicts = list;
  const items = list.map((c) =>
    h(
      "li",
      { class: "conflict", "data-testid": `conflict-${c.kind}`, dataset: { kind: c.kind } },
      h("span", { class: "conflict-mark", "aria-hidden": "true" }, "⚠"),
      h("span", {}, conflictText(c)),
      c.other_drill_id
        ? h("a", { href: `#/drills/${encodeURIComponent(c.other_drill_id)}`, class: "conflict-link" }, t("drills.conflict.open_other"))
        : null,
    ),
  );
  replace(
    s.conflictBox,
    h("h3", {}, t("drills.conflicts")),
    list.length
      ? h("ul", { class: "conflict-list" }, items)
      : h("p", { class: "muted", "data-testid": "no-conflicts" }, note || t("drills.no_conflicts")),
  );
  s.conflictBox.dataset.count = String(list.length);
}

async function liveCheck(s) {
  if (!s.writable) return;
  const mine = ++s.checkSerial;
  const plan = s.form.plan();
  if (!plan.start || !plan.end || !plan.venue_shelter_id || !plan.community_ids.length) return;
  try {
    const query = s.id ? { drill_id: s.id } : {};
    const answer = await api("POST", "/api/drills/check", { body: plan, query });
    if (mine !== s.checkSerial || state !== s) return;
    s.form.clearErrors();
    drawConflicts(s, answer.conflicts || []);
  } catch (err) {
    if (mine !== s.checkSerial || state !== s) return;
    if (missingRoute(err)) {
      s.noCheck = true;
      drawConflicts(s, s.conflicts, t("drills.check_on_save"));
    } else if (err instanceof ApiError && err.status === 422) {
      s.form.showErrors(err, problemMessage(err));
    }
  }
}

function drawHead(s, ctx) {
  const d = s.drill;
  const buttons = d
    ? (TRANSITIONS[d.status] || []).filter((to) => canMove(ctx.user, to)).map((to) =>
        h(
          "button",
          {
            type: "button",
            class: `btn btn-sm${to === "cancelled" ? " btn-danger" : to === "draft" ? "" : " btn-primary"}`,
            "data-testid": `transition-${to}`,
            onclick: () => transition(s, ctx, to),
          },
          t(`drills.action.${to}`),
        ),
      )
    : [];
  if (d && DELETABLE.has(d.status) && canWrite(ctx.user))
    buttons.push(h("button", { type: "button", class: "btn btn-sm btn-danger", "data-testid": "drill-delete", onclick: () => remove(s, ctx) }, t("drills.delete")));
  const links = d
    ? [
        ["in_progress", "completed", "reviewed", "aborted"].includes(d.status)
          ? h("a", { class: "btn btn-sm", href: `#/drills/${encodeURIComponent(d.id)}/live`, "data-testid": "open-live" }, t("drills.live.open"))
          : null,
        ["completed", "reviewed", "aborted"].includes(d.status)
          ? h("a", { class: "btn btn-sm", href: `#/drills/${encodeURIComponent(d.id)}/report`, "data-testid": "open-report" }, t("drills.report.open"))
          : null,
      ]
    : [];
  replace(
    s.head,
    h("a", { href: "#/drills", class: "back-link" }, "‹ ", t("drills.tab.calendar")),
    h("h2", { "data-testid": "drill-title" }, d ? d.plan.title : t("drills.new")),
    d ? statusBadge(d.status) : null,
    d?.status_reason ? h("span", { class: "muted", "data-testid": "status-reason" }, t("drills.reason_shown", { reason: d.status_reason })) : null,
    d ? h("span", { class: "muted mono", "data-testid": "drill-version" }, t("drills.version", { v: d.version })) : null,
    h("span", { class: "spacer" }),
    links,
    buttons.length ? h("div", { class: "workflow", role: "group", "aria-label": t("drills.workflow") }, buttons) : null,
  );
}

async function transition(s, ctx, to) {
  const d = s.drill;
  let reason = "";
  if (NEEDS_REASON.has(to) || to === "cancelled") {
    const asked = await askReason(s.banner, {
      title: t(`drills.reason.${to}`),
      required: NEEDS_REASON.has(to),
      confirm: t(`drills.action.${to}`),
    });
    if (asked === null) return;
    reason = asked;
  }
  try {
    const out = await moveDrill(d, to, reason);
    toast(t("drills.moved", { status: t(`drills.status.${out.status || to}`) }), "ok");
    if (to === "in_progress") return ctx.navigate(`#/drills/${encodeURIComponent(d.id)}/live`);
    if (to === "completed") return ctx.navigate(`#/drills/${encodeURIComponent(d.id)}/report`);
    await load(s, ctx);
  } catch (err) {
    toast(workflowMessage(err), "error");
    if (err instanceof ApiError && (err.status === 409 || err.status === 412)) await load(s, ctx);
  }
}

async function remove(s, ctx) {
  const d = s.drill;
  const ok = await askReason(s.banner, { title: t("drills.delete_confirm", { title: d.plan.title }), confirm: t("drills.delete") });
  if (ok === null) return;
  try {
    await sendVersioned("DELETE", `/api/drills/${encodeURIComponent(d.id)}`, undefined, d.version);
    toast(t("drills.deleted"), "ok");
    ctx.navigate("#/drills");
  } catch (err) {
    toast(problemMessage(err), "error");
  }
}

function sentBackBanner(s, sent) {
  const fields = sent.fields.map((f) => t(`drills.sent_back_field.${f}`)).join(t("drills.list_sep"));
  replace(s.banner, h("div", { class: "alert info", role: "status", "data-testid": "sent-back" },
    t("drills.sent_back", { from: t(`drills.status.${sent.from_status}`), fields })));
  s.banner.scrollIntoView({ block: "center", behavior: "smooth" });
}

function staleBanner(s, ctx, version) {
  const reloadBtn = h("button", { type: "button", class: "btn btn-sm", "data-testid": "stale-reload", onclick: () => load(s, ctx) }, t("drills.stale.reload"));
  const overwrite = h(
    "button",
    {
      type: "button",
      class: "btn btn-sm btn-danger",
      "data-testid": "stale-overwrite",
      onclick: async () => {
        try {
          const fresh = await api("GET", `/api/drills/${encodeURIComponent(s.id)}`);
          s.drill.version = fresh.version;
          await save(s, ctx);
        } catch (err) {
          toast(problemMessage(err), "error");
        }
      },
    },
    t("drills.stale.overwrite"),
  );
  replace(
    s.banner,
    h("div", { class: "alert stale", role: "alert", "data-testid": "stale-banner" },
      h("strong", {}, t("drills.stale.title")), " ",
      t("drills.stale.body", { v: version ?? "?" }), " ", reloadBtn, " ", overwrite),
  );
}

async function save(s, ctx) {
  s.form.clearErrors();
  replace(s.banner);
  s.saveBtn.disabled = true;
  s.saving = true;
  const plan = s.form.plan();
  try {
    if (!s.drill) {
      const id = s.form.id();
      const out = await api("POST", "/api/drills", { body: { id, plan } });
      toast(t("drills.saved"), "ok");
      s.pendingConflicts = out.conflicts || [];
      ctx.navigate(`#/drills/${encodeURIComponent(out.id)}`);
      return;
    }
    const { data } = await sendVersioned("PUT", `/api/drills/${encodeURIComponent(s.id)}`, plan, s.drill.version);
    s.drill = data;
    drawHead(s, ctx);
    drawConflicts(s, data.conflicts || []);
    toast(t("drills.saved"), "ok");
    if (data.sent_back) sentBackBanner(s, data.sent_back);
    s.root.dataset.version = String(data.version);
  } catch (err) {
    if (err instanceof ApiError && err.status === 412) staleBanner(s, ctx, staleVersion(err));
    else if (err instanceof ApiError && err.status === 422) s.form.showErrors(err, problemMessage(err));
    else if (err instanceof ApiError && err.status === 409 && err.code === "duplicate") s.form.showErrors(err, problemMessage(err));
    else {
      s.form.clearErrors();
      s.form.alert.hidden = false;
      replace(s.form.alert, problemMessage(err));
    }
  } finally {
    s.saveBtn.disabled = false;
    s.saving = false;
  }
}

async function load(s, ctx) {
  replace(s.banner);
  let drill = null;
  let initial;
  if (s.id) {
    try {
      drill = await api("GET", `/api/drills/${encodeURIComponent(s.id)}`);
    } catch (err) {
      replace(s.root, h("div", { class: "alert", role: "alert" }, problemMessage(err)));
      return;
    }
    if (state !== s) return;
    initial = { id: drill.id, plan: drill.plan };
  } else initial = newPlan(ctx);
  s.drill = drill;
  s.writable = canWrite(ctx.user) && (!drill || EDITABLE.has(drill.status));
  s.form = new PlanForm(s.refs, { isNew: !drill, drillId: initial.id, plan: initial.plan, readOnly: !s.writable });
  s.saveBtn = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "plan-save", disabled: !s.writable }, t("action.save"));
  const formEl = h(
    "form",
    { class: "plan-editor", novalidate: true, "data-testid": "plan-form" },
    s.form.alert,
    s.form.el,
    h("div", { class: "form-foot" }, s.writable ? null : h("span", { class: "muted" }, t("drills.read_only")), s.saveBtn),
  );
  formEl.addEventListener("submit", (ev) => {
    ev.preventDefault();
    save(s, ctx);
  });
  const check = debounce(() => liveCheck(s), 400);
  formEl.addEventListener("change", check);
  formEl.addEventListener("input", (ev) => ev.target.matches("input[type=text], input:not([type]), textarea") || check());
  s.check = check;
  drawHead(s, ctx);
  replace(s.root, s.head, s.banner, h("div", { class: "editor-cols" }, formEl, h("aside", { class: "editor-side" }, s.conflictBox)));
  s.root.dataset.version = drill ? String(drill.version) : "";
  drawConflicts(s, drill?.conflicts || s.pendingConflicts || []);
  s.pendingConflicts = null;
  if (drill?.plan_error) {
    // A stored rule the server can no longer read: say so next to the field, to mend or delete.
    s.form.showErrors({ fieldErrors: [drill.plan_error] }, drill.plan_error.msg);
    replace(s.banner, h("div", { class: "alert", role: "alert", "data-testid": "plan-broken" }, t("drills.plan_broken")));
  }
  if (s.writable) liveCheck(s);
}

/** Render the editor for ctx.drillId (or a new drill on ?date=). */
export async function render(container, ctx) {
  dispose();
  const s = (state = {
    id: ctx.drillId,
    conflicts: [],
    checkSerial: 0,
    root: h("section", { class: "drill-editor", "data-testid": "drill-editor" }),
    head: h("div", { class: "editor-head toolbar" }),
    banner: h("div", { class: "banner" }),
    conflictBox: h("div", { class: "panel conflicts", "data-testid": "conflicts", "aria-live": "polite" }),
  });
  replace(container, s.root);
  if (!s.id && !canWrite(ctx.user)) {
    // Planning needs drills.write: say so instead of an empty read-only form.
    replace(s.root, messagePanel("drills.no_plan_rights", "drills.no_plan_rights_hint"));
    return;
  }
  s.refs = await loadRefs();
  if (state !== s) return;
  await load(s, ctx);
  ctx.onEvent("drill.*", (data) => {
    if (state !== s || s.saving || !s.drill || data?.id !== s.drill.id) return;
    if (!(data.version > s.drill.version)) return;
    // Someone else changed it: say so (the next save would get 412 anyway).
    replace(s.banner, h("div", { class: "alert info", role: "status", "data-testid": "changed-banner" }, t("drills.changed_elsewhere", { v: data.version }), " ",
      h("button", { type: "button", class: "btn btn-sm", onclick: () => load(s, ctx) }, t("drills.stale.reload"))));
  });
}

/** Forget the view. */
export function dispose() {
  state?.check?.cancel();
  state = null;
}
