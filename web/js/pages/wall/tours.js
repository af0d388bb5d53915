// Tours authored on the wall: a name, unit sharing, and steps (a camera or a saved wall, each
// shown for a dwell time), reordered with arrows. Saved through /api/tours; the server checks
// every camera and wall is visible to the author and names the bad step when one is not.

import { api, ApiError } from "../../api.js";
import { h, replace } from "../../dom.js";
import { t } from "../../i18n.js";
import { confirmDialog, formDialog } from "../../ui/dialog.js";
import { FieldError, Form } from "../../ui/form.js";

const DWELL = { min: 3, max: 3600, fallback: 10 };

function stepRow(step, ctx, rows) {
  const kind = h(
    "select",
    { class: "select", "aria-label": t("wall.tour_kind"), "data-testid": "tour-step-kind" },
    h("option", { value: "camera" }, t("wall.tour_camera")),
    h("option", { value: "wall" }, t("wall.tour_wall")),
  );
  const ref = h("select", { class: "select", "aria-label": t("wall.tour_ref"), "data-testid": "tour-step-ref" });
  const fill = () => {
    const items =
      kind.value === "camera"
        ? ctx.cameras.map((c) => ({ value: c.id, label: `${c.name} · ${c.id}` }))
        : ctx.walls.map((w) => ({ value: String(w.id), label: w.name }));
    replace(ref, ...items.map((o) => h("option", { value: o.value }, o.label)));
  };
  kind.value = step.kind;
  fill();
  ref.value = String(step.ref ?? "");
  kind.addEventListener("change", fill);
  const dwell = h("input", {
    class: "input",
    type: "number",
    min: DWELL.min,
    max: DWELL.max,
    step: 1,
    value: step.dwell_s ?? DWELL.fallback,
    "aria-label": t("wall.tour_dwell"),
    "data-testid": "tour-step-dwell",
  });
  const error = h("div", { class: "field-error" });
  const row = h("li", { class: "tour-step", "data-testid": "tour-step" });
  const move = (by) => {
    const at = rows.indexOf(row);
    const to = at + by;
    if (to < 0 || to >= rows.length) return;
    rows.splice(at, 1);
    rows.splice(to, 0, row);
    row.parentElement.replaceChildren(...rows);
  };
  const btn = (label, testid, fn) =>
    h("button", { type: "button", class: "btn btn-sm", "aria-label": label, title: label, "data-testid": testid, onclick: fn }, label);
  replace(
    row,
    kind,
    ref,
    h("label", { class: "tour-dwell" }, dwell, h("span", {}, t("wall.tour_seconds"))),
    btn("↑", "tour-step-up", () => move(-1)),
    btn("↓", "tour-step-down", () => move(1)),
    btn("✕", "tour-step-remove", () => {
      rows.splice(rows.indexOf(row), 1);
      row.remove();
    }),
    error,
  );
  row.read = () => ({ kind: kind.value, ref: ref.value, dwell_s: Number(dwell.value) });
  row.fail = (msg) => {
    replace(error, msg);
    row.setAttribute("aria-invalid", "true");
  };
  row.clear = () => {
    replace(error);
    row.removeAttribute("aria-invalid");
  };
  return row;
}

/** Create (tour = null) or edit a tour; resolves with the saved tour or null. */
export function tourDialog(tour, ctx) {
  const form = new Form({ columns: 1 });
  form.text("name", t("wall.tour_name"), { required: true, maxlength: 100, value: tour?.name || "" });
  if (ctx.canShare) form.toggle("shared", t("wall.shared"), t("wall.shared_hint"), { checked: Boolean(tour?.shared) });
  const rows = [];
  const list = h("ol", { class: "tour-steps", "data-testid": "tour-steps" });
  const add = (step) => {
    const row = stepRow(step, ctx, rows);
    rows.push(row);
    list.append(row);
  };
  (tour?.steps || []).forEach(add);
  const addBtn = h(
    "button",
    { type: "button", class: "btn", "data-testid": "tour-step-add" },
    t("wall.tour_add_step"),
  );
  addBtn.addEventListener("click", () => {
    const last = rows.at(-1)?.read();
    add({ kind: last?.kind || "camera", ref: "", dwell_s: last?.dwell_s || DWELL.fallback });
  });
  form.grid.append(h("div", { class: "field span-2" }, h("span", { class: "field-label" }, t("wall.tour_steps")), list, addBtn));
  return formDialog({
    title: tour ? t("wall.tour_edit") : t("wall.tour_new"),
    form,
    testid: "tour-dialog",
    submitLabel: t("wall.save"),
    onSubmit: async (v) => {
      rows.forEach((r) => r.clear());
      const steps = rows.map((r) => r.read());
      if (!steps.length) throw new FieldError("steps", t("wall.tour_no_steps"));
      steps.forEach((s, i) => {
        if (!Number.isInteger(s.dwell_s) || s.dwell_s < DWELL.min || s.dwell_s > DWELL.max) {
          rows[i].fail(t("wall.tour_bad_dwell", { min: DWELL.min, max: DWELL.max }));
        } else if (!s.ref) rows[i].fail(t("wall.tour_pick"));
      });
      if (rows.some((r) => r.hasAttribute("aria-invalid"))) throw new FieldError("steps", t("wall.tour_fix_steps"));
      const body = { name: v.name.trim(), steps, shared: Boolean(v.shared) };
      try {
        return tour
          ? await api("PUT", `/api/tours/${tour.id}`, { body, query: { version: tour.version } })
          : await api("POST", "/api/tours", { body });
      } catch (err) {
        // body.steps[2].ref -> the third row
        for (const e of err instanceof ApiError ? err.fieldErrors : []) {
          const m = /steps\[(\d+)\]/.exec(String(e.loc));
          if (m && rows[Number(m[1])]) rows[Number(m[1])].fail(e.msg);
        }
        throw err;
      }
    },
  });
}

/** Ask, then delete a tour; resolves true when it was deleted. */
export async function deleteTour(tour) {
  const ok = await confirmDialog({
    title: t("wall.tour_delete"),
    message: t("wall.tour_delete_confirm", { name: tour.name }),
    confirmLabel: t("wall.tour_delete"),
    danger: true,
  });
  if (!ok) return false;
  await api("DELETE", `/api/tours/${tour.id}`);
  return true;
}
