// The sign-in screen: credentials, errors in the UI language, a countdown when rate limited.

import { ApiError, problemMessage } from "./api.js";
import { h, replace } from "./dom.js";
import { getLocale, onLocaleChange, t } from "./i18n.js";
import { login } from "./session.js";
import { icon } from "./ui/icons.js";
import { languageSwitch } from "./ui/widgets.js";

/**
 * Render the login screen into `root`. Calls onLoggedIn(session) after a successful sign-in.
 * `notice` is an i18n key shown above the form (e.g. the session expired). Returns a cleanup.
 */
export function renderLogin(root, { meta, notice = null, onLoggedIn }) {
  const state = { username: "", password: "", error: null, lockedUntil: 0, lockedFor: "", notice };
  let timer = null;

  function lockMessage() {
    const seconds = Math.max(0, Math.ceil((state.lockedUntil - Date.now()) / 1000));
    return t("login.rate_limited", { seconds });
  }

  function draw() {
    const user = h("input", {
      class: "input",
      id: "login-username",
      name: "username",
      autocomplete: "username",
      autocapitalize: "off",
      spellcheck: "false",
      required: true,
      value: state.username,
      "data-testid": "login-username",
    });
    const pass = h("input", {
      class: "input",
      id: "login-password",
      name: "password",
      type: "password",
      autocomplete: "current-password",
      required: true,
      value: state.password,
      "data-testid": "login-password",
    });
    // The server throttles per account (and per address): another account may try at once.
    const isLocked = () => state.lockedUntil > Date.now() && user.value.trim() === state.lockedFor;
    const locked = isLocked();
    const error = h(
      "div",
      { class: "alert", role: "alert", id: "login-error", "data-testid": "login-error" },
      locked ? lockMessage() : state.error?.(),
    );
    const submit = h(
      "button",
      { type: "submit", class: "btn btn-primary", disabled: locked, "data-testid": "login-submit" },
      t("login.submit"),
    );
    const form = h(
      "form",
      { novalidate: true, "aria-describedby": "login-error" },
      state.notice ? h("div", { class: "alert info" }, t(state.notice)) : null,
      error,
      h(
        "div",
        { class: "field" },
        h("label", { for: "login-username" }, t("login.username")),
        user,
      ),
      h(
        "div",
        { class: "field" },
        h("label", { for: "login-password" }, t("login.password")),
        pass,
      ),
      submit,
    );
    user.addEventListener("input", () => {
      state.username = user.value;
      submit.disabled = isLocked();
    });
    pass.addEventListener("input", () => (state.password = pass.value));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!user.value.trim() || !pass.value) {
        state.error = () => t("login.missing");
        state.notice = null;
        draw();
        return;
      }
      submit.disabled = true;
      try {
        const session = await login(user.value.trim(), pass.value);
        cleanup();
        onLoggedIn(session);
      } catch (err) {
        state.password = "";
        state.notice = null;
        if (err instanceof ApiError && err.status === 429) {
          const wait = err.retryAfter ?? err.problem.retry_after ?? 30;
          state.lockedUntil = Date.now() + wait * 1000;
          state.lockedFor = user.value.trim();
          startCountdown();
        } else if (err instanceof ApiError && err.status === 401) {
          state.error = () => t("login.bad_credentials");
        } else {
          state.error = () => problemMessage(err);
        }
        draw();
      }
    });
    const site = meta?.site;
    const siteName = site ? (getLocale() === "en" ? site.name_en || site.name : site.name) : "";
    replace(
      root,
      h(
        "div",
        { class: "login", "data-testid": "login-view" },
        h("div", { class: "login-top" }, languageSwitch()),
        h(
          "main",
          { class: "login-main" },
          h(
            "section",
            { class: "login-card", "aria-labelledby": "login-title" },
            h(
              "div",
              { class: "login-brand" },
              h("span", { class: "brand-mark" }, icon("brand")),
              h("h1", { id: "login-title", "data-testid": "product-name" }, t("app.name")),
            ),
            h("p", { class: "login-sub" }, siteName || t("app.tagline")),
            form,
            meta?.demo ? h("div", { class: "login-hint" }, t("login.demo_hint")) : null,
          ),
        ),
        h("footer", { class: "login-foot" }, t("app.footer", { version: meta?.version || "" })),
      ),
    );
    (state.username ? pass : user).focus();
  }

  function startCountdown() {
    clearInterval(timer);
    timer = setInterval(() => {
      const el = root.querySelector("#login-error");
      if (Date.now() >= state.lockedUntil) {
        clearInterval(timer);
        state.lockedUntil = 0;
        state.error = null;
        draw();
      } else if (el) {
        el.textContent = lockMessage();
      }
    }, 1000);
  }

  const offLocale = onLocaleChange(draw);
  function cleanup() {
    clearInterval(timer);
    offLocale();
  }
  draw();
  return cleanup;
}
