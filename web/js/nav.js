// The console's sections. Each is a module web/js/pages/<id>.js exporting render(container, ctx)
// and dispose(); later work fills them in without touching the shell.

import { hasPermission } from "./session.js";

export const PAGES = [
  { id: "ops", icon: "ops" },
  { id: "incidents", icon: "quake" },
  { id: "wall", icon: "wall" },
  { id: "map", icon: "map" },
  { id: "drills", icon: "drills" },
  { id: "health", icon: "health" },
  { id: "readiness", icon: "readiness" },
  // Shown to users whose roles grant any of `perms` (console/auth/policy.py).
  {
    id: "admin",
    icon: "admin",
    perms: ["users.read", "units.write", "tokens.manage", "audit.read"],
    separate: true,
    home: "#/admin/users",
  },
];

export const DEFAULT_ROUTE = "#/wall";
// Operators and command land on the operations view; other roles keep the wall.
const OPS_ROLES = ["admin", "operator"];

/** Where a user lands after sign-in (and on the brand link). */
export function homeFor(user) {
  return user?.roles?.some((r) => OPS_ROLES.includes(r)) ? "#/ops" : DEFAULT_ROUTE;
}

/** Split a location hash such as "#/admin/audit?actor=x" into page, rest and query. */
export function parseRoute(hash) {
  const raw = String(hash || "").replace(/^#\/?/, "");
  const [path, search = ""] = raw.split("?");
  const segments = path.split("/").filter(Boolean).map(decodeURIComponent);
  return {
    page: segments[0] || "",
    rest: segments.slice(1),
    query: Object.fromEntries(new URLSearchParams(search)),
  };
}

/** Whether the signed-in user may open a page (pages without `perms` are open to everyone). */
export function canOpen(page) {
  return !page.perms || page.perms.some((p) => hasPermission(p));
}
