// The signed-in user's preferences on the server (GET/PUT/DELETE /api/me/preferences/{key}).

import { api } from "../../api.js";

/** Every preference of the user as {key: value} ({} when they cannot be read). */
export async function loadPrefs() {
  try {
    return (await api("GET", "/api/me/preferences")).items || {};
  } catch (err) {
    console.warn("cannot read preferences", err?.status ?? err);
    return {};
  }
}

/** Save a preference (resolves with the stored record). */
export function savePref(key, value) {
  return api("PUT", `/api/me/preferences/${key}`, { body: { value } });
}

/** Forget a preference. */
export function forgetPref(key) {
  return api("DELETE", `/api/me/preferences/${key}`);
}
