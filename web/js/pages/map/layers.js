// The map's data layers: GeoJSON fetched for the visible bbox and zoom, drawn with Leaflet.

import { api } from "../../api.js";
import { h } from "../../dom.js";
import {
  BUILDING_COLOURS,
  scoreColour,
  shelterColour,
  shelterRadius,
  STATUS_COLOURS,
} from "./style.js";

/** Layers in drawing order (bottom first) and whether they start switched on. */
export const LAYERS = [
  { id: "communities", on: true },
  { id: "faults", on: false },
  { id: "buildings", on: false },
  { id: "routes", on: true },
  { id: "shelters", on: true },
  { id: "teams", on: false },
  { id: "pois", on: false },
  { id: "cameras", on: true },
];

function url(id) {
  return id === "cameras" ? "/api/gis/cameras.geojson" : `/api/gis/layers/${id}.geojson`;
}

/** Draws each switched-on layer and refetches it when the view moves. */
export class MapLayers {
  constructor(L, map, { onClick, onError, drawing }) {
    this.L = L;
    this.drawing = drawing;
    this.map = map;
    this.onClick = onClick;
    this.onError = onError;
    this.scores = new Map();
    this.data = new Map();
    this.groups = new Map();
    this.aborts = new Map();
    LAYERS.forEach((layer, i) => {
      const pane = map.createPane(`eoc-${layer.id}`);
      pane.style.zIndex = String(390 + i);
      const group = L.layerGroup();
      this.groups.set(layer.id, group);
      if (layer.on) group.addTo(map);
    });
  }

  /** Whether a layer is drawn. */
  isOn(id) {
    return this.map.hasLayer(this.groups.get(id));
  }

  /** Switch a layer on or off (fetching it when switched on). */
  toggle(id, on) {
    const group = this.groups.get(id);
    if (on) {
      group.addTo(this.map);
      this.load(id);
    } else group.remove();
  }

  /** Readiness records by community code, for the choropleth. */
  setScores(communities) {
    this.scores = new Map(communities.map((c) => [c.code, c]));
    if (this.data.has("communities")) this.draw("communities", this.data.get("communities"));
  }

  /** Refetch every switched-on layer for the current view. */
  refresh() {
    for (const { id } of LAYERS) if (this.isOn(id)) this.load(id);
  }

  async load(id) {
    this.aborts.get(id)?.abort();
    const ctrl = new AbortController();
    this.aborts.set(id, ctrl);
    const b = this.map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
      .map((v) => v.toFixed(6))
      .join(",");
    const query = id === "cameras" ? { bbox } : { bbox, zoom: Math.round(this.map.getZoom()) };
    try {
      const fc = await api("GET", url(id), { query, signal: ctrl.signal });
      if (ctrl.signal.aborted || !this.groups.has(id)) return;
      this.data.set(id, fc);
      this.draw(id, fc);
    } catch (err) {
      if (err.name !== "AbortError") this.onError(err);
    }
  }

  /** Bounds of all communities (one unfiltered request), to open the map on the district. */
  async districtBounds() {
    const fc = await api("GET", url("communities"), { query: { zoom: 10 } });
    if (!fc.features.length) return null;
    return this.L.geoJSON(fc).getBounds();
  }

  draw(id, fc) {
    const { L } = this;
    const group = this.groups.get(id);
    group.clearLayers();
    const pane = `eoc-${id}`;
    if (id === "cameras") return this.drawCameras(group, fc, pane);
    const layer = L.geoJSON(fc, {
      pane,
      style: (f) => this.style(id, f.properties),
      pointToLayer: (f, latlng) =>
        L.circleMarker(latlng, { pane, ...this.style(id, f.properties), ...this.point(id, f) }),
      onEachFeature: (f, lyr) => {
        lyr.on("click", (ev) => {
          if (this.drawing()) return; // let the click reach the map's drawing tool
          L.DomEvent.stopPropagation(ev);
          this.onClick(id, f);
        });
        const name = f.properties.name || f.id;
        // An element, not a string: Leaflet puts strings in as HTML, and names are user data.
        if (name) lyr.bindTooltip(h("span", { class: "map-tip" }, String(name)), { sticky: true });
      },
    });
    layer.addTo(group);
  }

  point(id, f) {
    if (id === "shelters") return { radius: shelterRadius(f.properties), className: "map-shelter" };
    return { radius: id === "teams" ? 6 : 5, className: `map-${id}` };
  }

  style(id, p) {
    switch (id) {
      case "communities": {
        const rec = this.scores.get(p.code);
        return {
          color: "#cbd5e1",
          weight: 1,
          fillColor: scoreColour(rec?.score),
          fillOpacity: 0.45,
          className: "map-community",
        };
      }
      case "shelters": {
        const c = shelterColour(p);
        return { color: "#0f172a", weight: 1, fillColor: c, fillOpacity: 0.85, className: "map-shelter" };
      }
      case "routes":
        return { color: "#38bdf8", weight: 4, dashArray: "8 6", className: "map-route" };
      case "faults":
        return { color: "#b91c1c", weight: 3, className: "map-fault" };
      case "buildings": {
        const c = BUILDING_COLOURS[p.rating] || BUILDING_COLOURS.unknown;
        return { color: c, weight: 1, fillColor: c, fillOpacity: 0.6 };
      }
      case "teams":
        return { color: "#a855f7", weight: 1, fillColor: "#a855f7", fillOpacity: 0.8 };
      default:
        return { color: "#14b8a6", weight: 1, fillColor: "#14b8a6", fillOpacity: 0.8 };
    }
  }

  drawCameras(group, fc, pane) {
    const { L } = this;
    for (const f of fc.features) {
      const p = f.properties;
      const colour = STATUS_COLOURS[p.status] || STATUS_COLOURS.unknown;
      if (p.sector) {
        const ring = p.sector.map(([lon, lat]) => [lat, lon]);
        L.polygon(ring, {
          pane,
          interactive: false,
          color: colour,
          weight: 1,
          fillColor: colour,
          fillOpacity: 0.15,
          className: "map-sector",
        }).addTo(group);
      }
      const [lon, lat] = f.geometry.coordinates;
      const dot = h("span", {
        class: `map-cam${p.key_camera ? " key" : ""}`,
        "data-testid": `map-camera-${p.id}`,
        "data-status": p.status,
        style: `background:${colour}`,
        title: `${p.name} (${p.status})`,
      });
      const marker = L.marker([lat, lon], {
        pane,
        icon: L.divIcon({ html: dot, className: "map-cam-icon", iconSize: [14, 14] }),
        keyboard: true,
        title: p.name,
      });
      marker.on("click", () => !this.drawing() && this.onClick("cameras", f));
      marker.addTo(group);
    }
  }

  /** Abort requests and forget everything. */
  dispose() {
    for (const ctrl of this.aborts.values()) ctrl.abort();
    this.groups.clear();
  }
}
