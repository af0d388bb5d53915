// The plan form: every DrillPlan field, reading and writing plan JSON, errors next to fields.

import { h, replace } from "../../dom.js";
import { t, unitName } from "../../i18n.js";
import {
  DEFAULT_TZ,
  isoToLocal,
  localToIso,
  planErrorText,
  planFieldOf,
  TYPES,
  validZone,
} from "./common.js";
import { CAPABILITIES, capabilityCode, capabilityLabel } from "./capabilities.js";
import { recurrenceField } from "./recurrence.js";

const ZONES = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Tokyo", "UTC", "Europe/Berlin", "America/New_York"];
let serial = 0;

/** A labelled field with an error slot; returns {wrap, error}. */
function field(name, label, control, { span = false, hint = null, group = false } = {}) {
  const id = `pf${++serial}-${name}`;
  const error = h("div", { class: "field-error", id: `${id}-err`, "data-testid": `plan-error-${name}` });
  if (!group && !control.id) control.id = id;
  const labelEl = group ? h("legend", {}, label) : h("label", { for: control.id }, label);
  const wrap = h(
    group ? "fieldset" : "div",
    { class: `field${span ? " span-2" : ""}`, dataset: { field: name } },
    labelEl,
    control,
    hint ? h("div", { class: "field-hint" }, hint) : null,
    error,
  );
  return { wrap, error, control };
}

/** Checkboxes for a reference list (ids not in the list stay selectable); falls back to text. */
function refChecks(name, options, values) {
  const known = new Set(options.map((o) => o.value));
  const all = [...options, ...values.filter((v) => !known.has(v)).map((v) => ({ value: v, label: v }))];
  if (!all.length) {
    const input = h("input", { class: "input", name, "data-testid": `plan-${name}`, placeholder: t("drills.hint.ids") });
    input.value = values.join(", ");
    return { el: input, read: () => splitIds(input.value) };
  }
  const box = h(
    "div",
    { class: "checks", role: "group", "data-testid": `plan-${name}` },
    all.map((o) =>
      h(
        "label",
        { class: "check" },
        h("input", { type: "checkbox", name, value: o.value, checked: values.includes(o.value), "data-testid": `plan-${name}-${o.value}` }),
        h("span", {}, o.label),
      ),
    ),
  );
  return { el: box, read: () => [...box.querySelectorAll("input:checked")].map((i) => i.value) };
}

function splitIds(text) {
  return String(text || "")
    .split(/[,，\s]+/)
    .map((x) => x.trim())
    .filter(Boolean);
}

function refOptions(list) {
  return list.map((x) => ({ value: String(x.id), label: x.name && x.name !== String(x.id) ? `${x.name} (${x.id})` : String(x.id) }));
}

/** An editable list of rows (objectives, injects, exceptions). */
function rowList(name, makeRow, rows, addLabel, readOnly) {
  const list = h("div", { class: "row-list", "data-testid": `plan-${name}` });
  const add = (row = null) => {
    const r = makeRow(row);
    const remove = h(
      "button",
      { type: "button", class: "btn btn-sm btn-ghost", "aria-label": t("drills.remove"), disabled: readOnly, onclick: () => { item.remove(); list.dispatchEvent(new Event("change", { bubbles: true })); } },
      "×",
    );
    const item = h("div", { class: "row-item" }, r.el, remove);
    item.read = r.read;
    list.append(item);
    return item;
  };
  rows.forEach((r) => add(r));
  const addBtn = h(
    "button",
    { type: "button", class: "btn btn-sm", "data-testid": `plan-${name}-add`, disabled: readOnly, onclick: () => { add(); list.dispatchEvent(new Event("change", { bubbles: true })); } },
    addLabel,
  );
  const el = h("div", { class: "row-editor" }, list, addBtn);
  return { el, read: () => [...list.children].map((c) => c.read()).filter(Boolean) };
}

/** The plan form. `plan()` returns plan JSON; `showErrors(err)` places field errors. */
export class PlanForm {
  constructor(refs, { isNew = false, drillId = "", plan = {}, readOnly = false } = {}) {
    this.refs = refs;
    this.fields = new Map();
    this.readers = new Map();
    this.alert = h("div", { class: "alert", role: "alert", hidden: true, "data-testid": "plan-alert" });
    this.el = h("div", { class: "plan-form" });
    this.build(isNew, drillId, plan, readOnly);
  }

  add(section, name, label, control, read, opts = {}) {
    const f = field(name, label, control, opts);
    this.fields.set(name, f);
    this.readers.set(name, read);
    section.append(f.wrap);
  }

  build(isNew, drillId, p, readOnly) {
    const refs = this.refs;
    const zone = p.timezone || DEFAULT_TZ;
    const sec = (key) => {
      const grid = h("div", { class: "form-grid" });
      this.el.append(h("section", { class: "plan-section" }, h("h3", {}, t(`drills.section.${key}`)), grid));
      return grid;
    };
    const input = (name, value, attrs = {}) => {
      const el = h("input", { class: "input", name, "data-testid": `plan-${name}`, ...attrs });
      el.value = value ?? "";
      return el;
    };
    // Basics
    let g = sec("basics");
    if (isNew) {
      const id = input("id", drillId, { required: true, maxlength: 64, pattern: "[A-Za-z0-9_.:-]+" });
      this.add(g, "id", t("drills.field.id"), id, () => id.value.trim(), { hint: t("drills.hint.id") });
    }
    const title = input("title", p.title, { required: true, maxlength: 200 });
    this.add(g, "title", t("drills.field.title"), title, () => title.value.trim());
    const type = h("select", { class: "select", name: "type", "data-testid": "plan-type" }, TYPES.map((x) => h("option", { value: x }, t(`drills.type.${x}`))));
    type.value = p.type || "community_evacuation";
    this.add(g, "type", t("drills.field.type"), type, () => type.value);
    const scenario = h("textarea", { class: "input", name: "scenario", rows: 3, maxlength: 20000, "data-testid": "plan-scenario" });
    scenario.value = p.scenario || "";
    this.add(g, "scenario", t("drills.field.scenario"), scenario, () => scenario.value, { span: true });
    // Place
    g = sec("place");
    const comms = refChecks("community_ids", refOptions(refs.communities), p.community_ids || []);
    this.add(g, "community_ids", t("drills.field.communities"), comms.el, comms.read, { span: true, group: true });
    const shelterOpts = refOptions(refs.shelters);
    let venue;
    if (shelterOpts.length) {
      venue = h("select", { class: "select", name: "venue_shelter_id", "data-testid": "plan-venue_shelter_id" },
        h("option", { value: "" }, t("drills.choose")),
        shelterOpts.map((o) => h("option", { value: o.value }, o.label)));
      if (p.venue_shelter_id && !shelterOpts.some((o) => o.value === p.venue_shelter_id))
        venue.append(h("option", { value: p.venue_shelter_id }, p.venue_shelter_id));
      venue.value = p.venue_shelter_id || "";
    } else venue = input("venue_shelter_id", p.venue_shelter_id);
    this.add(g, "venue_shelter_id", t("drills.field.venue"), venue, () => venue.value.trim());
    const routes = refChecks("route_ids", refOptions(refs.routes), p.route_ids || []);
    this.add(g, "route_ids", t("drills.field.routes"), routes.el, routes.read, { span: true, group: true });
    // Time
    g = sec("time");
    const tz = input("timezone", zone, { list: "drill-zones", maxlength: 64 });
    const zones = h("datalist", { id: "drill-zones" }, ZONES.map((z) => h("option", { value: z })));
    const zoneOf = () => (validZone(tz.value.trim()) ? tz.value.trim() : DEFAULT_TZ);
    const start = input("start", isoToLocal(p.start, zone), { type: "datetime-local", required: true });
    const end = input("end", isoToLocal(p.end, zone), { type: "datetime-local", required: true });
    this.add(g, "start", t("drills.field.start"), start, () => localToIso(start.value, zoneOf()));
    this.add(g, "end", t("drills.field.end"), end, () => localToIso(end.value, zoneOf()));
    this.add(g, "timezone", t("drills.field.timezone"), tz, () => tz.value.trim() || DEFAULT_TZ, { hint: t("drills.hint.timezone") });
    g.append(zones);
    // Moving the start keeps the duration, so "move the drill" is one change.
    let lastStart = start.value;
    start.addEventListener("change", () => {
      const a = Date.parse(lastStart);
      const b = Date.parse(start.value);
      const e = Date.parse(end.value);
      if (!Number.isNaN(a) && !Number.isNaN(b) && !Number.isNaN(e)) {
        const moved = new Date(e + (b - a));
        const off = moved.getTimezoneOffset() * 60000;
        end.value = new Date(moved.getTime() - off).toISOString().slice(0, 16);
      }
      lastStart = start.value;
    });
    this.zoneOf = zoneOf;
    const rec = recurrenceField(p.rrule || "", readOnly, zoneOf);
    this.add(g, "rrule", t("drills.field.rrule"), rec.el, rec.read, { span: true, group: true });
    const workdays = h("input", { type: "checkbox", name: "working_days_only", "data-testid": "plan-working_days_only" });
    workdays.checked = Boolean(p.working_days_only);
    this.add(
      g,
      "working_days_only",
      t("drills.field.working_days_only"),
      h("label", { class: "check" }, workdays, h("span", {}, t("drills.hint.working_days_only"))),
      () => workdays.checked,
      { span: true },
    );
    const exdates = rowList(
      "exdates",
      (v) => {
        const el = h("input", { class: "input", type: "datetime-local", "data-testid": "plan-exdate" });
        el.value = v ? isoToLocal(v, zone) : start.value;
        return { el, read: () => (el.value ? localToIso(el.value, zoneOf()) : null) };
      },
      p.exdates || [],
      t("drills.add_exception"),
      readOnly,
    );
    this.add(g, "exdates", t("drills.field.exdates"), exdates.el, exdates.read, { span: true, group: true });
    // People
    g = sec("people");
    const units = refs.units.map((u) => ({ value: String(u.id), label: unitName(u) }));
    const org = h("select", { class: "select", name: "organising_unit", "data-testid": "plan-organising_unit" }, units.map((o) => h("option", { value: o.value }, o.label)));
    org.value = String(p.organising_unit || "");
    this.add(g, "organising_unit", t("drills.field.organising_unit"), org, () => org.value);
    const residents = input("expected_residents", p.expected_residents ?? 0, { type: "number", min: 0, max: 1000000 });
    this.add(g, "expected_residents", t("drills.field.expected_residents"), residents, () => Number(residents.value || 0));
    const parts = refChecks("participating_units", units, (p.participating_units || []).map(String));
    this.add(g, "participating_units", t("drills.field.participating_units"), parts.el, parts.read, { span: true, group: true });
    const teams = refChecks("team_ids", refOptions(refs.teams), p.team_ids || []);
    this.add(g, "team_ids", t("drills.field.teams"), teams.el, teams.read, { span: true, group: true });
    const evaluators = input("evaluator_ids", (p.evaluator_ids || []).join(", "), { placeholder: t("drills.hint.ids") });
    this.add(g, "evaluator_ids", t("drills.field.evaluators"), evaluators, () => splitIds(evaluators.value), { span: true });
    // Objectives and injects
    g = sec("objectives");
    const caps = h("datalist", { id: "drill-capabilities" }, CAPABILITIES.map((c) => h("option", { value: capabilityLabel(c) })));
    let n = (p.objectives || []).length;
    const objectives = rowList(
      "objectives",
      (o) => {
        const id = o?.id || `o${++n}`;
        const text = h("input", { class: "input", placeholder: t("drills.field.objective_text"), "data-testid": "objective-text", maxlength: 1000 });
        const cap = h("input", { class: "input", list: "drill-capabilities", placeholder: t("drills.field.capability"), "data-testid": "objective-capability", maxlength: 200 });
        text.value = o?.text || "";
        cap.value = capabilityLabel(o?.capability);
        const el = h("div", { class: "row-fields objective-row", dataset: { objective: id } }, h("span", { class: "mono muted" }, id), text, cap);
        return { el, read: () => (text.value.trim() || cap.value.trim() ? { id, text: text.value.trim(), capability: capabilityCode(cap.value) } : null) };
      },
      p.objectives || [],
      t("drills.add_objective"),
      readOnly,
    );
    this.add(g, "objectives", t("drills.field.objectives"), objectives.el, objectives.read, { span: true, group: true });
    g.append(caps);
    const injects = rowList(
      "injects",
      (x) => {
        const off = h("input", { class: "input", type: "number", min: 0, placeholder: t("drills.field.offset"), "data-testid": "inject-offset", title: t("drills.field.offset") });
        const text = h("input", { class: "input", placeholder: t("drills.field.inject_text"), "data-testid": "inject-text", maxlength: 2000 });
        const target = h("input", { class: "input", placeholder: t("drills.field.inject_target"), maxlength: 200 });
        off.value = x?.offset_minutes ?? 0;
        text.value = x?.text || "";
        target.value = x?.target_unit || "";
        const el = h("div", { class: "row-fields inject-row" }, off, text, target);
        return { el, read: () => (text.value.trim() ? { offset_minutes: Number(off.value || 0), text: text.value.trim(), target_unit: target.value.trim() || null } : null) };
      },
      p.injects || [],
      t("drills.add_inject"),
      readOnly,
    );
    this.add(g, "injects", t("drills.field.injects"), injects.el, injects.read, { span: true, group: true });
    if (readOnly) {
      for (const el of this.el.querySelectorAll("input, select, textarea, button")) el.disabled = true;
    }
  }

  /** The drill id typed for a new drill. */
  id() {
    return this.readers.get("id")?.() || "";
  }

  /** The plan as JSON for the API. */
  plan() {
    const out = {};
    for (const [name, read] of this.readers) if (name !== "id") out[name] = read();
    if (!out.rrule) {
      out.rrule = null;
    }
    return out;
  }

  clearErrors() {
    this.alert.hidden = true;
    replace(this.alert);
    for (const { control, error } of this.fields.values()) {
      control.removeAttribute("aria-invalid");
      replace(error);
    }
  }

  /** Place an ApiError's field errors next to their fields; the rest goes to the alert. */
  showErrors(err, fallback) {
    this.clearErrors();
    let placed = 0;
    const rest = [];
    for (const item of err?.fieldErrors || []) {
      const f = this.fields.get(planFieldOf(item));
      if (!f) {
        rest.push(planErrorText(item));
        continue;
      }
      f.control.setAttribute("aria-invalid", "true");
      f.error.append(h("span", {}, planErrorText(item), " "));
      placed += 1;
    }
    if (!placed || rest.length) {
      replace(this.alert, rest.length ? rest.join(" · ") : fallback);
      this.alert.hidden = false;
    }
    const bad = [...this.fields.values()].find((f) => f.control.getAttribute("aria-invalid"));
    if (bad) bad.wrap.scrollIntoView({ block: "center", behavior: "smooth" });
    return placed;
  }
}
