// Recurrence: a simple builder (none / weekly / monthly / yearly, every N, count or until)
// kept in step with a raw RFC 5545 RRULE field for anything the builder cannot say.

import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import { dayOf, localToIso } from "./common.js";

const FREQS = ["", "WEEKLY", "MONTHLY", "YEARLY"];

/** Parse "FREQ=WEEKLY;INTERVAL=2;COUNT=4" into {freq, interval, count, until} (null if custom).
 * A UTC UNTIL (RFC 5545, as the server stores it) is shown as its day in `zone`. */
export function parseRule(text, zone = "Asia/Shanghai") {
  const raw = String(text || "")
    .trim()
    .replace(/^RRULE:/i, "");
  if (!raw) return { freq: "", interval: 1, count: "", until: "" };
  const parts = Object.fromEntries(
    raw.split(";").map((kv) => {
      const [k, v = ""] = kv.split("=");
      return [k.trim().toUpperCase(), v.trim()];
    }),
  );
  const known = new Set(["FREQ", "INTERVAL", "COUNT", "UNTIL"]);
  if (Object.keys(parts).some((k) => !known.has(k)) || !FREQS.includes(parts.FREQ)) return null;
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(parts.UNTIL || "");
  let until = "";
  if (m && m[7]) until = dayOf(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`, zone);
  else if (m) until = `${m[1]}-${m[2]}-${m[3]}`;
  return {
    freq: parts.FREQ,
    interval: Number(parts.INTERVAL || 1),
    count: parts.COUNT || "",
    until,
  };
}

/** The end of `day` (23:59:59 wall time in `zone`) as an RFC 5545 UTC UNTIL value. */
export function untilUtc(day, zone = "Asia/Shanghai") {
  const ms = Date.parse(localToIso(`${day}T23:59`, zone)) + 59000;
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/** Build an RRULE from the builder's values ("" for none); UNTIL ends the chosen day in `zone`. */
export function buildRule({ freq, interval, count, until }, zone = "Asia/Shanghai") {
  if (!freq) return "";
  const out = [`FREQ=${freq}`];
  if (Number(interval) > 1) out.push(`INTERVAL=${Number(interval)}`);
  if (count) out.push(`COUNT=${Number(count)}`);
  else if (until) out.push(`UNTIL=${untilUtc(until, zone)}`);
  return out.join(";");
}

/** The recurrence control: {el, read()} where read() gives the RRULE text or null. */
export function recurrenceField(rrule, readOnly, zoneOf = () => "Asia/Shanghai") {
  const freq = h(
    "select",
    { class: "select", "data-testid": "rrule-freq", "aria-label": t("drills.rrule.freq") },
    FREQS.map((f) => h("option", { value: f }, t(`drills.rrule.${f || "none"}`))),
    h("option", { value: "custom", disabled: true }, t("drills.rrule.custom")),
  );
  const interval = h("input", { class: "input", type: "number", min: 1, max: 99, "data-testid": "rrule-interval", "aria-label": t("drills.rrule.interval") });
  const count = h("input", { class: "input", type: "number", min: 1, max: 366, "data-testid": "rrule-count", "aria-label": t("drills.rrule.count") });
  const until = h("input", { class: "input", type: "date", "data-testid": "rrule-until", "aria-label": t("drills.rrule.until") });
  const raw = h("input", { class: "input mono", "data-testid": "plan-rrule", maxlength: 500, placeholder: "FREQ=YEARLY;COUNT=3", "aria-label": t("drills.rrule.raw") });
  raw.value = rrule || "";
  const fromRaw = () => {
    const parsed = parseRule(raw.value, zoneOf());
    if (!parsed) {
      freq.value = "custom";
      return;
    }
    freq.value = parsed.freq;
    interval.value = parsed.interval;
    count.value = parsed.count;
    until.value = parsed.until;
  };
  const toRaw = () => {
    if (freq.value === "custom") return;
    raw.value = buildRule({ freq: freq.value, interval: interval.value, count: count.value, until: until.value }, zoneOf());
  };
  fromRaw();
  for (const el of [freq, interval, count, until]) el.addEventListener("change", toRaw);
  count.addEventListener("input", () => count.value && (until.value = ""));
  until.addEventListener("input", () => until.value && (count.value = ""));
  raw.addEventListener("change", fromRaw);
  const lab = (key, el) => h("label", { class: "inline-field" }, h("span", {}, t(key)), el);
  const el = h(
    "div",
    { class: "recurrence" },
    h("div", { class: "row-fields" }, lab("drills.rrule.freq", freq), lab("drills.rrule.interval", interval), lab("drills.rrule.count", count), lab("drills.rrule.until", until)),
    lab("drills.rrule.raw", raw),
  );
  if (readOnly) for (const x of [freq, interval, count, until, raw]) x.disabled = true;
  return { el, read: () => raw.value.trim().replace(/^RRULE:/i, "") || null };
}
