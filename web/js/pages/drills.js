// Drills: calendar, plan editor, live control view, after-action report, compliance.
// Routes: #/drills (calendar), #/drills/compliance, #/drills/actions (improvement plan),
// #/drills/new?date=, #/drills/<id>,
// #/drills/<id>/live, #/drills/<id>/report. Each view is a module under ./drills/.

import { h, replace } from "../dom.js";
import { t } from "../i18n.js";
import { messagePanel } from "./placeholder.js";
import { ensureStyles } from "./drills/common.js";
import { installReminders } from "./drills/reminders.js";

const TOP = ["calendar", "compliance", "actions"];
let current = null;
let token = 0;

/** Which view a route names: {view, id}. */
export function viewOf(rest) {
  if (!rest.length || rest[0] === "calendar") return { view: "calendar", id: null };
  if (rest[0] === "compliance" || rest[0] === "actions") return { view: rest[0], id: null };
  if (rest[0] === "new") return { view: "editor", id: null };
  const sub = rest[1] || "";
  if (!sub) return { view: "editor", id: rest[0] };
  if (sub === "live" || sub === "report") return { view: sub, id: rest[0] };
  return { view: "", id: rest[0] };
}

/** Render the tabs and the selected view into `container`. */
export async function render(container, ctx) {
  const mine = ++token;
  ensureStyles();
  // Reminders show on every page once installed (the shell should do this at sign-in).
  installReminders({ timezone: ctx.meta?.site?.timezone });
  const { view, id } = viewOf(ctx.route.rest);
  const active = TOP.includes(view) ? view : "";
  const nav = h(
    "ul",
    { class: "tabs", role: "list" },
    TOP.map((tab) =>
      h(
        "li",
        {},
        h(
          "a",
          {
            href: tab === "calendar" ? "#/drills" : `#/drills/${tab}`,
            "aria-current": tab === active ? "page" : null,
            "data-testid": `drills-tab-${tab}`,
          },
          t(`drills.tab.${tab}`),
        ),
      ),
    ),
  );
  const body = h("div", { class: "drills-body", "data-testid": `drills-view-${view || "none"}` });
  replace(container, h("div", { class: "page-head" }, h("h1", {}, t("nav.drills"))), nav, body);
  if (!view) {
    replace(body, messagePanel("shell.not_found", "shell.not_found_hint"));
    return;
  }
  const module = await import(`./drills/${view}.js`);
  if (mine !== token) return;
  current = module;
  await module.render(body, { ...ctx, drillId: id });
}

/** Dispose the active view. */
export function dispose() {
  token += 1;
  current?.dispose?.();
  current = null;
}
