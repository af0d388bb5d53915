// Shared panels: "module not installed yet", not found, forbidden, load failures.

import { h, replace } from "../dom.js";
import { t } from "../i18n.js";
import { icon } from "../ui/icons.js";

/** A centred panel with an icon, a title key and a hint key. */
export function messagePanel(titleKey, hintKey, params = {}, iconName = "box") {
  return h(
    "section",
    { class: "placeholder", "data-testid": "message-panel" },
    icon(iconName),
    h("h2", {}, t(titleKey, params)),
    h("p", {}, t(hintKey, params)),
  );
}

/** A page module (render/dispose) for a section whose module is not installed yet. */
export function notInstalledPage(id, iconName) {
  return {
    render(container) {
      const name = t(`nav.${id}`);
      replace(
        container,
        h("div", { class: "page-head" }, h("h1", {}, name)),
        messagePanel("page.not_installed", "page.not_installed_hint", { name }, iconName),
      );
    },
    dispose() {},
  };
}
