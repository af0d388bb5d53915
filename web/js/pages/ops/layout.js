// The operations view's panes: map | (wall / feed) on top, three panes below. Splitters resize
// them by mouse, touch or keyboard; the layout is saved per user and per screen class (a desk
// monitor and a 4K video-wall PC keep their own), on the server.

import { debounce, h } from "../../dom.js";
import { t } from "../../i18n.js";
import { forgetPref, savePref } from "./prefs.js";

export const PREF = "opsview.layout";
const WALL_MIN_WIDTH = 2560; // a 3840x2160 wall PC (and 2560-wide monitors) get the big layout
export const DEFAULTS = {
  desk: { col: 0.62, row: 0.64, side: 0.56, a: 0.34, b: 0.33, tiles: 4 },
  wall: { col: 0.6, row: 0.66, side: 0.62, a: 0.3, b: 0.35, tiles: 9 },
};
const LIMITS = { col: [0.25, 0.85], row: [0.25, 0.85], side: [0.2, 0.85], a: [0.15, 0.7], b: [0.15, 0.7] };
const STEP = 0.02;

/** "wall" on a video-wall-sized screen, else "desk". */
export function screenClass() {
  return window.innerWidth >= WALL_MIN_WIDTH ? "wall" : "desk";
}

function clamp(name, v) {
  const [lo, hi] = LIMITS[name];
  return Math.min(hi, Math.max(lo, Number.isFinite(v) ? v : lo));
}

/** Builds the pane grid; `onResize()` runs after every change (the map redraws). */
export class Layout {
  constructor({ onResize }) {
    this.onResize = onResize;
    this.screen = screenClass();
    this.saved = {};
    this.values = { ...DEFAULTS[this.screen] };
    this.dirty = false;
    const later = debounce(() => this.persist(), 400);
    this.save = Object.assign(() => {
      this.dirty = true;
      later();
    }, { cancel: () => later.cancel() });
    const pane = (name) => h("section", { class: `ops-pane ops-pane-${name}`, "data-testid": `ops-pane-${name}` });
    this.panes = { map: pane("map"), wall: pane("wall"), feed: pane("feed"), a: pane("a"), b: pane("b"), c: pane("c") };
    const p = this.panes;
    this.side = h("div", { class: "ops-side" }, p.wall, this.splitter("side", "h"), p.feed);
    this.top = h("div", { class: "ops-top" }, p.map, this.splitter("col", "v"), this.side);
    this.bottom = h("div", { class: "ops-bottom" }, p.a, this.splitter("a", "v"), p.b, this.splitter("b", "v"), p.c);
    this.el = h("div", { class: "ops-grid", "data-testid": "ops-grid", dataset: { screen: this.screen } },
      this.top, this.splitter("row", "h"), this.bottom);
    this.apply();
  }

  /** Apply this user's saved layout (the opsview.layout preference) for this screen class. */
  load(saved) {
    this.saved = saved && typeof saved === "object" ? saved : {};
    const mine = this.saved[this.screen];
    if (mine && typeof mine === "object") this.values = { ...DEFAULTS[this.screen], ...mine };
    this.apply();
  }

  apply() {
    const v = this.values;
    for (const name of Object.keys(LIMITS)) v[name] = clamp(name, v[name]);
    if (v.a + v.b > 0.85) v.b = 0.85 - v.a;
    for (const name of Object.keys(LIMITS)) this.el.style.setProperty(`--${name}`, String(v[name]));
    for (const sep of this.el.querySelectorAll(".ops-split")) {
      sep.setAttribute("aria-valuenow", String(Math.round(v[sep.dataset.split] * 100)));
    }
    this.el.dataset.layout = JSON.stringify(v);
    this.onResize?.();
  }

  /** Change values (e.g. tiles), apply and save. */
  set(changes) {
    Object.assign(this.values, changes);
    this.apply();
    this.save();
  }

  persist() {
    this.dirty = false;
    this.saved = { ...this.saved, [this.screen]: { ...this.values } };
    return savePref(PREF, this.saved).catch((err) => console.warn("layout not saved", err?.status ?? err));
  }

  /** Back to the built-in layout for this screen (the saved one is forgotten). */
  async reset() {
    this.values = { ...DEFAULTS[this.screen] };
    const { [this.screen]: _, ...rest } = this.saved;
    this.saved = rest;
    this.apply();
    this.save.cancel();
    this.dirty = false;
    await (Object.keys(rest).length ? savePref(PREF, rest) : forgetPref(PREF)).catch(() => {});
  }

  splitter(name, dir) {
    const sep = h("div", {
      class: `ops-split ops-split-${dir}`,
      role: "separator",
      tabindex: "0",
      "aria-orientation": dir === "v" ? "vertical" : "horizontal",
      "aria-valuemin": String(LIMITS[name][0] * 100),
      "aria-valuemax": String(LIMITS[name][1] * 100),
      "aria-label": t(`ops.split.${name}`),
      "data-testid": `ops-split-${name}`,
      dataset: { split: name },
    });
    const container = () => (name === "col" ? this.top : name === "side" ? this.side : name === "row" ? this.el : this.bottom);
    const at = (ev) => {
      const r = container().getBoundingClientRect();
      const frac = dir === "v" ? (ev.clientX - r.left) / r.width : (ev.clientY - r.top) / r.height;
      return name === "b" ? frac - this.values.a : frac;
    };
    sep.addEventListener("pointerdown", (ev) => {
      ev.preventDefault();
      sep.setPointerCapture(ev.pointerId);
      sep.classList.add("dragging");
      const move = (e) => {
        this.values[name] = at(e);
        this.apply();
      };
      const up = () => {
        sep.classList.remove("dragging");
        sep.removeEventListener("pointermove", move);
        sep.removeEventListener("pointerup", up);
        sep.removeEventListener("pointercancel", up);
        this.save();
      };
      sep.addEventListener("pointermove", move);
      sep.addEventListener("pointerup", up);
      sep.addEventListener("pointercancel", up);
    });
    sep.addEventListener("keydown", (ev) => {
      const grow = dir === "v" ? { ArrowRight: 1, ArrowLeft: -1 } : { ArrowDown: 1, ArrowUp: -1 };
      if (!(ev.key in grow)) return;
      ev.preventDefault();
      ev.stopPropagation();
      this.set({ [name]: this.values[name] + grow[ev.key] * STEP });
    });
    return sep;
  }

  dispose() {
    // A change made just before leaving is still saved.
    this.save.cancel();
    if (this.dirty) this.persist();
  }
}
