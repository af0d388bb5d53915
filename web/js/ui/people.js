// People as colleagues know them: the display name, with the user name on hover. The server
// records user names (audit, drills, alerts, walls); GET /api/people maps them to names.

import { api } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { currentUser } from "../session.js";

const TTL_MS = 5 * 60_000;
let cache = null; // { at, uid, promise: Promise<Map<username, {id, username, display_name}>> }
let byName = new Map();

// The directory belongs to the signed-in user (another user of this tab may see other people).
function mine() {
  if (cache && cache.uid !== currentUser()?.id) resetPeople();
}

/** Load (or reuse) the directory; resolves with a Map from user name to person. */
export function loadPeople({ force = false } = {}) {
  mine();
  if (!force && cache && Date.now() - cache.at < TTL_MS) return cache.promise;
  const promise = api("GET", "/api/people", { quiet401: true })
    .then((r) => new Map((r?.items || []).map((p) => [p.username, p])))
    .catch(() => new Map(byName)); // keep what we knew; names fall back to user names
  cache = { at: Date.now(), uid: currentUser()?.id, promise };
  promise.then((map) => {
    if (cache?.promise === promise) byName = map; // not a directory from before a reset
  });
  return promise;
}

/** Forget the directory (e.g. after signing in as someone else). */
export function resetPeople() {
  cache = null;
  byName = new Map();
}

/** The display name for a user name, if already known (else the user name itself). */
export function personName(username) {
  if (!username) return "";
  mine();
  return byName.get(username)?.display_name || String(username);
}

/**
 * An element showing a user's display name with the user name on hover; filled in when the
 * directory arrives. Empty user names show `fallbackKey` (default "(unknown)").
 */
export function person(username, { fallbackKey = "people.unknown", testid = null } = {}) {
  if (!username) return h("span", { class: "person muted" }, t(fallbackKey));
  mine();
  const el = h("span", { class: "person", title: username, dataset: { username }, "data-testid": testid }, personName(username));
  if (!byName.has(username)) {
    loadPeople().then((map) => {
      const found = map.get(username);
      if (found?.display_name) el.textContent = found.display_name;
    });
  }
  return el;
}

/**
 * A catalogue message whose parameters may be elements (e.g. person()): returns the pieces to
 * append (strings and nodes) in the order the message places them.
 */
export function tNodes(key, params = {}) {
  const marks = {};
  const textParams = {};
  for (const [name, value] of Object.entries(params)) {
    if (value instanceof Node) {
      marks[name] = value;
      textParams[name] = `\u0000${name}\u0000`;
    } else textParams[name] = value;
  }
  const text = t(key, textParams);
  return text
    .split(/\u0000(\w+)\u0000/)
    .map((piece, i) => (i % 2 ? marks[piece] : piece))
    .filter((piece) => piece !== "");
}
