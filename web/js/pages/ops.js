// The operations view (#/ops): the landing page of operators and command. One screen: the map,
// a compact wall, the live feed, drills, the weakest communities and shelters; during an
// incident it switches to intensity, impact, shelters over capacity, the auto-wall and the
// timeline. Panes resize and the layout is saved per user; everything updates over /ws.
// #/ops?incident=ID shows that incident; ?cluster=off draws one marker per camera (benchmark).

import { api, problemMessage } from "../api.js";
import { h, replace } from "../dom.js";
import { t } from "../i18n.js";
import { toast } from "../ui/toast.js";
import { pageStyle } from "./map/leaflet.js";
import { Feed, itemOf } from "./ops/feed.js";
import { titleBar } from "./ops/title.js";
import { helpDialog, installKeys } from "./ops/keys.js";
import { Layout, PREF as LAYOUT } from "./ops/layout.js";
import { wireLive } from "./ops/live.js";
import { OpsMap } from "./ops/map.js";
import { drillsPane, occupancyPane, weakestPane } from "./ops/panes.js";
import { loadPrefs, savePref } from "./ops/prefs.js";
import { showSelection } from "./ops/selection.js";
import { CompactWall } from "./ops/wall.js";

const PINS = "opsview.pins";
const INGEST = ["admin", "coordinator", "operator"];
const MANAGE = ["admin", "coordinator"];
let state = null;
const intake = () => import("./ops/intake.js");

/** Shelter columns (GET /api/ops/shelters) as point features for the map and the panes. */
function shelterFeatures(c) {
  return {
    type: "FeatureCollection",
    features: c.id.map((id, i) => ({
      type: "Feature",
      id,
      geometry: { type: "Point", coordinates: [c.lon[i], c.lat[i]] },
      properties: { name: c.name[i], capacity: c.capacity[i], occupancy: c.occupancy[i], open: c.open[i] },
    })),
  };
}

/** Time a step (milliseconds since the view started rendering, and its own duration). */
function timed(s, name, promise) {
  const t0 = performance.now();
  return promise.finally(() => {
    s.timings[name] = [Math.round(t0 - s.started), Math.round(performance.now() - t0)];
  });
}

function quiet(promise, fallback = null) {
  return promise.catch((err) => {
    console.info("operations view: part not loaded", err?.status ?? err);
    return fallback;
  });
}

/** Render the operations view. */
export async function render(container, ctx) {
  dispose();
  pageStyle("map"); // legend, score bars
  pageStyle("ops");
  const s = (state = { ctx, disposed: false, cleanups: [], pins: [], mode: null, started: performance.now(), timings: {} });
  const roles = ctx.user?.roles || [];
  const can = { ingest: roles.some((r) => INGEST.includes(r)), manage: roles.some((r) => MANAGE.includes(r)) };
  const zone = ctx.meta?.site?.timezone || "Asia/Shanghai";
  s.layout = new Layout({ onResize: () => s.map?.invalidate() });
  const p = (s.panes = s.layout.panes);
  const tool = (key, testid, fn, show = true) =>
    show ? h("button", { type: "button", class: "btn btn-sm", "data-testid": testid, title: t(`ops.key.${key}`), onclick: fn }, t(`ops.tool.${key}`)) : null;
  s.title = h("div", { class: "ops-title", "data-testid": "ops-mode" });
  s.dock = h("div", { class: "ops-dock-host", hidden: true });
  const act = (s.actions = {
    help: () => helpDialog(),
    // Incident mode's modules load when first used: the day-to-day view starts faster.
    quake: () => can.ingest && intake().then((m) => m.quakePanel(s.dock, s.map, { onFiled: (out) => out.incident_id && openIncident(out.incident_id) })),
    exercise: () => can.manage && intake().then((m) => m.exercisePanel(s.dock, s.map, { onStarted: (inc) => showIncident(inc) })),
    box: () => s.map.draw.start("rectangle", (g) => select({ kind: "area", geometry: g, name: t("ops.sel.area") })),
    area: () => s.map.draw.start("polygon", (g) => select({ kind: "area", geometry: g, name: t("ops.sel.area") })),
    wall: () => s.selection?.open(),
    fit: () => s.map.fit(),
    zoomIn: () => s.map.map.zoomIn(),
    zoomOut: () => s.map.map.zoomOut(),
    layout: () => s.layout.reset().then(() => s.wall.setCount(s.layout.values.tiles)),
    tile: (i) => s.wall.select(i),
    full: () => s.wall.full(s.wall.selected),
    escape: () => (s.wall.leaveFull(), s.map.draw.cancel(), s.selection?.clear()),
    pin: () => s.wall.selectedCamera() && wallAction(s.wall.selectedCamera(), "pin"),
    dismiss: () => s.mode && s.wall.selectedCamera() && wallAction(s.wall.selectedCamera(), "dismiss"),
    note: () => s.mode?.timeline?.focus(),
  });
  const tools = h(
    "div",
    { class: "ops-tools", role: "toolbar", "aria-label": t("ops.tools") },
    tool("quake", "ops-enter-quake", act.quake, can.ingest),
    tool("exercise", "ops-start-exercise", act.exercise, can.manage),
    tool("box", "ops-draw-box", act.box),
    tool("area", "ops-draw-area", act.area),
    tool("fit", "ops-fit", act.fit),
    tool("layout", "ops-reset-layout", act.layout),
    h("button", { type: "button", class: "btn btn-sm", "data-testid": "ops-help-btn", title: t("ops.key.help"), onclick: act.help }, "?"),
  );
  const mapEl = h("div", { class: "ops-map", "data-testid": "ops-map" });
  s.selBar = h("div", { class: "ops-selection", hidden: true, "data-testid": "ops-selection" });
  replace(p.map, mapEl, s.selBar, s.dock);
  s.root = h("div", { class: "ops", "data-testid": "ops-view" }, h("div", { class: "ops-head" }, s.title, h("span", { class: "spacer" }), tools), s.layout.el);
  replace(container, s.root);
  s.wall = new CompactWall(p.wall, {
    onAction: (id, action) => wallAction(id, action),
    onCount: (n) => s.layout.set({ tiles: n }),
    onOpenAll: (ids) => ids.length && ctx.navigate(`#/wall?cameras=${ids.map(encodeURIComponent).join(",")}`),
  });
  s.feed = new Feed(p.feed);
  s.map = new OpsMap(mapEl, {
    clustered: ctx.route.query.cluster !== "off",
    onSelect: (sel) => select(sel),
    onCamera: (id) => wallAction(id, "pin"),
    onCluster: (ids, bounds) => (s.map.map.getZoom() < 17 ? s.map.fit(bounds) : select({ kind: "cameras", ids, name: t("ops.sel.cluster", { n: ids.length }) })),
    onDraw: (mode) => (mapEl.dataset.drawing = mode || ""),
  });

  async function select(sel) {
    s.selection = await showSelection(s.selBar, sel, { map: s.map, navigate: ctx.navigate });
  }

  async function wallAction(id, action) {
    if (s.mode) return s.mode.pick(id, action);
    s.pins = s.pins.filter((x) => x !== id);
    if (action === "pin") s.pins.unshift(id);
    drawNormalWall();
    if (action === "pin") toast(t("ops.wall.pinned_ok", { id }), "ok");
    await savePref(PINS, s.pins.slice(0, 64)).catch((err) => toast(problemMessage(err), "error"));
  }

  function drawNormalWall() {
    if (s.mode || !s.cams) return;
    const c = s.cams;
    const at = new Map(c.id.map((id, i) => [id, i]));
    const item = (i, pick) => ({ id: c.id[i], name: c.name[i], status: c.status[i], pick, reason: pick ? t("ops.wall.pinned") : t("ops.wall.key") });
    const pinned = s.pins.filter((id) => at.has(id)).map((id) => item(at.get(id), "pin"));
    const bad = (i) => ["offline", "disabled"].includes(c.status[i]);
    const keys = c.key.filter((i) => !s.pins.includes(c.id[i])).sort((a, b) => bad(a) - bad(b)).map((i) => item(i, null));
    // Then the other cameras, working ones first, so no tile stays black while one could play.
    const taken = new Set([...pinned, ...keys].map((x) => x.id));
    const rest = [];
    for (let i = 0; i < c.id.length && rest.length < 16; i++) {
      if (!taken.has(c.id[i]) && !bad(i)) rest.push({ ...item(i, null), reason: "" });
    }
    s.wall.setItems([...pinned, ...keys, ...rest]);
  }

  function drawTitle() {
    const inc = s.mode?.inc;
    s.root.dataset.mode = inc ? (inc.is_exercise ? "exercise" : "incident") : "normal";
    titleBar(s.title, inc, { can, onLeave: () => leaveIncident(true), onClose: closeIncident, onStrike: () => intake().then((m) => m.strikeDialog(inc)) });
  }

  s.refreshTitle = () => drawTitle();

  async function closeIncident() {
    try {
      await api("POST", `/api/incidents/${s.mode.id}/close`);
    } catch (err) {
      toast(problemMessage(err), "error");
    }
  }

  async function showIncident(inc) {
    if (s.disposed || (s.mode && s.mode.id === inc.id)) return;
    const { IncidentMode } = await import("./ops/incident.js");
    if (s.disposed || (s.mode && s.mode.id === inc.id)) return;
    s.mode?.close();
    s.mode = new IncidentMode(view, inc);
    s.root.dataset.incident = String(inc.id);
    drawTitle();
    ctx.replaceQuery({ ...ctx.route.query, incident: inc.id });
    await s.mode.open();
  }

  async function openIncident(id) {
    try {
      await showIncident(await api("GET", `/api/incidents/${id}`));
    } catch (err) {
      toast(problemMessage(err), "error");
    }
  }

  function leaveIncident(byHand = false) {
    s.mode?.close();
    s.mode = null;
    delete s.root.dataset.incident;
    s.dismissedByHand = byHand;
    const { incident: _, ...rest } = ctx.route.query;
    ctx.replaceQuery(rest);
    drawTitle();
    drawNormal();
  }

  function drawNormal() {
    if (s.mode) return;
    drillsPane(p.a, s.calendar?.items || [], zone);
    weakestPane(p.b, s.readiness, { onShow: (code) => showCommunity(code) });
    occupancyPane(p.c, s.shelters, { onShow: (f) => select({ kind: "shelter", id: f.id, name: f.properties.name || f.id, geometry: f.geometry }) });
    drawNormalWall();
  }

  function showCommunity(code) {
    const sel = s.map.focusCommunity(code);
    if (sel) select(sel);
  }

  const view = {
    map: s.map,
    wall: s.wall,
    panes: p,
    user: ctx.user,
    canSee: (id) => !s.camSet || s.camSet.has(id),
    onShowCommunity: showCommunity,
    onShowShelter: (fid) => {
      const f = s.shelters?.features.find((x) => x.id === fid);
      if (f) select({ kind: "shelter", id: fid, name: f.properties.name || fid, geometry: f.geometry });
    },
    shelterNames: () => Object.fromEntries((s.shelters?.features || []).map((f) => [f.id, f.properties.name || f.id])),
    communityList: () => (s.communities?.features || []).map((f) => ({ code: f.properties.code, name: f.properties.name })),
    shelterList: () => (s.shelters?.features || []).map((f) => ({ id: f.id, name: f.properties.name })),
  };

  const fetchers = {
    cameras: () => api("GET", "/api/ops/cameras"),
    communities: () => api("GET", "/api/ops/communities.geojson", { query: { zoom: 13 } }),
    shelters: () => api("GET", "/api/ops/shelters"),
    readiness: () => api("GET", "/api/ops/readiness", { query: { limit: 10 } }),
    drills: () => api("GET", "/api/drills/calendar", { query: { view: "week", tz: zone } }),
  };
  // Each loader draws its part; `got` is a request already on its way (the first render).
  const loaders = (s.load = {
    cameras: async (got = fetchers.cameras()) => {
      s.cams = await got;
      s.camSet = new Set(s.cams.id);
      s.map.setCameras(s.cams);
      drawNormalWall();
    },
    communities: async (got = fetchers.communities()) => {
      s.communities = await got;
      s.map.setCommunities(s.communities);
    },
    shelters: async (got = fetchers.shelters()) => {
      s.shelters = shelterFeatures(await got);
      s.map.setShelters(s.shelters);
      if (!s.mode) occupancyPane(p.c, s.shelters, { onShow: (f) => view.onShowShelter(f.id) });
    },
    readiness: async (got = fetchers.readiness()) => {
      s.readiness = await got;
      s.map.setScores(s.readiness.scores);
      if (!s.mode) weakestPane(p.b, s.readiness, { onShow: showCommunity });
    },
    drills: async (got = fetchers.drills()) => {
      s.calendar = await got;
      if (!s.mode) drillsPane(p.a, s.calendar.items, zone);
    },
  });
  drawTitle();
  // Every request leaves now; Leaflet and the preferences load meanwhile, each layer is
  // drawn as soon as both its data and the map are there.
  const fetched = Object.fromEntries(Object.entries(fetchers).map(([k, fn]) => [k, fn()]));
  for (const got of Object.values(fetched)) got.catch(() => {}); // reported by the loader
  let prefs = {};
  try {
    [prefs] = await Promise.all([timed(s, "prefs", loadPrefs()), timed(s, "leaflet", s.map.init(ctx.meta))]);
    s.layout.load(prefs[LAYOUT]);
  } catch (err) {
    replace(mapEl, h("p", { class: "alert" }, t("map.no_library")));
    return;
  }
  if (s.disposed) return;
  s.wall.setCount(s.layout.values.tiles);
  const [, , , , , open, alerts, quakes] = await Promise.all([
    quiet(timed(s, "communities", loaders.communities(fetched.communities))),
    quiet(timed(s, "cameras", loaders.cameras(fetched.cameras))),
    quiet(timed(s, "shelters", loaders.shelters(fetched.shelters))),
    quiet(timed(s, "readiness", loaders.readiness(fetched.readiness))),
    quiet(timed(s, "drills", loaders.drills(fetched.drills))),
    quiet(api("GET", "/api/incidents", { query: { status: "open" } }), { items: [] }),
    quiet(api("GET", "/api/health/alerts", { quiet401: true }), { items: [] }),
    quiet(api("GET", "/api/quakes", { query: { limit: 10 } }), { items: [] }),
  ]);
  if (s.disposed) return;
  s.pins = Array.isArray(prefs[PINS]) ? prefs[PINS] : [];
  s.map.fit();
  for (const a of alerts.items) s.feed.add(itemOf("camera.alert", a));
  for (const q of quakes.items) s.feed.add(itemOf("quake.event", q));
  drawNormal();
  const asked = Number(ctx.route.query.incident);
  const real = open.items.filter((i) => !i.is_exercise);
  const pick = open.items.find((i) => i.id === asked) || real[0] || open.items[0];
  if (asked && !open.items.some((i) => i.id === asked)) await openIncident(asked);
  else if (pick) await showIncident(pick);
  if (s.disposed) return;
  s.cleanups.push(installKeys(act), wireLive(ctx, s, { showIncident, leaveIncident, drawNormalWall, drawNormal }));
  if (ctx.route.query.intake === "quake") act.quake();
  else if (ctx.route.query.intake === "exercise") act.exercise();
  s.visibility = () => s.wall.pause(document.hidden);
  document.addEventListener("visibilitychange", s.visibility);
  const ms = performance.now();
  s.root.dataset.ready = "true";
  s.root.dataset.readyMs = String(Math.round(ms));
  s.root.dataset.renderMs = String(Math.round(ms - s.started));
  s.root.dataset.timings = JSON.stringify(s.timings);
}

/** Stop the tiles, the map and every handler. */
export function dispose() {
  if (!state) return;
  state.disposed = true;
  for (const fn of state.cleanups) fn();
  state.mode?.close();
  state.wall?.dispose();
  state.map?.dispose();
  state.layout?.dispose();
  document.removeEventListener("visibilitychange", state.visibility);
  state = null;
}
