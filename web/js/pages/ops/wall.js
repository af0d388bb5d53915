// The compact wall of the operations view: pinned and suggested cameras (during an incident,
// the auto-wall: the server's ranked suggestions, pinned first) in the wall's own tiles and
// WebRTC code. Operators pin or dismiss from the tile; the tile count is part of the layout.

import { h, replace } from "../../dom.js";
import { t } from "../../i18n.js";
import { watchVisibility } from "../wall/controls.js";
import { Tile } from "../wall/tile.js";

export const COUNTS = [1, 4, 9, 16];

export class CompactWall {
  /** onAction(cameraId, action) pins/unpins/dismisses; onCount(n) saves the tile count. */
  constructor(pane, { onAction, onCount, onOpenAll }) {
    this.onAction = onAction;
    this.items = [];
    this.tiles = [];
    this.selected = 0;
    this.mode = "normal";
    this.title = h("h2", { class: "ops-pane-title", "data-testid": "ops-wall-title" });
    this.count = h(
      "select",
      { class: "select ops-mini", "aria-label": t("ops.wall.tiles"), "data-testid": "ops-wall-count" },
      COUNTS.map((n) => h("option", { value: String(n) }, String(n))),
    );
    this.count.addEventListener("change", () => {
      this.setCount(Number(this.count.value));
      onCount(Number(this.count.value));
    });
    const all = h("button", { type: "button", class: "btn btn-sm", "data-testid": "ops-wall-open", onclick: () => onOpenAll(this.shown()) }, t("ops.wall.open_all"));
    this.more = h("p", { class: "ops-wall-more muted", "data-testid": "ops-wall-more" });
    this.grid = h("div", { class: "ops-wall-grid", "data-testid": "ops-wall-grid" });
    replace(pane, h("div", { class: "ops-pane-head" }, this.title, h("span", { class: "spacer" }), this.count, all), this.grid, this.more);
    this.observer = watchVisibility(this.grid, () => this.tiles);
    this.setMode("normal");
  }

  setMode(mode) {
    this.mode = mode;
    replace(this.title, t(mode === "incident" ? "ops.wall.title_incident" : "ops.wall.title"));
    this.grid.dataset.mode = mode;
  }

  /** The tile count (1, 4, 9 or 16). */
  setCount(n) {
    n = COUNTS.includes(n) ? n : 4;
    this.count.value = String(n);
    if (n === this.tiles.length) return;
    this.tiles.forEach((x) => x.stop());
    this.grid.style.setProperty("--cols", String(Math.sqrt(n)));
    this.tiles = Array.from({ length: n }, (_, i) => this.makeTile(i));
    replace(this.grid, ...this.tiles.map((x) => x.el));
    this.observer.observe();
    this.fill(true);
  }

  makeTile(i) {
    const tile = new Tile(i, (x) => this.select(x.index), (x) => this.full(x.index));
    tile.el.setAttribute("data-testid", `ops-tile-${i}`);
    tile.actions = h("div", { class: "ops-tile-actions" });
    tile.reason = h("span", { class: "ops-tile-reason" });
    tile.el.append(tile.actions, tile.reason);
    return tile;
  }

  /** Cameras to show, best first: [{id, name, status, reasons, pick, usable, reason}]. */
  setItems(items, hidden = 0) {
    this.items = items;
    this.hidden = hidden;
    this.fill(false);
  }

  shown() {
    return this.tiles.map((x) => x.camera?.id).filter(Boolean);
  }

  fill(restart) {
    this.tiles.forEach((tile, i) => {
      const item = this.items[i] || null;
      if (!item) {
        if (tile.camera) tile.show(null);
        tile.setStatus(null);
        tile.el.dataset.state = "";
        replace(tile.note);
        replace(tile.actions);
        replace(tile.reason);
        tile.el.dataset.pick = "";
        return;
      }
      if (restart || tile.camera?.id !== item.id) tile.show({ id: item.id, name: item.name || item.id });
      if (item.status) tile.setStatus(item.status, item.reasons || []);
      tile.el.dataset.pick = item.pick || "";
      tile.el.dataset.usable = String(item.usable !== false);
      replace(tile.reason, item.reason || "");
      replace(tile.actions, ...this.actionsFor(item));
    });
    const rest = this.items.length - this.tiles.length;
    replace(
      this.more,
      rest > 0 ? t("ops.wall.more", { n: rest }) : this.items.length ? "" : t("ops.wall.empty"),
      this.hidden ? ` ${t("ops.wall.hidden", { n: this.hidden })}` : "",
    );
  }

  actionsFor(item) {
    const btn = (action, label, testid) =>
      h(
        "button",
        {
          type: "button",
          class: "btn btn-sm",
          "data-testid": `${testid}-${item.id}`,
          title: label,
          onclick: (ev) => {
            ev.stopPropagation();
            this.onAction(item.id, action);
          },
        },
        label,
      );
    const out = [item.pick === "pin" ? btn("clear", t("ops.wall.unpin"), "ops-unpin") : btn("pin", t("ops.wall.pin"), "ops-pin")];
    if (this.mode === "incident" && item.pick !== "pin") out.push(btn("dismiss", t("ops.wall.dismiss"), "ops-dismiss"));
    return out;
  }

  /** A camera's status changed (health). */
  status(id, status, reasons) {
    for (const item of this.items) if (item.id === id) item.status = status;
    for (const tile of this.tiles) if (tile.camera?.id === id) tile.setStatus(status, reasons || []);
  }

  select(i) {
    if (!this.tiles[i]) return;
    this.selected = i;
    this.tiles.forEach((x) => x.el.classList.toggle("selected", x.index === i));
  }

  selectedCamera() {
    return this.tiles[this.selected]?.camera?.id || null;
  }

  /** Full screen on the main stream; again (or Esc) goes back to the tile. */
  full(i) {
    const tile = this.tiles[i];
    if (!tile?.camera) return;
    const on = !tile.el.classList.contains("full");
    tile.el.classList.toggle("full", on);
    tile.stream = on ? "main" : "auto";
    tile.start(true);
  }

  leaveFull() {
    this.tiles.forEach((x, i) => x.el.classList.contains("full") && this.full(i));
  }

  /** Pause every stream (page hidden) or resume. */
  pause(hidden) {
    this.tiles.forEach((x) => (hidden ? x.stop(false) : x.camera && x.start(true)));
  }

  dispose() {
    this.tiles.forEach((x) => x.stop());
    this.observer?.();
    this.tiles = [];
  }
}
