// Show only what the user may do: actions are gated on the permissions the session API reports
// for the user's roles (console/auth/policy.py), never on role names. The server still decides;
// this only keeps buttons that would answer 403 off the screen.

import { hasPermission } from "../session.js";

/** Whether the signed-in user may do `permission` (e.g. "drills.write"). */
export function can(permission) {
  return hasPermission(permission);
}

/** Whether the user may do any of these permissions. */
export function canAny(...perms) {
  return perms.some((p) => hasPermission(p));
}

/** `node` (or what `node()` returns) when the user may do `permission`, else null. */
export function ifCan(permission, node) {
  if (!hasPermission(permission)) return null;
  return typeof node === "function" ? node() : node;
}
