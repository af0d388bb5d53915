// Form builder with inline field errors mapped from problem documents (errors[].loc).

import { ApiError, fieldMessage, fieldOf, problemMessage } from "../api.js";
import { h, replace } from "../dom.js";
import { t } from "../i18n.js";

let serial = 0;

/** A client-side validation failure for one field (shown like a server field error). */
export class FieldError extends Error {
  constructor(field, message) {
    super(message);
    this.name = "FieldError";
    this.field = field;
  }
}

/** A set of labelled fields; `values()` reads them, `showError(err)` marks the bad ones. */
export class Form {
  constructor({ columns = 2 } = {}) {
    this.fields = new Map();
    this.alert = h("div", { class: "alert", role: "alert", hidden: true });
    this.grid = h("div", { class: columns === 2 ? "form-grid" : "dialog-body" });
  }

  #wrap(name, label, control, { span = false, hint = null, group = false } = {}) {
    const id = `f${++serial}-${name}`;
    const errorId = `${id}-error`;
    const hintId = `${id}-hint`;
    const error = h("div", { class: "field-error", id: errorId });
    const labelEl = group ? h("legend", {}, label) : h("label", { for: control.id || id }, label);
    if (!group && !control.id) control.id = id;
    control.setAttribute("aria-describedby", hint ? `${hintId} ${errorId}` : errorId);
    const wrapper = h(
      group ? "fieldset" : "div",
      { class: `field${span ? " span-2" : ""}`, dataset: { field: name } },
      labelEl,
      control,
      hint ? h("div", { class: "field-hint", id: hintId }, hint) : null,
      error,
    );
    this.fields.set(name, { wrapper, control, error });
    this.grid.append(wrapper);
    return control;
  }

  /** A text-like input (type text, password, number, date ...). */
  text(name, label, { type = "text", value = "", required = false, span = false, ...rest } = {}) {
    const { hint, ...attrs } = rest;
    const input = h("input", { class: "input", name, type, value, required, ...attrs });
    return this.#wrap(name, label, input, { span, hint });
  }

  /** A select; options are [{value, label, disabled?}]. */
  select(name, label, options, { value = "", span = false, required = false, hint } = {}) {
    const select = h(
      "select",
      { class: "select", name, required },
      options.map((o) => h("option", { value: String(o.value), disabled: o.disabled }, o.label)),
    );
    select.value = String(value ?? "");
    return this.#wrap(name, label, select, { span, hint });
  }

  /** A group of checkboxes (multi-select); options are [{value, label}]. */
  checks(name, label, options, { values = [], span = true, hint } = {}) {
    const box = h(
      "div",
      { class: "checks", role: "group" },
      options.map((o) =>
        h(
          "label",
          { class: "check" },
          h("input", { type: "checkbox", name, value: o.value, checked: values.includes(o.value) }),
          h("span", {}, o.label),
        ),
      ),
    );
    return this.#wrap(name, label, box, { span, hint, group: true });
  }

  /** A single on/off checkbox. */
  toggle(name, label, text, { checked = false, span = true } = {}) {
    const input = h("input", { type: "checkbox", name, checked });
    const box = h("label", { class: "switch" }, input, h("span", {}, text));
    this.#wrap(name, label, box, { span, group: true });
    this.fields.get(name).input = input;
    return input;
  }

  /** Current values: strings for inputs/selects, arrays for check groups, booleans for toggles. */
  values() {
    const out = {};
    for (const [name, field] of this.fields) {
      const { control } = field;
      if (field.input) out[name] = field.input.checked;
      else if (control.classList.contains("checks")) {
        out[name] = [...control.querySelectorAll("input:checked")].map((i) => i.value);
      } else out[name] = control.value;
    }
    return out;
  }

  /** Focus the first field. */
  focus() {
    const first = this.fields.values().next().value;
    (first?.input || first?.control.querySelector?.("input") || first?.control)?.focus();
  }

  /** Remove all error marks. */
  clearErrors() {
    this.alert.hidden = true;
    replace(this.alert);
    for (const { control, error } of this.fields.values()) {
      control.removeAttribute("aria-invalid");
      replace(error);
    }
  }

  /** Mark a field as invalid with a message. Returns false when the form has no such field. */
  setFieldError(name, message) {
    const field = this.fields.get(name);
    if (!field) return false;
    field.control.setAttribute("aria-invalid", "true");
    const error = field.error;
    replace(error, error.textContent ? `${error.textContent} ` : "", message);
    return true;
  }

  /** Show a general (not field-bound) error above the fields. */
  setAlert(message) {
    replace(this.alert, message);
    this.alert.hidden = false;
  }

  /**
   * Show an API error: each errors[] entry next to the field its `loc` names; a 409 without
   * field errors goes to `conflictField`; anything left over in the alert. Focuses the first bad
   * field so keyboard users land on it.
   */
  showError(err, { conflictField = null } = {}) {
    this.clearErrors();
    let placed = 0;
    if (err instanceof FieldError && this.setFieldError(err.field, err.message)) placed += 1;
    if (err instanceof ApiError) {
      for (const item of err.fieldErrors) {
        const name = fieldOf(item.loc);
        const message = err.status === 409 ? t("validation.duplicate") : fieldMessage(item);
        if (this.setFieldError(name, message)) placed += 1;
      }
      if (err.status === 409 && placed === 0 && conflictField && err.code === "duplicate") {
        if (this.setFieldError(conflictField, t("validation.duplicate"))) placed += 1;
      }
    }
    if (placed === 0) {
      this.setAlert(err instanceof FieldError ? err.message : problemMessage(err));
    }
    const bad = [...this.fields.values()].find((f) => f.control.getAttribute("aria-invalid"));
    (bad?.control.querySelector?.("input") || bad?.control)?.focus();
  }
}
