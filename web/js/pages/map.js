// The map: communities coloured by readiness, shelters, routes, cameras with their fields of
// view, and (for coordinators and admins) drawing and editing of shelters and routes.

import { api, problemMessage } from "../api.js";
import { debounce, h, replace } from "../dom.js";
import { t } from "../i18n.js";
import { can } from "../ui/perms.js";
import { toast } from "../ui/toast.js";
import { DrawTools } from "./map/draw.js";
import { createFeature, deleteFeature, editFeature, moveFeature, resetEditing } from "./map/edit.js";
import { exportDialog } from "./map/export.js";
import { importDialog } from "./map/importer.js";
import { ImportPreview, importsDialog } from "./map/preview.js";
import { LAYERS, MapLayers } from "./map/layers.js";
import { loadLeaflet, pageStyle } from "./map/leaflet.js";
import { communityPanel, emptyPanel, featurePanel } from "./map/panel.js";
import { NO_SCORE, SCORE_BINS, STATUS_COLOURS } from "./map/style.js";

const HOME = { center: [23.13, 113.27], zoom: 13 };
let state = null;

function legendControl(L) {
  const control = L.control({ position: "bottomright" });
  control.onAdd = () => {
    const swatch = (colour, label) =>
      h("li", {}, h("span", { class: "swatch", style: `background:${colour}` }), label);
    const bins = SCORE_BINS.map(([min, colour, key], i) => {
      const max = SCORE_BINS[i + 1]?.[0];
      return swatch(colour, `${t(key)} ${max === undefined ? `≥ ${min}` : `${min}–${max}`}`);
    });
    const el = h(
      "div",
      { class: "map-legend", "data-testid": "map-legend" },
      h("strong", {}, t("map.legend_title")),
      h("ul", {}, bins, swatch(NO_SCORE, t("readiness.no_data"))),
      h("strong", {}, t("map.legend_cameras")),
      h(
        "ul",
        {},
        ["online", "degraded", "offline"].map((s) => swatch(STATUS_COLOURS[s], t(`map.status_${s}`))),
      ),
    );
    L.DomEvent.disableClickPropagation(el);
    return el;
  };
  return control;
}

/** Render the map page. */
export async function render(container, ctx) {
  pageStyle("map");
  const s = (state = { disposed: false, cleanups: [] });
  const canEdit = can("gis.write");
  const view = h("div", { class: "map-view", "data-testid": "map-view" });
  const panel = h("aside", { class: "map-panel", "data-testid": "map-panel", "aria-live": "polite" });
  const hint = h("p", { class: "map-hint muted", "data-testid": "map-hint" });
  const toolBtn = (key) =>
    h("button", { type: "button", class: "btn btn-sm", "data-testid": `map-tool-${key}`, "aria-pressed": "false" }, t(`map.tool_${key}`));
  const shelterBtn = toolBtn("shelter");
  const routeBtn = toolBtn("route");
  const importBtn = h("button", { type: "button", class: "btn btn-sm", "data-testid": "map-import" }, t("map.import"));
  const historyBtn = h("button", { type: "button", class: "btn btn-sm", "data-testid": "map-imports" }, t("map.imports"));
  const exportBtn = h("button", { type: "button", class: "btn btn-sm", "data-testid": "map-export" }, t("map.export"));
  exportBtn.addEventListener("click", () => exportDialog());
  const checks = LAYERS.map(({ id, on }) =>
    h(
      "label",
      { class: "check" },
      h("input", { type: "checkbox", checked: on, "data-testid": `map-layer-${id}`, dataset: { layer: id } }),
      h("span", {}, t(`map.layer_${id}`)),
    ),
  );
  replace(
    container,
    h("div", { class: "page-head" }, h("h1", {}, t("nav.map"))),
    h(
      "div",
      { class: "map-body" },
      h(
        "div",
        { class: "map-side" },
        h("fieldset", { class: "map-layers", "data-testid": "map-layers" }, h("legend", {}, t("map.layers")), checks),
        canEdit
          ? h("div", { class: "map-tools", "data-testid": "map-tools" }, shelterBtn, routeBtn, importBtn, historyBtn, exportBtn, hint)
          : h("div", { class: "map-tools" }, exportBtn),
        panel,
      ),
      view,
    ),
  );
  emptyPanel(panel);

  let L;
  try {
    L = await loadLeaflet();
  } catch (err) {
    replace(view, h("p", { class: "alert" }, t("map.no_library")));
    return;
  }
  if (s.disposed) return;
  const map = L.map(view, { minZoom: 3, maxZoom: 19, attributionControl: false }).setView(HOME.center, HOME.zoom);
  s.map = map;
  const tiles = ctx.meta?.map?.tile_url;
  if (tiles) {
    // Only a locally served tile set: the console works with no internet.
    L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
    if (ctx.meta.map.tile_attribution) {
      L.control.attribution({ prefix: false }).addAttribution(ctx.meta.map.tile_attribution).addTo(map);
    }
  }
  L.control.scale({ imperial: false }).addTo(map);
  legendControl(L).addTo(map);

  const fail = (err) => toast(problemMessage(err), "error");
  const layers = (s.layers = new MapLayers(L, map, {
    onClick: select,
    onError: fail,
    drawing: () => Boolean(s.draw?.mode),
  }));
  const draw = (s.draw = new DrawTools(L, map, {
    onChange: (mode) => {
      shelterBtn.setAttribute("aria-pressed", String(mode === "point" && !s.moving));
      routeBtn.setAttribute("aria-pressed", String(mode === "line"));
      replace(hint, mode ? t(mode === "line" ? "map.hint_line" : "map.hint_point") : "");
      view.dataset.drawing = mode || "";
    },
  }));

  async function scores() {
    try {
      const data = await api("GET", "/api/readiness", { quiet401: true });
      s.scores = new Map(data.communities.map((c) => [c.code, c]));
      layers.setScores(data.communities);
    } catch (err) {
      // Readiness not computed (or not installed): the choropleth shows "no data".
      s.scores = new Map();
      console.info("no readiness scores for the map", err?.status ?? err);
    }
  }

  function actionsFor(layer, f) {
    if (!canEdit || (layer !== "shelters" && layer !== "routes")) return [];
    const btn = (key, fn, cls = "btn btn-sm") =>
      h("button", { type: "button", class: cls, "data-testid": `map-${key}`, onclick: fn }, t(`map.${key}`));
    const out = [
      btn("edit", async () => {
        try {
          const saved = await editFeature(layer, f);
          if (saved) {
            layers.load(layer);
            select(layer, saved);
            toast(t("map.saved_ok"), "ok");
          }
        } catch (err) {
          fail(err);
        }
      }),
    ];
    if (f.geometry.type === "Point") {
      out.push(
        btn("move", () => {
          s.moving = true;
          draw.start("point", async (geometry) => {
            s.moving = false;
            try {
              const saved = await moveFeature(layer, f, geometry);
              layers.load(layer);
              select(layer, saved);
            } catch (err) {
              fail(err);
              layers.load(layer);
            }
          });
        }),
      );
    }
    out.push(
      btn(
        "delete",
        async () => {
          try {
            if (await deleteFeature(layer, f)) {
              layers.load(layer);
              emptyPanel(panel);
              toast(t("map.deleted_ok"), "ok");
            }
          } catch (err) {
            fail(err);
            layers.load(layer);
          }
        },
        "btn btn-sm btn-danger",
      ),
    );
    return out;
  }

  function select(layer, f) {
    if (layer === "cameras") {
      ctx.navigate(`#/wall?camera=${encodeURIComponent(f.properties.id)}`);
      return;
    }
    if (layer === "communities") return communityPanel(panel, f, s.scores?.get(f.properties.code));
    featurePanel(panel, layer, f, actionsFor(layer, f));
  }

  const shown = (layer) => {
    layers.toggle(layer, true);
    const box = checks.find((c) => c.querySelector("input").dataset.layer === layer)?.querySelector("input");
    if (box) box.checked = true;
  };
  const preview = (s.preview = new ImportPreview(L, map, panel, {
    onChange: (layer) => shown(layer),
    onClose: () => emptyPanel(panel),
  }));
  importBtn.addEventListener("click", async () => {
    const pending = await importDialog();
    if (pending && !s.disposed) preview.show(pending);
  });
  historyBtn.addEventListener("click", () => importsDialog((layer) => shown(layer)).catch(fail));

  const create = (layer) => async (geometry) => {
    const made = await createFeature(layer, geometry);
    if (made) {
      toast(t("map.saved_ok"), "ok");
      shown(layer);
      select(layer, made);
    }
  };
  shelterBtn.addEventListener("click", () =>
    draw.mode === "point" ? draw.cancel() : draw.start("point", create("shelters")),
  );
  routeBtn.addEventListener("click", () =>
    draw.mode === "line" ? draw.cancel() : draw.start("line", create("routes")),
  );
  for (const label of checks) {
    const input = label.querySelector("input");
    input.addEventListener("change", () => layers.toggle(input.dataset.layer, input.checked));
  }

  await scores();
  if (s.disposed) return;
  // #/map?lon=..&lat=..&zoom=.. opens on a place; otherwise on the whole district.
  const q = ctx.route?.query || {};
  const [lon, lat, zoom] = [Number(q.lon), Number(q.lat), Number(q.zoom || 16)];
  if (q.lon && q.lat && Number.isFinite(lon) && Number.isFinite(lat)) {
    map.setView([lat, lon], Number.isFinite(zoom) ? zoom : 16, { animate: false });
  } else {
    try {
      const bounds = await layers.districtBounds();
      if (bounds?.isValid() && !s.disposed) map.fitBounds(bounds, { padding: [16, 16], animate: false });
    } catch (err) {
      fail(err);
    }
  }
  if (s.disposed) return;
  const reload = debounce(() => layers.refresh(), 150);
  map.on("moveend", reload);
  s.cleanups.push(() => reload.cancel());
  layers.refresh();
  view.dataset.ready = "true";

  ctx.onEvent("gis.feature.changed", (d) => layers.isOn(d.layer) && layers.load(d.layer));
  ctx.onEvent("gis.feature.imported", (d) => layers.isOn(d.layer) && layers.load(d.layer));
  const rescore = debounce(scores, 500);
  ctx.onEvent("readiness.score.changed", rescore);
  const cams = debounce(() => layers.isOn("cameras") && layers.load("cameras"), 1000);
  ctx.onEvent("camera.status", cams);
  s.cleanups.push(() => rescore.cancel(), () => cams.cancel());
}

/** Remove the map and its handlers. */
export function dispose() {
  if (!state) return;
  state.disposed = true;
  for (const fn of state.cleanups) fn();
  state.draw?.dispose();
  state.preview?.dispose();
  state.layers?.dispose();
  state.map?.remove();
  resetEditing();
  state = null;
}
