// STUN/TURN servers for the wall's peer connections, from the server's [live] ice_servers
// (TURN REST credentials expire, so the answer is kept for a few minutes only).

import { api } from "../../api.js";

const KEEP_MS = 5 * 60 * 1000;
let cached = null;

/** The RTCConfiguration fields the server asks for: { iceServers }. */
export function iceConfig() {
  if (cached && Date.now() - cached.at < KEEP_MS) return cached.promise;
  const promise = api("GET", "/api/live/config")
    .then((cfg) => ({ iceServers: cfg.ice_servers || [] }))
    .catch(() => ({ iceServers: [] }));
  cached = { at: Date.now(), promise };
  return promise;
}
