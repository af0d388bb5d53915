// The signed-in user for this page load.

import { api, setCsrfToken } from "./api.js";

let current = null;
let permissions = new Set();

/** Store the session returned by login or GET /api/auth/session. */
export function setSession(session) {
  current = session?.user || null;
  permissions = new Set(session?.permissions || []);
  setCsrfToken(session?.csrf_token || null);
}

/** The signed-in user, or null. */
export function currentUser() {
  return current;
}

/** Whether the signed-in user's roles grant this permission (as the server's policy says). */
export function hasPermission(permission) {
  return permissions.has(permission);
}

/** Whether the signed-in user holds any of these roles. */
export function hasRole(...roles) {
  return Boolean(current?.roles?.some((r) => roles.includes(r)));
}

/** Ask the server for the current session; null when not signed in. */
export async function fetchSession() {
  try {
    const session = await api("GET", "/api/auth/session", { quiet401: true });
    setSession(session);
    return session;
  } catch (err) {
    if (err.status === 401) {
      setSession(null);
      return null;
    }
    throw err;
  }
}

/** Sign in; throws ApiError (401 bad credentials, 429 rate limited). */
export async function login(username, password) {
  const session = await api("POST", "/api/auth/login", {
    body: { username, password },
    quiet401: true,
  });
  setSession(session);
  return session;
}

/** Sign out (best effort: the local session is forgotten even if the server is unreachable). */
export async function logout() {
  try {
    await api("POST", "/api/auth/logout", { quiet401: true });
  } finally {
    setSession(null);
  }
}
