// Keyboard control of the operations view (as on the wall): `?` lists the keys.

import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import { infoDialog } from "../../ui/dialog.js";

export const SHORTCUTS = [
  ["?", "ops.key.help"],
  ["1-9", "ops.key.tile"],
  ["F", "ops.key.full"],
  ["Esc", "ops.key.escape"],
  ["P", "ops.key.pin"],
  ["X", "ops.key.dismiss"],
  ["B", "ops.key.box"],
  ["A", "ops.key.area"],
  ["W", "ops.key.wall"],
  ["Q", "ops.key.quake"],
  ["E", "ops.key.exercise"],
  ["N", "ops.key.note"],
  ["0", "ops.key.fit"],
  ["+ −", "ops.key.zoom"],
  ["L", "ops.key.layout"],
];

/** The shortcut overlay. */
export function helpDialog() {
  if (document.querySelector("dialog[data-testid=ops-help]")) return Promise.resolve();
  const rows = SHORTCUTS.map(([k, label]) => h("tr", {}, h("th", {}, h("kbd", {}, k)), h("td", {}, t(label))));
  return infoDialog({
    title: t("ops.key.title"),
    testid: "ops-help",
    content: h("div", {}, h("table", { class: "wall-keys" }, h("tbody", {}, rows)), h("p", { class: "muted" }, t("ops.key.splitters"))),
  });
}

/** Install the key handler; `actions` maps an action name to a function. Returns the remover. */
export function installKeys(actions) {
  const handler = (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.closest?.("input, select, textarea, dialog, [contenteditable], .ops-split")) return;
    if (document.querySelector("dialog[open]")) return;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    const n = Number(key);
    let name = null;
    if (n >= 1 && n <= 9) return (e.preventDefault(), actions.tile?.(n - 1));
    name = {
      "?": "help",
      f: "full",
      Escape: "escape",
      p: "pin",
      x: "dismiss",
      b: "box",
      a: "area",
      w: "wall",
      q: "quake",
      e: "exercise",
      n: "note",
      0: "fit",
      "+": "zoomIn",
      "=": "zoomIn",
      "-": "zoomOut",
      l: "layout",
    }[key];
    if (name && actions[name]) {
      e.preventDefault();
      actions[name]();
    }
  };
  document.addEventListener("keydown", handler);
  return () => document.removeEventListener("keydown", handler);
}
