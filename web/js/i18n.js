// Message catalogues (web/i18n/<locale>.json, flat dotted keys) and locale-aware formatting.

export const LOCALES = ["zh-CN", "en"];
export const FALLBACK = "en";
const STORAGE_KEY = "eoc.locale";

let current = FALLBACK;
let messages = {};
let fallback = {};
const listeners = new Set();
const cache = new Map();
const missing = new Set();

async function load(locale) {
  if (!cache.has(locale)) {
    const url = new URL(`../i18n/${locale}.json`, import.meta.url);
    cache.set(
      locale,
      fetch(url, { credentials: "same-origin" }).then((r) => {
        if (!r.ok) throw new Error(`catalogue ${locale}: HTTP ${r.status}`);
        return r.json();
      }),
    );
  }
  return cache.get(locale);
}

/** The locale saved by the user's last explicit choice, if any. */
export function storedLocale() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    return LOCALES.includes(saved) ? saved : null;
  } catch {
    return null; // storage can be disabled by policy
  }
}

/** Map a BCP 47 tag to a supported locale (any Chinese -> zh-CN, any English -> en). */
export function matchLocale(tag) {
  const lower = String(tag || "").toLowerCase();
  if (lower === "zh" || lower.startsWith("zh-")) return "zh-CN";
  if (lower === "en" || lower.startsWith("en-")) return "en";
  return null;
}

/** Saved choice, else the first browser language we support, else the site default, else en. */
export function detectLocale(siteDefault = null) {
  const saved = storedLocale();
  if (saved) return saved;
  const prefs = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const tag of prefs) {
    const match = matchLocale(tag);
    if (match) return match;
  }
  return LOCALES.includes(siteDefault) ? siteDefault : FALLBACK;
}

/** Load a locale's catalogue and make it current; `remember` saves it as the user's choice. */
export async function setLocale(locale, { remember = false } = {}) {
  if (!LOCALES.includes(locale)) locale = FALLBACK;
  const [msgs, base] = await Promise.all([load(locale), load(FALLBACK)]);
  messages = msgs;
  fallback = base;
  current = locale;
  document.documentElement.lang = locale;
  if (remember) {
    try {
      localStorage.setItem(STORAGE_KEY, locale);
    } catch {
      // not persisted; the choice still applies to this page
    }
  }
  for (const fn of listeners) fn(locale);
}

/** The current locale. */
export function getLocale() {
  return current;
}

/** Run `fn(locale)` after every locale change; returns an unsubscribe function. */
export function onLocaleChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Whether the current catalogue (or the fallback) has this key. */
export function has(key) {
  return key in messages || key in fallback;
}

/** Translate `key`, replacing {name} placeholders with `params`. */
export function t(key, params = {}) {
  const text = messages[key] ?? fallback[key];
  if (text === undefined) {
    if (!missing.has(key)) {
      missing.add(key);
      console.warn("i18n: missing key %s", key);
    }
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/** A unit's name in the current language (English name falls back to the Chinese one). */
export function unitName(unit) {
  if (!unit) return "";
  return current === "en" && unit.name_en ? unit.name_en : unit.name;
}

/** Format an ISO timestamp as local date and time. */
export function formatDateTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(current, {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  }).format(date);
}
