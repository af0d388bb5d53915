// Core capabilities an exercise objective tests (HSEEP-style codes stored in the plan), shown
// and typed as words in the UI language; anything else stays the user's own text.

import { has, t } from "../../i18n.js";

export const CAPABILITIES = [
  "evacuation",
  "mass_care",
  "public_information",
  "operational_communications",
  "on_scene_security",
  "search_and_rescue",
  "medical",
  "situational_assessment",
];

/** A capability code in words ("mass_care" -> "Mass care"); free text is shown as typed. */
export function capabilityLabel(code) {
  const key = `drills.capability.${code}`;
  return code && has(key) ? t(key) : String(code || "");
}

/** The code for what the user typed: a known label (UI language) or code, else the text. */
export function capabilityCode(text) {
  const typed = String(text || "").trim();
  const lower = typed.toLowerCase();
  for (const code of CAPABILITIES) {
    if (lower === code || lower === capabilityLabel(code).toLowerCase()) return code;
  }
  return typed;
}
