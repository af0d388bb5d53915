// The operations map: communities coloured by readiness (or by estimated intensity during an
// incident, with isoseismal ellipses and the epicentre), shelters sized by capacity and
// coloured by occupancy (over capacity ringed red), cameras clustered by zoom with status
// counts, and drawing a selection to open on the wall. Polygons and circles go on canvas.

import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import { loadLeaflet } from "../map/leaflet.js";
import { NO_SCORE, scoreColour, shelterColour, shelterRadius } from "../map/style.js";
import { CameraClusters } from "./cluster.js";
import { intensityColour, Legend, ROMAN } from "./legend.js";
import { PlainCameras } from "./plain.js";
import { AreaDraw } from "./draw.js";

const HOME = { center: [23.13, 113.27], zoom: 13 };

export class OpsMap {
  constructor(el, { clustered = true, onSelect, onCamera, onCluster, onDraw }) {
    this.el = el;
    this.clustered = clustered;
    this.onSelect = onSelect;
    this.onCamera = onCamera;
    this.onCluster = onCluster;
    this.onDraw = onDraw;
    this.scores = {};
    this.intensity = null; // code -> row, during an incident
    this.shelterState = null; // fid -> row, during an incident
    this.communities = null;
    this.shelters = null;
  }

  async init(meta) {
    const L = (this.L = await loadLeaflet());
    const map = (this.map = L.map(this.el, { minZoom: 3, maxZoom: 19, attributionControl: false, zoomSnap: 0.5 }));
    map.setView(HOME.center, HOME.zoom);
    if (meta?.map?.tile_url) L.tileLayer(meta.map.tile_url, { maxZoom: 19 }).addTo(map);
    const pane = (name, z) => {
      map.createPane(name).style.zIndex = String(z);
      return name;
    };
    // One canvas for every polygon and circle: a canvas only hit-tests its own shapes, so
    // stacked canvases would hide the communities' clicks under the shelters' canvas.
    // Drawing order is kept with bringToBack / bringToFront.
    const canvas = L.canvas({ pane: pane("ops-shapes", 400), padding: 0.1, tolerance: 3 });
    this.canvas = { communities: canvas, iso: canvas, shelters: canvas };
    pane("ops-marks", 640);
    pane("ops-cameras", 620);
    this.layers = {
      communities: L.layerGroup().addTo(map),
      iso: L.layerGroup().addTo(map),
      shelters: L.layerGroup().addTo(map),
      marks: L.layerGroup().addTo(map),
    };
    const Cams = this.clustered ? CameraClusters : PlainCameras;
    this.cameras = new Cams(L, map, {
      pane: "ops-cameras",
      onCamera: (id) => this.onCamera(id),
      onCluster: (ids, bounds) => this.onCluster(ids, bounds),
    });
    this.draw = new AreaDraw(L, map, { onChange: (mode) => this.onDraw?.(mode) });
    this.tip = L.tooltip({ direction: "top", offset: [0, -8], className: "ops-tip" });
    map.on("moveend", () => this.placeIsoLabels());
    L.control.scale({ imperial: false }).addTo(map);
    this.legend = new Legend(L, () => this.el.clientHeight >= 600, () => Boolean(this.intensity));
    this.legend.control.addTo(map);
    this.el.dataset.mode = "readiness";
    this.el.opsMap = this; // tests and the benchmark reach the Leaflet map through the element
    return L;
  }

  /** Community polygons (GeoJSON). */
  setCommunities(fc) {
    this.communities = fc;
    this.drawCommunities();
  }

  /** Readiness scores by community code. */
  setScores(scores) {
    this.scores = scores || {};
    if (!this.intensity) this.restyleCommunities();
  }

  /** Intensity rows by community code (null: back to readiness). */
  setIntensity(rows) {
    this.intensity = rows;
    this.el.dataset.mode = rows ? "intensity" : "readiness";
    this.restyleCommunities();
    this.legend.draw();
  }

  communityStyle(p) {
    if (this.intensity) {
      const row = this.intensity[p.code];
      return { color: "#334155", weight: 0.8, fillColor: row ? intensityColour(row.degree) : NO_SCORE, fillOpacity: 0.55 };
    }
    return { color: "#cbd5e1", weight: 0.8, fillColor: scoreColour(this.scores[p.code]), fillOpacity: 0.42 };
  }

  drawCommunities() {
    const { L } = this;
    this.layers.communities.clearLayers();
    if (!this.communities) return;
    this.communityLayer = L.geoJSON(this.communities, {
      renderer: this.canvas.communities,
      style: (f) => this.communityStyle(f.properties),
    }).addTo(this.layers.communities);
    this.delegate(
      this.communityLayer,
      (f) => this.onSelect({ kind: "community", id: f.id, code: f.properties.code, name: f.properties.name || f.properties.code, geometry: f.geometry }),
      (f) => this.communityTip(f.properties),
    );
    this.communityLayer.bringToBack();
    this.el.dataset.communities = String(this.communities.features.length);
  }

  /** One click handler and one shared tooltip per layer group, not one per shape: a
   * tooltip and handlers bound to each of 5,000 shelters cost more than drawing them. */
  delegate(group, onPick, tipOf) {
    const { L } = this;
    const shape = (ev) => (ev.propagatedFrom || ev.layer)?.feature;
    group.on("click", (ev) => {
      const f = shape(ev);
      if (this.draw.mode || !f) return;
      L.DomEvent.stopPropagation(ev);
      onPick(f);
    });
    group.on("mouseover mousemove", (ev) => {
      const f = shape(ev);
      if (!f || this.draw.mode) return;
      this.tip.setLatLng(ev.latlng).setContent(tipOf(f));
      if (!this.map.hasLayer(this.tip)) this.tip.addTo(this.map);
    });
    group.on("mouseout", () => this.tip.remove());
  }

  communityTip(p) {
    const row = this.intensity?.[p.code];
    const score = this.scores[p.code];
    const extra = row
      ? t("ops.map.tip_intensity", { roman: row.roman, value: row.intensity.toFixed(1) })
      : t("ops.map.tip_score", { score: score === null || score === undefined ? "—" : score.toFixed(0) });
    return `${p.name || p.code} · ${extra}`;
  }

  restyleCommunities() {
    this.communityLayer?.setStyle((f) => this.communityStyle(f.properties));
  }

  /** Shelter points (GeoJSON), with capacity and reported occupancy in their properties. */
  setShelters(fc) {
    this.shelters = fc;
    this.drawShelters();
  }

  /** Incident rows by shelter id (expected demand, over capacity, status); null: none. */
  setShelterState(rows) {
    this.shelterState = rows;
    this.drawShelters();
  }

  shelterStyle(f) {
    const p = f.properties;
    const st = this.shelterState?.[f.id];
    const occ = st?.occupancy ?? p.occupancy;
    const closed = st?.status === "closed" || p.open === false;
    let fill = shelterColour({ capacity: p.capacity, occupancy: occ });
    if (st?.status === "full" || st?.reported_full) fill = "#ef4444";
    if (closed) fill = "#64748b";
    const over = Boolean(st?.over_capacity);
    return {
      renderer: this.canvas.shelters,
      radius: shelterRadius(p),
      color: over ? "#ef4444" : "#0f172a",
      weight: over ? 4 : 1,
      fillColor: fill,
      fillOpacity: 0.85,
    };
  }

  drawShelters() {
    const { L } = this;
    this.layers.shelters.clearLayers();
    if (!this.shelters) return;
    let over = 0;
    this.shelterLayer = L.geoJSON(this.shelters, {
      pointToLayer: (f, latlng) => {
        const style = this.shelterStyle(f);
        if (style.weight > 1) over += 1;
        return L.circleMarker(latlng, style);
      },
    }).addTo(this.layers.shelters);
    this.delegate(
      this.shelterLayer,
      (f) => this.onSelect({ kind: "shelter", id: f.id, name: f.properties.name || f.id, geometry: f.geometry }),
      (f) => this.shelterTip(f),
    );
    this.el.dataset.shelters = String(this.shelters.features.length);
    this.el.dataset.overCapacity = String(over);
  }

  shelterTip(f) {
    const p = f.properties;
    const st = this.shelterState?.[f.id];
    const occ = st?.occupancy ?? p.occupancy;
    const parts = [p.name || f.id, t("ops.map.tip_capacity", { n: p.capacity ?? "—" })];
    if (occ !== null && occ !== undefined) parts.push(t("ops.map.tip_occupancy", { n: occ }));
    if (st) parts.push(t("ops.map.tip_demand", { n: st.expected_demand }));
    if (st?.over_capacity) parts.push(t("ops.shelters.over", { n: st.excess }));
    return parts.join(" · ");
  }

  /** Camera columns (GET /api/ops/cameras). */
  setCameras(cols) {
    this.cameras.setData(cols);
    this.el.dataset.cameras = String(cols.id.length);
  }

  cameraStatus(id, status) {
    return this.cameras.setStatus(id, status);
  }

  /** Isoseismal polygons and the epicentre (null: remove). */
  setIncident(fc, epicentre) {
    const { L } = this;
    this.layers.iso.clearLayers();
    this.isoLabels = [];
    this.epicentre?.remove();
    this.epicentre = null;
    if (!fc) return;
    const lines = L.geoJSON(fc, {
      renderer: this.canvas.iso,
      interactive: false,
      style: (f) => ({ color: "#0f172a", weight: 2, opacity: 0.9, fill: false, dashArray: f.properties.degree % 2 ? null : "6 4" }),
    });
    lines.addTo(this.layers.iso);
    this.shelterLayer?.bringToFront();
    this.isoLabels = fc.features.map((f) => {
      const ring = f.geometry.type === "Polygon" ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
      const label = h("span", { class: "ops-iso-label", "data-testid": "ops-iso-label" }, ROMAN[f.properties.degree] || "");
      const marker = L.marker([ring[0][1], ring[0][0]], {
        pane: "ops-marks",
        interactive: false,
        icon: L.divIcon({ html: label, className: "ops-iso-icon", iconSize: [28, 16] }),
      }).addTo(this.layers.iso);
      return { ring, marker };
    });
    this.placeIsoLabels();
    if (epicentre) {
      const star = h("span", { class: "ops-epicentre", "data-testid": "ops-epicentre", title: t("ops.map.epicentre") }, "✶");
      this.epicentre = L.marker([epicentre[1], epicentre[0]], {
        pane: "ops-marks",
        icon: L.divIcon({ html: star, className: "ops-epicentre-icon", iconSize: [28, 28] }),
        keyboard: false,
      }).addTo(this.map);
    }
    this.el.dataset.isoseismals = String(fc.features.length);
  }

  /** Each ellipse's label on its vertex nearest the view's centre, so a ring crossing the
   * view is always named; a ring wholly outside the view hides its label. */
  placeIsoLabels() {
    if (!this.isoLabels?.length || !this.map) return;
    const b = this.map.getBounds();
    const c = b.getCenter();
    for (const { ring, marker } of this.isoLabels) {
      let best = null;
      let dist = Infinity;
      for (const [lon, lat] of ring) {
        if (!b.contains([lat, lon])) continue;
        const d = (lon - c.lng) ** 2 + (lat - c.lat) ** 2;
        if (d < dist) [best, dist] = [[lat, lon], d];
      }
      marker.setOpacity(best ? 1 : 0);
      if (best) marker.setLatLng(best);
    }
  }

  /** Outline the current selection (a GeoJSON geometry) or clear it. */
  highlight(geometry) {
    this.selection?.remove();
    this.selection = null;
    if (!geometry) return;
    this.selection = this.L.geoJSON(geometry, {
      pane: "ops-marks",
      interactive: false,
      style: { color: "#f59e0b", weight: 3, fillOpacity: 0.05, dashArray: "6 4" },
      pointToLayer: (f, ll) => this.L.circleMarker(ll, { radius: 16, color: "#f59e0b", weight: 3, fill: false }),
    }).addTo(this.map);
  }

  /** Fit the district (communities), or the given bounds. */
  fit(bounds = null) {
    const b = bounds || (this.communityLayer && this.communityLayer.getBounds());
    if (b?.isValid()) this.map.fitBounds(b, { padding: [12, 12], animate: false });
  }

  /** Zoom onto a community by code. */
  focusCommunity(code) {
    let found = null;
    this.communityLayer?.eachLayer((lyr) => {
      if (lyr.feature?.properties?.code === code) found = lyr;
    });
    if (!found) return null;
    this.map.fitBounds(found.getBounds(), { maxZoom: 16, animate: false });
    const f = found.feature;
    return { kind: "community", id: f.id, code, name: f.properties.name || code, geometry: f.geometry };
  }

  invalidate() {
    this.map?.invalidateSize({ animate: false });
  }

  dispose() {
    this.draw?.dispose();
    this.cameras?.dispose();
    this.map?.remove();
    this.map = null;
  }
}
