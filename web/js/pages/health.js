// Camera health: status overview, per-camera detail, alerts, availability and the camera
// registry, as tabs. Users without health rights (viewer, coordinator) get the registry only.

import { h, replace } from "../dom.js";
import { t } from "../i18n.js";
import { messagePanel } from "./placeholder.js";
import { canReadHealth } from "./health/common.js";

// tab id -> module under ./health/ ("" is the overview at #/health)
export const SECTIONS = ["overview", "alerts", "availability", "maintenance", "cameras"];
const HEALTH_ONLY = new Set(["overview", "alerts", "availability", "maintenance", "camera"]);

let current = null;
let token = 0;

/** Which sub-page a route names: "overview", "camera" (detail), "alerts", ... */
export function sectionOf(rest) {
  if (!rest.length) return "overview";
  return rest[0] === "camera" ? "camera" : rest[0];
}

/** Render the tabs and the selected sub-page into `container`. */
export async function render(container, ctx) {
  const mine = ++token;
  const reader = canReadHealth(ctx.user);
  let section = sectionOf(ctx.route.rest);
  if (!reader && section === "overview") {
    // Everyone may see the registry; the health views need the health.read roles.
    history.replaceState(null, "", "#/health/cameras");
    section = "cameras";
  }
  const tabs = SECTIONS.filter((id) => reader || !HEALTH_ONLY.has(id));
  const active = section === "camera" ? "overview" : section;
  const nav = h(
    "ul",
    { class: "tabs", role: "list" },
    tabs.map((id) =>
      h(
        "li",
        {},
        h(
          "a",
          {
            href: id === "overview" ? "#/health" : `#/health/${id}`,
            "aria-current": id === active ? "page" : null,
            "data-testid": `health-tab-${id}`,
          },
          t(`health.tab.${id}`),
        ),
      ),
    ),
  );
  const body = h("div", { class: "health-body" });
  replace(container, h("div", { class: "page-head" }, h("h1", {}, t("nav.health"))), nav, body);
  if (![...SECTIONS, "camera"].includes(section)) {
    replace(body, messagePanel("shell.not_found", "shell.not_found_hint"));
    return;
  }
  if (!reader && HEALTH_ONLY.has(section)) {
    replace(body, messagePanel("shell.forbidden", "shell.forbidden_hint"));
    return;
  }
  const module = await import(`./health/${section}.js`);
  if (mine !== token) return;
  current = module;
  await module.render(body, ctx);
}

/** Dispose the active sub-page. */
export function dispose() {
  token += 1;
  current?.dispose();
  current = null;
}
