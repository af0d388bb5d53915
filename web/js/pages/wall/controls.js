// Wall dialogs and helpers: save (with unit sharing), push to another operator, shortcut help,
// arrow-key navigation and the off-screen observer that stops hidden tiles.

import { api } from "../../api.js";
import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import { formDialog, infoDialog } from "../../ui/dialog.js";
import { Form } from "../../ui/form.js";
import { can } from "../../ui/perms.js";

const GRID_COLUMNS = { 1: 1, 4: 2, 9: 3, 16: 4, 25: 5, 36: 6, 64: 8, "1+5": 3, "1+7": 4, "2+8": 4 };

/** The smallest uniform layout holding `n` tiles. */
export function layoutFor(n) {
  return ["1", "4", "9", "16", "25", "36", "64"].find((k) => Number(k) >= n) || "64";
}

/** The tile index an arrow key moves to (uniform grids move by rows; uneven ones step). */
export function arrowTarget(layout, count, index, key) {
  const cols = GRID_COLUMNS[layout] || 1;
  const uneven = String(layout).includes("+");
  const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: uneven ? -1 : -cols, ArrowDown: uneven ? 1 : cols }[key];
  if (step === undefined) return null;
  return (index + step + count) % count;
}

/** Ask for a wall's name and whether the unit shares it; resolves with the saved wall or null. */
export function saveDialog(layout, tiles) {
  const form = new Form({ columns: 1 });
  form.text("name", t("wall.save_name"), { required: true, maxlength: 100 });
  // Sharing with the unit is offered only to roles that may share (walls.share).
  if (can("walls.share")) form.toggle("shared", t("wall.shared"), t("wall.shared_hint"));
  return formDialog({
    title: t("wall.save"),
    form,
    narrow: true,
    testid: "wall-save-dialog",
    submitLabel: t("wall.save"),
    onSubmit: (v) => api("POST", "/api/walls", { body: { name: v.name.trim(), layout, tiles, shared: Boolean(v.shared) } }),
  });
}

/** Send the selected camera or the current saved wall to another operator's screen. */
export async function pushDialog({ cameraId, wallId }) {
  const targets = (await api("GET", "/api/walls-operators")).items;
  const form = new Form({ columns: 1 });
  const label = (u) => (u.display_name ? `${u.display_name} (${u.username})` : u.username);
  form.select("user_id", t("wall.push_to"), targets.map((u) => ({ value: u.id, label: label(u) })), {
    required: true,
  });
  const what = [];
  if (cameraId) what.push({ value: "camera", label: t("wall.push_camera", { id: cameraId }) });
  if (wallId) what.push({ value: "wall", label: t("wall.push_wall") });
  form.select("what", t("wall.push_what"), what, { required: true });
  return formDialog({
    title: t("wall.push"),
    form,
    narrow: true,
    testid: "wall-push-dialog",
    submitLabel: t("wall.push"),
    intro: targets.length ? null : h("p", {}, t("wall.push_nobody")),
    onSubmit: (v) => {
      const body = { user_id: Number(v.user_id) };
      if (v.what === "wall") body.wall_id = Number(wallId);
      else body.camera_id = cameraId;
      return api("POST", "/api/walls-push", { body });
    },
  });
}

const SHORTCUTS = [
  ["1-9", "wall.key_select"],
  ["← ↑ → ↓", "wall.key_arrows"],
  ["F", "wall.key_full"],
  ["Esc", "wall.key_escape"],
  ["Space", "wall.key_tour"],
  ["?", "wall.key_help"],
];

/** The keyboard shortcut overlay. */
export function helpDialog() {
  const open = document.querySelector("dialog[data-testid=wall-help]");
  if (open) return Promise.resolve();
  const rows = SHORTCUTS.map(([k, label]) => h("tr", {}, h("th", {}, h("kbd", {}, k)), h("td", {}, t(label))));
  return infoDialog({
    title: t("wall.help"),
    testid: "wall-help",
    content: h("table", { class: "wall-keys" }, h("tbody", {}, ...rows)),
  });
}

/**
 * Stop tiles scrolled out of view and restart them when they come back, so a tall wall or a
 * wall beside other content only pulls the streams someone can see.
 */
export function watchVisibility(root, tilesOf) {
  if (!("IntersectionObserver" in window)) return () => {};
  const io = new IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        const tile = tilesOf().find((x) => x.el === e.target);
        if (tile) tile.setOffscreen(!e.isIntersecting);
      }
    },
    { root: null, threshold: 0 },
  );
  const observe = () => {
    io.disconnect();
    tilesOf().forEach((x) => io.observe(x.el));
  };
  observe();
  return Object.assign(() => io.disconnect(), { observe });
}
