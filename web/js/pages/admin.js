// Administration: tabs for users, units, audit log and API tokens (each a sub-page module).

import { h, replace } from "../dom.js";
import { t } from "../i18n.js";
import { messagePanel } from "./placeholder.js";

export const SECTIONS = ["users", "units", "audit", "tokens", "notify"];

let current = null;
let token = 0;

/** Render the admin tabs and the selected section into `container`. */
export async function render(container, ctx) {
  const mine = ++token;
  const section = ctx.route.rest[0] || SECTIONS[0];
  const tabs = h(
    "ul",
    { class: "tabs", role: "list" },
    SECTIONS.map((id) =>
      h(
        "li",
        {},
        h(
          "a",
          {
            href: `#/admin/${id}`,
            "aria-current": id === section ? "page" : null,
            "data-testid": `admin-tab-${id}`,
          },
          t(`admin.${id}`),
        ),
      ),
    ),
  );
  const body = h("div", { class: "admin-body" });
  replace(container, h("div", { class: "page-head" }, h("h1", {}, t("nav.admin"))), tabs, body);
  if (!SECTIONS.includes(section)) {
    replace(body, messagePanel("shell.not_found", "shell.not_found_hint"));
    return;
  }
  const module = await import(`./admin/${section}.js`);
  if (mine !== token) return;
  current = module;
  await module.render(body, ctx);
}

/** Dispose the active section. */
export function dispose() {
  token += 1;
  current?.dispose();
  current = null;
}
