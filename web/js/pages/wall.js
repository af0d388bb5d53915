// The video wall: layouts, a camera list to place from, live tiles, saved walls, tours, push.

import { api, problemMessage } from "../api.js";
import { debounce, h, replace } from "../dom.js";
import { t } from "../i18n.js";
import { person, tNodes } from "../ui/people.js";
import { can } from "../ui/perms.js";
import { toast } from "../ui/toast.js";
import { arrowTarget, helpDialog, layoutFor, pushDialog, saveDialog, watchVisibility } from "./wall/controls.js";
import { Bundle } from "./wall/bundle.js";
import { Tile } from "./wall/tile.js";
import { deleteTour, tourDialog } from "./wall/tours.js";

const LAYOUTS = { 1: 1, 4: 4, 9: 9, 16: 16, 25: 25, 36: 36, 64: 64, "1+5": 6, "1+7": 8, "2+8": 10 };
const TRANSPORT_KEY = "eoc.wall.transport";
const TRANSPORTS = ["auto", "tile", "bundle"];
// bench/wall_browser.py: up to 25 tiles both transports cost the same, and a connection per
// tile lets one tile change alone; above that one connection gets every tile playing sooner.
const BUNDLE_ABOVE = 25;
let state = null;

function savedTransport() {
  const v = window.localStorage?.getItem(TRANSPORT_KEY);
  return TRANSPORTS.includes(v) ? v : "auto";
}

/** The transport a layout uses: "auto" picks by tile count. */
function transportFor(choice, layout) {
  if (choice !== "auto") return choice;
  return LAYOUTS[layout] > BUNDLE_ABOVE ? "bundle" : "tile";
}

function gridClass(layout) {
  return `wall-grid wall-l${String(layout).replace("+", "p")}`;
}

/** Render the wall into `container`. */
export async function render(container, ctx) {
  dispose();
  const s = (state = { tiles: [], cameras: [], walls: [], tours: [], layout: "4", selected: 0 });
  s.grid = h("div", { class: gridClass(s.layout), "data-testid": "wall-grid" });
  s.list = h("ul", { class: "wall-cameras", "data-testid": "wall-cameras" });
  const search = h("input", { type: "search", placeholder: t("wall.search"), "data-testid": "wall-search" });
  const layoutSel = h("select", { "data-testid": "wall-layout", "aria-label": t("wall.layout") },
    ...Object.keys(LAYOUTS).map((k) => h("option", { value: k }, k)));
  layoutSel.value = s.layout;
  const wallSel = h("select", { "data-testid": "wall-saved", "aria-label": t("wall.saved") });
  const tourSel = h("select", { "data-testid": "wall-tour-select", "aria-label": t("wall.tour") });
  const tourBtn = h("button", { type: "button", class: "btn", "data-testid": "wall-tour" }, t("wall.tour_play"));
  const tourNew = h("button", { type: "button", class: "btn", "data-testid": "wall-tour-new", title: t("wall.tour_new") }, "+");
  const tourEdit = h("button", { type: "button", class: "btn", "data-testid": "wall-tour-edit", title: t("wall.tour_edit") }, "✎");
  const tourDel = h("button", { type: "button", class: "btn", "data-testid": "wall-tour-delete", title: t("wall.tour_delete") }, "✕");
  const saveBtn = h("button", { type: "button", class: "btn", "data-testid": "wall-save" }, t("wall.save"));
  const pushBtn = h("button", { type: "button", class: "btn", "data-testid": "wall-push" }, t("wall.push"));
  const transportSel = h("select", { "data-testid": "wall-transport", "aria-label": t("wall.transport") },
    h("option", { value: "auto" }, t("wall.transport_auto")),
    h("option", { value: "bundle" }, t("wall.transport_bundle")),
    h("option", { value: "tile" }, t("wall.transport_tile")));
  // ?transport=tile|bundle in the link wins (benchmarks and tests), then the saved choice.
  const askedTransport = ctx.route?.query?.transport;
  s.transport = TRANSPORTS.includes(askedTransport) ? askedTransport : savedTransport();
  transportSel.value = s.transport;
  const helpBtn = h("button", { type: "button", class: "btn", "data-testid": "wall-help-btn", title: t("wall.help") }, "?");
  const canPush = can("walls.push");
  replace(
    container,
    h("div", { class: "page-head" }, h("h1", {}, t("nav.wall"))),
    h("div", { class: "wall-bar" }, h("label", {}, t("wall.layout"), layoutSel),
      h("label", {}, t("wall.saved"), wallSel), saveBtn,
      h("label", {}, t("wall.tour"), tourSel), tourBtn, tourNew, tourEdit, tourDel, canPush ? pushBtn : null,
      h("label", {}, t("wall.transport"), transportSel), helpBtn),
    h("div", { class: "wall-body" }, h("aside", { class: "wall-side" }, search, s.list), s.grid),
  );

  const select = (tile) => {
    s.selected = tile.index;
    s.tiles.forEach((x) => x.el.classList.toggle("selected", x === tile));
    // Full screen is one key away: have the selected camera's main stream warm on the server
    // (a camera without a sub-stream already plays its main stream in the tile).
    if (tile.camera?.sub_url && s.warmedMain !== tile.camera.id) {
      s.warmedMain = tile.camera.id;
      tile.prewarm("main", 30);
    }
  };
  const full = (tile) => {
    const on = !tile.el.classList.contains("full");
    tile.el.classList.toggle("full", on);
    // Main stream full screen, sub-stream in tiles; the tile keeps its picture until the
    // other stream shows one.
    tile.swap(on ? "main" : "auto");
  };
  const setLayout = (layout, cameraIds = []) => {
    const keep = s.tiles.map((x) => x.camera);
    s.tiles.forEach((x) => x.stop());
    s.bundle?.close();
    s.layout = layout;
    s.bundle = transportFor(s.transport, layout) === "bundle" ? new Bundle(() => s.tiles) : null;
    s.grid.dataset.transport = s.bundle ? "bundle" : "tile";
    layoutSel.value = layout;
    s.grid.className = gridClass(layout);
    s.tiles = Array.from({ length: LAYOUTS[layout] }, (_, i) => new Tile(i, select, full, s.bundle));
    replace(s.grid, ...s.tiles.map((x) => x.el));
    s.tiles.forEach((x, i) => {
      const id = cameraIds.length ? cameraIds[i] : keep[i]?.id;
      x.show(s.cameras.find((c) => c.id === id) || null);
      x.el.addEventListener("dragover", (e) => e.preventDefault());
      x.el.addEventListener("drop", (e) => {
        e.preventDefault();
        place(e.dataTransfer.getData("text/camera"), x.index);
      });
    });
    select(s.tiles[0]);
    s.observer?.observe();
  };
  const place = (cameraId, index = s.selected) => {
    const cam = s.cameras.find((c) => c.id === cameraId);
    if (!cam || !s.tiles[index]) return;
    s.tiles[index].show(cam);
    applyStatus(s.tiles[index]);
    select(s.tiles[(index + 1) % s.tiles.length]);
  };
  const applyStatus = (tile) => {
    const st = tile.camera && s.status?.[tile.camera.id];
    if (st) tile.setStatus(st.status, st.reasons, st.since);
  };
  const drawList = () => {
    const q = search.value.trim().toLowerCase();
    const rows = s.cameras.filter((c) => !q || `${c.id} ${c.name}`.toLowerCase().includes(q));
    replace(s.list, ...rows.map((c) => {
      const li = h("li", { draggable: "true", tabindex: "0", "data-testid": `wall-camera-${c.id}` },
        h("span", {}, c.name), h("small", {}, c.id));
      li.addEventListener("dragstart", (e) => e.dataTransfer.setData("text/camera", c.id));
      li.addEventListener("click", () => place(c.id));
      li.addEventListener("keydown", (e) => e.key === "Enter" && place(c.id));
      return li;
    }));
  };

  try {
    s.cameras = (await api("GET", "/api/cameras", { query: { limit: 5000 } })).items;
    s.walls = (await api("GET", "/api/walls")).items;
    s.tours = (await api("GET", "/api/tours")).items;
    s.status = {};
    // Status only: every role may see the status of the cameras it sees (no health.read needed).
    const health = await api("GET", "/api/health/status", { quiet401: true }).catch(() => null);
    for (const row of health?.items || []) s.status[row.camera_id] = row;
  } catch (err) {
    toast(problemMessage(err), "error");
  }
  // Navigated away (or rendered again) while loading: leave no handlers or peers behind.
  if (state !== s) return;
  replace(wallSel, h("option", { value: "" }, t("wall.none")),
    ...s.walls.map((w) => h("option", { value: String(w.id) }, w.shared ? `${w.name} · ${t("wall.shared")}` : w.name)));
  const drawTours = (selected = tourSel.value) => {
    replace(tourSel, ...s.tours.map((x) => h("option", { value: String(x.id) }, x.name)));
    if (s.tours.some((x) => String(x.id) === String(selected))) tourSel.value = String(selected);
  };
  drawTours();
  drawList();
  s.observer = watchVisibility(s.grid, () => s.tiles);
  // Other pages open cameras here: #/wall?camera=ID or #/wall?cameras=A,B,C.
  const asked = (ctx.route?.query?.cameras || ctx.route?.query?.camera || "").split(",").filter(Boolean);
  const first = s.walls[0];
  const hidden = asked.filter((id) => !s.cameras.some((c) => c.id === id));
  if (hidden.length) toast(t("wall.not_visible", { ids: hidden.join(", ") }), "error");
  if (asked.length) setLayout(layoutFor(asked.length), asked);
  else if (first) {
    wallSel.value = String(first.id);
    setLayout(first.layout, first.tiles);
  } else setLayout(s.layout);
  s.tiles.forEach(applyStatus);

  search.addEventListener("input", debounce(drawList, 150));
  layoutSel.addEventListener("change", () => setLayout(layoutSel.value));
  transportSel.addEventListener("change", () => {
    s.transport = transportSel.value;
    window.localStorage?.setItem(TRANSPORT_KEY, s.transport);
    setLayout(s.layout, s.tiles.map((x) => x.camera?.id || null));
  });
  wallSel.addEventListener("change", () => {
    const w = s.walls.find((x) => String(x.id) === wallSel.value);
    if (w) setLayout(w.layout, w.tiles);
  });
  saveBtn.addEventListener("click", async () => {
    const w = await saveDialog(s.layout, s.tiles.map((x) => x.camera?.id || null));
    if (!w) return;
    s.walls.push(w);
    wallSel.append(h("option", { value: String(w.id) }, w.name));
    wallSel.value = String(w.id);
    toast(t("wall.saved_ok"), "ok");
  });
  pushBtn.addEventListener("click", async () => {
    try {
      const sent = await pushDialog({ cameraId: s.tiles[s.selected]?.camera?.id, wallId: wallSel.value });
      if (sent) toast(t("wall.push_sent"), "ok");
    } catch (err) {
      toast(problemMessage(err), "error");
    }
  });
  helpBtn.addEventListener("click", () => helpDialog());
  const tourCtx = () => ({
    cameras: s.cameras,
    walls: s.walls,
    canShare: (ctx.user?.roles || []).some((r) => ["admin", "operator", "coordinator"].includes(r)),
  });
  const currentTour = () => s.tours.find((x) => String(x.id) === tourSel.value);
  tourNew.addEventListener("click", async () => {
    const saved = await tourDialog(null, tourCtx());
    if (!saved) return;
    s.tours.push(saved);
    drawTours(saved.id);
    toast(t("wall.tour_saved"), "ok");
  });
  tourEdit.addEventListener("click", async () => {
    const tour = currentTour();
    if (!tour) return toast(t("wall.no_tour"), "ok");
    const saved = await tourDialog(tour, tourCtx());
    if (!saved) return;
    s.tours = s.tours.map((x) => (x.id === saved.id ? saved : x));
    drawTours(saved.id);
    toast(t("wall.tour_saved"), "ok");
  });
  tourDel.addEventListener("click", async () => {
    const tour = currentTour();
    if (!tour) return toast(t("wall.no_tour"), "ok");
    try {
      if (!(await deleteTour(tour))) return;
    } catch (err) {
      return toast(problemMessage(err), "error");
    }
    if (s.tour?.tour.id === tour.id) tourBtn.click();
    s.tours = s.tours.filter((x) => x.id !== tour.id);
    drawTours();
  });
  const stepCameras = (step) => {
    if (step.kind === "camera") return [step.ref];
    const w = s.walls.find((x) => String(x.id) === String(step.ref));
    return w ? w.tiles.filter(Boolean) : [];
  };
  tourBtn.addEventListener("click", () => {
    if (s.tour) {
      clearTimeout(s.tour.timer);
      s.tour = null;
      replace(tourBtn, t("wall.tour_play"));
      return;
    }
    const tour = currentTour() || s.tours[0];
    if (!tour) return toast(t("wall.no_tour"), "ok");
    s.tour = { tour, step: 0, timer: null };
    replace(tourBtn, t("wall.tour_pause"));
    const next = () => {
      if (!s.tour) return;
      const step = tour.steps[s.tour.step % tour.steps.length];
      const after = tour.steps[(s.tour.step + 1) % tour.steps.length];
      s.tour.step += 1;
      container.dataset.tourStep = String(s.tour.step);
      if (step.kind === "camera") setLayout("1", [step.ref]);
      else {
        const w = s.walls.find((x) => String(x.id) === String(step.ref));
        if (w) setLayout(w.layout, w.tiles);
      }
      // Open the next step's cameras on the server now, so they start from a cached GOP.
      const ahead = stepCameras(after);
      if (ahead.length && tour.steps.length > 1) {
        api("POST", "/api/live/prewarm", {
          body: { cameras: [...new Set(ahead)].slice(0, 64), seconds: step.dwell_s + 15 },
        }).catch(() => {});
      }
      s.tour.timer = setTimeout(next, step.dwell_s * 1000);
    };
    next();
  });
  s.keys = (e) => {
    if (e.target.closest("input, select, textarea, dialog")) return;
    const n = Number(e.key);
    const moved = arrowTarget(s.layout, s.tiles.length, s.selected, e.key);
    if (moved !== null) {
      e.preventDefault();
      select(s.tiles[moved]);
      s.tiles[moved].el.focus();
    } else if (n >= 1 && n <= 9 && s.tiles[n - 1]) select(s.tiles[n - 1]);
    else if (e.key === "?") helpDialog();
    else if (e.key === "f" || e.key === "F") full(s.tiles[s.selected]);
    else if (e.key === "Escape") s.tiles.forEach((x) => x.el.classList.contains("full") && full(x));
    else if (e.key === " " && s.tour) tourBtn.click();
  };
  document.addEventListener("keydown", s.keys);
  // Hidden pages stop their streams; they come back when the page is shown again.
  s.visibility = () => s.tiles.forEach((x) => (document.hidden ? x.stop(false) : x.camera && x.start(true)));
  document.addEventListener("visibilitychange", s.visibility);
  // Handlers receive the event's data.
  ctx.onEvent("camera.status", (data) => {
    s.status[data.camera_id] = data;
    s.tiles.filter((x) => x.camera?.id === data.camera_id).forEach(applyStatus);
  });
  ctx.onEvent("wall.push", (data) => {
    toast(tNodes("wall.pushed", { from: person(data.from) }), "ok");
    if (data.camera_id) setLayout("1", [data.camera_id]);
    else if (data.wall) setLayout(data.wall.layout, data.wall.tiles);
  });
}

/** Stop every tile's peer and timers. */
export function dispose() {
  if (!state) return;
  state.tiles.forEach((x) => x.stop());
  state.bundle?.close();
  state.observer?.();
  if (state.tour) clearTimeout(state.tour.timer);
  document.removeEventListener("keydown", state.keys);
  document.removeEventListener("visibilitychange", state.visibility);
  state = null;
}
