// Small shared widgets: language switch, theme toggle, connection indicator, badges.

import { h, replace } from "../dom.js";
import { getLocale, LOCALES, setLocale, t } from "../i18n.js";
import { onConnectionState } from "../events.js";
import { icon } from "./icons.js";

const THEME_KEY = "eoc.theme";
const LANGUAGE_LABELS = { "zh-CN": "中文", en: "EN" };

/** zh-CN / en buttons; the choice is remembered in localStorage. */
export function languageSwitch() {
  const current = getLocale();
  return h(
    "div",
    { class: "lang-switch", role: "group", "aria-label": t("shell.language") },
    LOCALES.map((locale) =>
      h(
        "button",
        {
          type: "button",
          lang: locale,
          "aria-pressed": String(locale === current),
          "data-testid": `lang-${locale}`,
          onclick: () => locale !== getLocale() && setLocale(locale, { remember: true }),
        },
        LANGUAGE_LABELS[locale],
      ),
    ),
  );
}

/** The saved theme, defaulting to dark (control rooms are dim). */
export function savedTheme() {
  try {
    return localStorage.getItem(THEME_KEY) === "light" ? "light" : "dark";
  } catch {
    return "dark";
  }
}

/** Apply a theme to the document and remember it. */
export function applyTheme(theme, { remember = false } = {}) {
  document.documentElement.dataset.theme = theme;
  if (!remember) return;
  try {
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    // not persisted
  }
}

/** Live websocket state: connected / reconnecting / offline. Returns [element, unsubscribe]. */
export function connectionIndicator() {
  const label = h("span");
  const el = h(
    "div",
    { class: "conn", role: "status", "data-testid": "conn-indicator" },
    h("span", { class: "dot", "aria-hidden": "true" }),
    label,
  );
  const off = onConnectionState((state) => {
    el.dataset.state = state;
    el.title = t(`conn.${state}.hint`);
    replace(label, t(`conn.${state}`));
  });
  return [el, off];
}

/** A badge for a role. */
export function roleBadge(role) {
  return h("span", { class: `badge role-${role}` }, t(`role.${role}`));
}

/** A button with an icon and a label. */
export function iconButton(name, label, attrs = {}) {
  return h("button", { type: "button", class: "btn", ...attrs }, icon(name), h("span", {}, label));
}
