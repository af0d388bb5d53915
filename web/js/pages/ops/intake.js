// Starting incident mode: a manual earthquake entry (epicentre by a map click or numbers,
// depth, magnitude and type, origin time, source) and an exercise from a scenario (magnitude
// on a fault of the faults layer, or an epicentre and strike; optional Nanao occupancy replay).
// Both dock in the map pane so the map stays clickable while the form is open.

import { api, problemMessage } from "../../api.js";
import { h, replace } from "../../dom.js";
import { t } from "../../i18n.js";
import { formDialog } from "../../ui/dialog.js";
import { FieldError, Form } from "../../ui/form.js";

export const MAG_TYPES = ["Ms", "Mw", "ML", "mb", "M"];

function dock(host, title, testid, onClose) {
  const close = h("button", { type: "button", class: "icon-btn", "aria-label": t("action.close"), "data-testid": `${testid}-close` }, "×");
  const body = h("div", { class: "ops-dock-body" });
  const el = h("div", { class: "ops-dock", role: "dialog", "aria-label": title, "data-testid": testid }, h("div", { class: "ops-dock-head" }, h("h2", {}, title), close), body);
  replace(host, el);
  host.hidden = false;
  const done = () => {
    host.hidden = true;
    replace(host);
    onClose?.();
  };
  close.addEventListener("click", done);
  el.addEventListener("keydown", (e) => e.key === "Escape" && (e.stopPropagation(), done()));
  return { body, done };
}

function localNow() {
  const d = new Date(Date.now() - new Date().getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

function number(v, field, { required = true } = {}) {
  if (v === "" || v === null || v === undefined) {
    if (required) throw new FieldError(field, t("validation.missing"));
    return null;
  }
  const n = Number(v);
  if (!Number.isFinite(n)) throw new FieldError(field, t("validation.float_parsing"));
  return n;
}

function pickButton(form, map, onPicked) {
  return h(
    "button",
    {
      type: "button",
      class: "btn btn-sm",
      "data-testid": "ops-pick-epicentre",
      onclick: () =>
        map.draw.start("point", (g) => {
          const [lon, lat] = g.coordinates;
          form.fields.get("lon").control.value = lon.toFixed(5);
          form.fields.get("lat").control.value = lat.toFixed(5);
          onPicked?.(lon, lat);
        }),
    },
    t("ops.intake.pick"),
  );
}

function submitRow(label, testid) {
  const submit = h("button", { type: "submit", class: "btn btn-primary", "data-testid": testid }, label);
  return { submit, row: h("div", { class: "ops-row ops-dock-foot" }, submit) };
}

/** The manual earthquake entry; onFiled(result) gets POST /api/quakes's answer. */
export function quakePanel(host, map, { onFiled }) {
  const { body, done } = dock(host, t("ops.intake.quake_title"), "ops-quake-form", () => map.draw.cancel());
  const form = new Form({ columns: 2 });
  form.text("lat", t("ops.intake.lat"), { type: "number", step: "any", required: true });
  form.text("lon", t("ops.intake.lon"), { type: "number", step: "any", required: true });
  form.text("depth_km", t("ops.intake.depth"), { type: "number", step: "any", value: "10" });
  form.text("magnitude", t("ops.intake.magnitude"), { type: "number", step: "0.1", required: true });
  form.select("mag_type", t("ops.intake.mag_type"), MAG_TYPES.map((m) => ({ value: m, label: m })), { value: "Ms" });
  form.text("origin_time", t("ops.intake.origin_time"), { type: "datetime-local", step: "1", value: localNow(), required: true });
  form.text("source", t("ops.intake.source"), { value: "manual", maxlength: 64 });
  form.text("place", t("ops.intake.place"), { maxlength: 300 });
  form.text("strike_deg", t("ops.intake.strike"), { type: "number", step: "any", hint: t("ops.intake.strike_hint") });
  form.text("event_id", t("ops.intake.event_id"), { maxlength: 200, hint: t("ops.intake.event_id_hint") });
  const result = h("div", { class: "ops-dock-result", "data-testid": "ops-quake-result", "aria-live": "polite" });
  const { submit, row } = submitRow(t("ops.intake.file"), "ops-quake-submit");
  const el = h("form", { novalidate: true }, form.alert, h("div", { class: "ops-row" }, pickButton(form, map), h("span", { class: "muted" }, t("ops.intake.pick_hint"))), form.grid, row, result);
  body.append(el);
  el.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    form.clearErrors();
    replace(result);
    submit.disabled = true;
    try {
      const v = form.values();
      if (!v.origin_time) throw new FieldError("origin_time", t("validation.missing"));
      const when = new Date(v.origin_time);
      if (Number.isNaN(when.getTime())) throw new FieldError("origin_time", t("validation.datetime_parsing"));
      const out = await api("POST", "/api/quakes", {
        body: {
          lat: number(v.lat, "lat"),
          lon: number(v.lon, "lon"),
          depth_km: number(v.depth_km, "depth_km"),
          magnitude: number(v.magnitude, "magnitude"),
          mag_type: v.mag_type,
          origin_time: when.toISOString(),
          source: v.source || "manual",
          place: v.place,
          strike_deg: number(v.strike_deg, "strike_deg", { required: false }),
          event_id: v.event_id || null,
        },
      });
      replace(result, out.incident_id ? t("ops.intake.opened", { id: out.incident_id }) : t(`ops.intake.outcome_${out.outcome}`, { event: out.event_id }));
      result.dataset.outcome = out.outcome;
      onFiled(out);
      if (out.incident_id) done();
    } catch (err) {
      form.showError(err);
    } finally {
      submit.disabled = false;
    }
  });
  form.focus();
  return done;
}

/** Start an exercise from a saved scenario or a new one; onStarted(incident). */
export async function exercisePanel(host, map, { onStarted }) {
  const { body, done } = dock(host, t("ops.intake.exercise_title"), "ops-exercise-form", () => map.draw.cancel());
  let scenarios = [];
  let faults = [];
  try {
    [scenarios, faults] = await Promise.all([
      api("GET", "/api/quake-scenarios").then((r) => r.items),
      api("GET", "/api/gis/layers/faults.geojson").then((r) => r.features),
    ]);
  } catch (err) {
    body.append(h("p", { class: "alert" }, problemMessage(err)));
    return done;
  }
  const form = new Form({ columns: 2 });
  const scn = form.select("scenario_id", t("ops.intake.scenario"), [
    { value: "", label: t("ops.intake.scenario_new") },
    ...scenarios.map((s) => ({ value: s.id, label: `${s.name} · M${s.magnitude}` })),
  ], { value: scenarios[0]?.id ?? "", span: true });
  form.text("name", t("ops.intake.scenario_name"), { maxlength: 200 });
  form.text("magnitude", t("ops.intake.magnitude"), { type: "number", step: "0.1", value: "6.0" });
  form.select("fault_fid", t("ops.intake.fault"), [{ value: "", label: t("ops.intake.no_fault") }, ...faults.map((f) => ({ value: f.id, label: f.properties.name || f.id }))], { value: faults[0]?.id ?? "" });
  form.text("depth_km", t("ops.intake.depth"), { type: "number", step: "any", value: "10" });
  form.text("lat", t("ops.intake.lat"), { type: "number", step: "any", hint: t("ops.intake.fault_hint") });
  form.text("lon", t("ops.intake.lon"), { type: "number", step: "any" });
  form.text("strike_deg", t("ops.intake.strike"), { type: "number", step: "any" });
  form.text("replay_hours", t("ops.intake.replay_hours"), { type: "number", step: "any", value: "2" });
  const replay = form.toggle("replay", t("ops.intake.replay"), t("ops.intake.replay_text"), { checked: true });
  form.text("drill_id", t("ops.intake.drill"), { maxlength: 64, hint: t("ops.intake.drill_hint") });
  const newOnly = ["name", "magnitude", "fault_fid", "depth_km", "lat", "lon", "strike_deg", "replay_hours"];
  const sync = () => newOnly.forEach((k) => (form.fields.get(k).wrapper.hidden = Boolean(scn.value)));
  scn.addEventListener("change", sync);
  sync();
  const { submit, row } = submitRow(t("ops.intake.start"), "ops-exercise-submit");
  const el = h("form", { novalidate: true }, form.alert, h("p", { class: "ops-ex-note" }, h("span", { class: "ops-ex-chip" }, t("ops.exercise_label")), " ", t("ops.intake.exercise_note")), form.grid, h("div", { class: "ops-row" }, pickButton(form, map)), row);
  body.append(el);
  el.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    form.clearErrors();
    submit.disabled = true;
    try {
      const v = form.values();
      let id = v.scenario_id ? Number(v.scenario_id) : null;
      if (!id) {
        if (!v.name.trim()) throw new FieldError("name", t("validation.missing"));
        const made = await api("POST", "/api/quake-scenarios", {
          body: {
            name: v.name.trim(),
            magnitude: number(v.magnitude, "magnitude"),
            fault_fid: v.fault_fid || null,
            lat: number(v.lat, "lat", { required: false }),
            lon: number(v.lon, "lon", { required: false }),
            depth_km: number(v.depth_km, "depth_km"),
            strike_deg: number(v.strike_deg, "strike_deg", { required: false }),
            replay_hours: number(v.replay_hours, "replay_hours"),
          },
        });
        id = made.id;
      }
      const inc = await api("POST", "/api/incidents/exercise", { body: { scenario_id: id, replay: replay.checked, drill_id: v.drill_id || null } });
      onStarted(inc);
      done();
    } catch (err) {
      form.showError(err);
    } finally {
      submit.disabled = false;
    }
  });
  return done;
}

/** Set the long-axis strike of an open incident by hand (empty: back to the faults layer). */
export function strikeDialog(inc) {
  const form = new Form({ columns: 1 });
  const op = inc.strike?.source === "operator" ? String(inc.strike.strike_deg) : "";
  form.text("strike_deg", t("ops.intake.strike"), { type: "number", step: "any", min: "0", max: "360", value: op, hint: t("ops.strike.hint") });
  return formDialog({
    title: t("ops.strike.set"),
    form,
    narrow: true,
    testid: "ops-strike-dialog",
    submitLabel: t("ops.strike.apply"),
    onSubmit: (v) =>
      api("PUT", `/api/incidents/${inc.id}/strike`, { body: { strike_deg: number(v.strike_deg, "strike_deg", { required: false }) } }),
  });
}
