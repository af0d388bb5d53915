// Durations in natural units for people: seconds, minutes, hours, and days from two days up
// ("14 days", never "336 h"). Every page shows durations through these helpers.

import { t } from "../i18n.js";

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;

/**
 * Seconds as "45 s", "12 min", "3 h 20 min", "14 days", "2 days 4 h" in the UI language.
 * `precise` keeps the seconds below an hour ("2 min 30 s"). "" when the value is not a number.
 */
export function durationText(seconds, { precise = false } = {}) {
  if (seconds === null || seconds === undefined || seconds === "") return "";
  const value = Number(seconds);
  if (!Number.isFinite(value)) return "";
  const secs = Math.max(0, Math.round(value));
  if (secs < MINUTE) return t("dur.s", { n: secs });
  if (secs < HOUR) {
    const m = Math.floor(secs / MINUTE);
    const s = secs % MINUTE;
    return precise && s ? t("dur.ms", { m, s }) : t("dur.m", { n: m });
  }
  if (secs < 2 * DAY) {
    const h = Math.floor(secs / HOUR);
    const m = Math.floor((secs % HOUR) / MINUTE);
    return m ? t("dur.hm", { h, m }) : t("dur.h", { n: h });
  }
  const d = Math.floor(secs / DAY);
  const h = Math.floor((secs % DAY) / HOUR);
  return h ? t("dur.dh", { d, h }) : t("dur.d", { n: d });
}

/** Hours (possibly fractional, as APIs send gaps and windows) in natural units. */
export function hoursText(hours) {
  const value = Number(hours);
  return Number.isFinite(value) ? durationText(value * HOUR) : "";
}

/** The time from an ISO instant until now (or `until`, epoch ms) in natural units. */
export function elapsedText(fromIso, until = Date.now()) {
  const start = Date.parse(fromIso || "");
  if (Number.isNaN(start)) return "";
  return durationText((until - start) / 1000);
}
