// Sign in again over the page when the session ends (idle timeout, revoked): the page and every
// half-filled form stay as they are, and the request that met the 401 is sent again afterwards.
// Concurrent 401s share one dialog. "Sign out" gives up and lets the shell show the login page.

import { ApiError, problemMessage } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { currentUser, login } from "../session.js";

let pending = null;

function ask(username) {
  return new Promise((resolve) => {
    let ok = false;
    const dialog = h("dialog", {
      class: "dialog narrow relogin",
      "aria-labelledby": "relogin-title",
      "data-testid": "relogin-dialog",
    });
    const error = h("div", { class: "alert", role: "alert", "data-testid": "relogin-error" });
    const user = h("input", {
      class: "input",
      id: "relogin-username",
      name: "username",
      autocomplete: "username",
      value: username,
      readonly: Boolean(username),
      required: true,
      "data-testid": "relogin-username",
    });
    const pass = h("input", {
      class: "input",
      id: "relogin-password",
      name: "password",
      type: "password",
      autocomplete: "current-password",
      required: true,
      "data-testid": "relogin-password",
    });
    const submit = h(
      "button",
      { type: "submit", class: "btn btn-primary", "data-testid": "relogin-submit" },
      t("login.submit"),
    );
    const leave = h(
      "button",
      { type: "button", class: "btn", "data-testid": "relogin-signout", onclick: () => dialog.close() },
      t("shell.logout"),
    );
    const form = h(
      "form",
      { novalidate: true },
      h("div", { class: "dialog-head" }, h("h2", { id: "relogin-title" }, t("relogin.title"))),
      h(
        "div",
        { class: "dialog-body" },
        h("p", {}, t("relogin.hint")),
        error,
        h("div", { class: "field" }, h("label", { for: "relogin-username" }, t("login.username")), user),
        h("div", { class: "field" }, h("label", { for: "relogin-password" }, t("login.password")), pass),
      ),
      h("div", { class: "dialog-foot" }, leave, submit),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      error.textContent = "";
      if (!user.value.trim() || !pass.value) {
        error.textContent = t("login.missing");
        return;
      }
      submit.disabled = true;
      try {
        await login(user.value.trim(), pass.value);
        ok = true;
        dialog.close();
      } catch (err) {
        pass.value = "";
        if (err instanceof ApiError && err.status === 401) error.textContent = t("login.bad_credentials");
        else error.textContent = problemMessage(err);
        pass.focus();
      } finally {
        submit.disabled = false;
      }
    });
    // Esc must not throw the page's work away: only "Sign out" leaves.
    dialog.addEventListener("cancel", (ev) => ev.preventDefault());
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(ok);
    });
    dialog.append(form);
    document.body.append(dialog);
    dialog.showModal();
    (username ? pass : user).focus();
  });
}

/**
 * Ask the user to sign in again (one dialog however many requests wait). Resolves true when
 * signed in as the same user, false when they chose to sign out.
 */
export function relogin() {
  if (!pending) {
    const username = currentUser()?.username || "";
    pending = ask(username).finally(() => {
      pending = null;
    });
  }
  return pending;
}
