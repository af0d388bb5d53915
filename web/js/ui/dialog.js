// Modal dialogs on the native <dialog> element (focus trap, Esc to close, backdrop for free).

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { icon } from "./icons.js";

function shell({ title, narrow = false, testid = null }) {
  const titleId = `dlg-${Math.random().toString(36).slice(2, 9)}`;
  const dialog = h("dialog", {
    class: `dialog${narrow ? " narrow" : ""}`,
    "aria-labelledby": titleId,
    "data-testid": testid,
  });
  const close = h(
    "button",
    {
      type: "button",
      class: "icon-btn",
      "aria-label": t("action.close"),
      onclick: () => dialog.close(),
    },
    icon("close"),
  );
  const head = h("div", { class: "dialog-head" }, h("h2", { id: titleId }, title), close);
  dialog.addEventListener("close", () => dialog.remove());
  return { dialog, head };
}

/**
 * A dialog around a Form. `onSubmit(values)` may throw an ApiError, which is shown inline
 * (field errors next to their fields). Resolves with onSubmit's result, or null if cancelled.
 */
export function formDialog({
  title,
  form,
  submitLabel,
  onSubmit,
  narrow,
  testid,
  intro,
  conflictField,
}) {
  return new Promise((resolve) => {
    const { dialog, head } = shell({ title, narrow, testid });
    let result = null;
    const submit = h(
      "button",
      { type: "submit", class: "btn btn-primary", "data-testid": "dialog-submit" },
      submitLabel,
    );
    const cancel = h(
      "button",
      { type: "button", class: "btn", onclick: () => dialog.close() },
      t("action.cancel"),
    );
    const body = h("div", { class: "dialog-body" }, intro || null, form.alert, form.grid);
    const el = h(
      "form",
      { novalidate: true },
      head,
      body,
      h("div", { class: "dialog-foot" }, cancel, submit),
    );
    el.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      form.clearErrors();
      submit.disabled = true;
      try {
        result = await onSubmit(form.values());
        dialog.close();
      } catch (err) {
        if (!["ApiError", "FieldError"].includes(err?.name)) console.error(err);
        form.showError(err, { conflictField });
      } finally {
        submit.disabled = false;
      }
    });
    dialog.addEventListener("close", () => resolve(result));
    dialog.append(el);
    document.body.append(dialog);
    dialog.showModal();
    form.focus();
  });
}

/** Ask for confirmation; resolves true when confirmed. */
export function confirmDialog({ title, message, confirmLabel, danger = false }) {
  return new Promise((resolve) => {
    const { dialog, head } = shell({ title, narrow: true, testid: "confirm-dialog" });
    let ok = false;
    const yes = h(
      "button",
      {
        type: "button",
        class: `btn ${danger ? "btn-danger" : "btn-primary"}`,
        onclick: () => {
          ok = true;
          dialog.close();
        },
      },
      confirmLabel,
    );
    const no = h(
      "button",
      { type: "button", class: "btn", onclick: () => dialog.close() },
      t("action.cancel"),
    );
    dialog.append(
      head,
      h("div", { class: "dialog-body" }, h("p", {}, message)),
      h("div", { class: "dialog-foot" }, no, yes),
    );
    dialog.addEventListener("close", () => resolve(ok));
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}

/** A dialog showing content with a single close button (e.g. a secret shown once). */
export function infoDialog({ title, content, testid }) {
  return new Promise((resolve) => {
    const { dialog, head } = shell({ title, testid });
    const done = h(
      "button",
      { type: "button", class: "btn btn-primary", onclick: () => dialog.close() },
      t("action.done"),
    );
    dialog.append(
      head,
      h("div", { class: "dialog-body" }, content),
      h("div", { class: "dialog-foot" }, done),
    );
    dialog.addEventListener("close", () => resolve());
    document.body.append(dialog);
    dialog.showModal();
  });
}
