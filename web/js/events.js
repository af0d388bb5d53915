// Live events from /ws: subscribe with onEvent(type, handler); reconnects with backoff and
// resumes from the last event id so no event is lost across short outages.

const PING_MS = 25_000;
const PONG_TIMEOUT_MS = 10_000;
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
// After this many failed attempts in a row the indicator says "offline" (retries continue).
const OFFLINE_AFTER = 4;
const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_FORBIDDEN = 4403;

const handlers = new Map();
const stateListeners = new Set();
let socket = null;
let state = "offline";
let lastId = null;
let attempts = 0;
let wanted = false;
let retryTimer = null;
let pingTimer = null;
let pongTimer = null;
let onUnauthorized = null;
let checkSession = null;

/**
 * Subscribe to events. `type` is an exact type ("user.created"), a prefix wildcard ("user.*"),
 * or "*" for everything. Special types: "resync" (reload your data), "hello".
 * The handler gets (data, message). Returns an unsubscribe function.
 */
export function onEvent(type, handler) {
  if (!handlers.has(type)) handlers.set(type, new Set());
  handlers.get(type).add(handler);
  return () => handlers.get(type)?.delete(handler);
}

/** Watch the connection state ("connected" | "reconnecting" | "offline"). */
export function onConnectionState(fn) {
  stateListeners.add(fn);
  fn(state);
  return () => stateListeners.delete(fn);
}

/** The current connection state. */
export function connectionState() {
  return state;
}

/** Id of the last event received (what a reconnect resumes from). */
export function lastEventId() {
  return lastId;
}

function setState(next) {
  if (next === state) return;
  state = next;
  for (const fn of stateListeners) fn(state);
}

function dispatch(message) {
  const type = String(message.type || "");
  const matched = [handlers.get(type), handlers.get("*")];
  for (const [key, set] of handlers) {
    if (key.endsWith(".*") && type.startsWith(key.slice(0, -1))) matched.push(set);
  }
  for (const set of matched) {
    if (!set) continue;
    for (const fn of [...set]) {
      try {
        fn(message.data ?? {}, message);
      } catch (err) {
        console.error("event handler for %s failed", type, err);
      }
    }
  }
}

function socketUrl() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const url = new URL(`${proto}//${location.host}/ws`);
  if (lastId !== null) url.searchParams.set("since", String(lastId));
  return url.toString();
}

function clearTimers() {
  clearInterval(pingTimer);
  clearTimeout(pongTimer);
  pingTimer = null;
  pongTimer = null;
}

function open() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (!wanted) return;
  const ws = new WebSocket(socketUrl());
  let greeted = false;
  socket = ws;
  ws.addEventListener("message", (ev) => {
    if (socket !== ws) return;
    clearTimeout(pongTimer); // any traffic proves the link is alive
    let message;
    try {
      message = JSON.parse(ev.data);
    } catch {
      console.warn("ignoring a non-JSON websocket message");
      return;
    }
    if (message.type === "pong") return;
    if (message.type === "hello") {
      greeted = true;
      attempts = 0;
      setState("connected");
      // A fresh client starts from "now"; a resuming one keeps its id so replays are counted.
      // A server whose last id is below ours has restarted with new ids: we cannot know what
      // we missed, so start over from its id and tell pages to reload.
      const restarted = lastId !== null && Number.isInteger(message.id) && message.id < lastId;
      if ((lastId === null || restarted) && Number.isInteger(message.id)) lastId = message.id;
      if (restarted) {
        dispatch(message);
        dispatch({ type: "resync", v: 1, id: message.id, data: { reason: "server_restarted" } });
        return;
      }
    } else if (Number.isInteger(message.id) && (lastId === null || message.id > lastId)) {
      lastId = message.id;
    }
    dispatch(message);
  });
  ws.addEventListener("open", () => {
    if (socket !== ws) return;
    clearTimers();
    pingTimer = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(JSON.stringify({ type: "ping" }));
      clearTimeout(pongTimer);
      pongTimer = setTimeout(() => ws.close(4000, "no pong"), PONG_TIMEOUT_MS);
    }, PING_MS);
  });
  ws.addEventListener("close", async (ev) => {
    if (socket !== ws) return;
    socket = null;
    clearTimers();
    if (!wanted) {
      setState("offline");
      return;
    }
    let refused = ev.code === CLOSE_UNAUTHENTICATED || ev.code === CLOSE_FORBIDDEN;
    // A refusal before the handshake completes reaches browsers as a bare 1006, and a 4401 may
    // mean this socket's credentials changed while the session lives on: ask the API whether
    // the session is still valid before giving up or retrying forever.
    if (checkSession && ((!refused && !greeted) || ev.code === CLOSE_UNAUTHENTICATED)) {
      refused = !(await checkSession());
      if (!wanted || socket) return; // signed out or reconnected meanwhile
    }
    if (refused) {
      wanted = false;
      setState("offline");
      onUnauthorized?.(ev.code);
      return;
    }
    if (wanted && !socket) scheduleReconnect();
  });
}

function scheduleReconnect() {
  attempts += 1;
  setState(attempts >= OFFLINE_AFTER || !navigator.onLine ? "offline" : "reconnecting");
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempts - 1));
  // Jitter keeps a room full of consoles from reconnecting in lockstep after a restart.
  const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  clearTimeout(retryTimer);
  retryTimer = setTimeout(open, delay);
}

function retryNow() {
  if (wanted && !socket) {
    attempts = Math.min(attempts, 1);
    open();
  }
}

/**
 * Start (or keep) the live connection. `unauthorized(code)` runs if the server refuses us;
 * `sessionValid()` (async, optional) tells a refused handshake from a network failure.
 */
export function connectEvents({ unauthorized, sessionValid } = {}) {
  onUnauthorized = unauthorized || null;
  checkSession = sessionValid || null;
  if (wanted) return;
  wanted = true;
  attempts = 0;
  setState("reconnecting");
  open();
}

/** Close the connection and forget the resume point (e.g. on logout). */
export function disconnectEvents() {
  wanted = false;
  clearTimeout(retryTimer);
  clearTimers();
  const ws = socket;
  socket = null;
  lastId = null;
  if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, "bye");
  setState("offline");
}

window.addEventListener("online", retryNow);
window.addEventListener("offline", () => {
  if (wanted && !socket) setState("offline");
});
