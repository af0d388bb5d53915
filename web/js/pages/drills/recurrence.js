// Recurrence: a simple builder (none / weekly / monthly / yearly, every N, count or until)
// kept in step with a raw RFC 5545 RRULE field for anything the builder cannot say.

import { h } from "../../dom.js";
import { t } from "../../i18n.js";

const FREQS = ["", "WEEKLY", "MONTHLY", "YEARLY"];

/** Parse "FREQ=WEEKLY;INTERVAL=2;COUNT=4" into {freq, interval, count, until} (null if custom). */
export function parseRule(text) {
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
  const until = /^(\d{4})(\d{2})(\d{2})/.exec(parts.UNTIL || "");
  return {
    freq: parts.FREQ,
    interval: Number(parts.INTERVAL || 1),
    count: parts.COUNT || "",
    until: until ? `${until[1]}-${until[2]}-${until[3]}` : "",
  };
}

/** Build an RRULE from the builder's values ("" for none). */
export function buildRule({ freq, interval, count, until }) {
  if (!freq) return "";
  const out = [`FREQ=${freq}`];
  if (Number(interval) > 1) out.push(`INTERVAL=${Number(interval)}`);
  if (count) out.push(`COUNT=${Number(count)}`);
  else if (until) out.push(`UNTIL=${until.replaceAll("-", "")}T235959Z`);
  return out.join(";");
}

/** The recurrence control: {el, read()} where read() gives the RRULE text or null. */
export function recurrenceField(rrule, readOnly) {
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
    const parsed = parseRule(raw.value);
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
    raw.value = buildRule({ freq: freq.value, interval: interval.value, count: count.value, until: until.value });
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
