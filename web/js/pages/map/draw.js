// Drawing tools: place a shelter point, draw a route line (double-click ends), move a point.

/** One drawing interaction at a time on a Leaflet map; `done(geometry)` gets GeoJSON. */
export class DrawTools {
  constructor(L, map, { onChange }) {
    this.L = L;
    this.map = map;
    this.onChange = onChange;
    this.mode = null;
    this.points = [];
    this.preview = null;
    this.done = null;
    this.handlers = {
      click: (ev) => this.click(ev),
      dblclick: (ev) => this.finish(ev),
      mousemove: (ev) => this.hover(ev),
    };
    this.keys = (ev) => ev.key === "Escape" && this.cancel();
  }

  /** Start a mode ("point" or "line"); `done(geometry)` runs when the shape is complete. */
  start(mode, done) {
    this.cancel();
    this.mode = mode;
    this.done = done;
    this.map.doubleClickZoom.disable();
    this.map.getContainer().classList.add("map-drawing");
    for (const [name, fn] of Object.entries(this.handlers)) this.map.on(name, fn);
    document.addEventListener("keydown", this.keys);
    this.onChange(mode);
  }

  /** Stop drawing without creating anything. */
  cancel() {
    if (!this.mode) return;
    for (const [name, fn] of Object.entries(this.handlers)) this.map.off(name, fn);
    document.removeEventListener("keydown", this.keys);
    this.preview?.remove();
    this.preview = null;
    this.points = [];
    this.mode = null;
    this.map.getContainer().classList.remove("map-drawing");
    // Re-enable after the double-click that ended a line has passed.
    setTimeout(() => this.map?.doubleClickZoom.enable(), 0);
    this.onChange(null);
  }

  click(ev) {
    const ll = [ev.latlng.lng, ev.latlng.lat].map((v) => Number(v.toFixed(7)));
    if (this.mode === "point") {
      const done = this.done;
      this.cancel();
      done({ type: "Point", coordinates: ll });
      return;
    }
    this.points.push(ll);
    this.redraw();
  }

  hover(ev) {
    if (this.mode === "line" && this.points.length) this.redraw([ev.latlng.lng, ev.latlng.lat]);
  }

  redraw(extra = null) {
    const coords = extra ? [...this.points, extra] : this.points;
    const latlngs = coords.map(([lon, lat]) => [lat, lon]);
    if (!this.preview) {
      this.preview = this.L.polyline(latlngs, { color: "#f59e0b", weight: 3, dashArray: "4 4", interactive: false }).addTo(this.map);
    } else this.preview.setLatLngs(latlngs);
  }

  finish(ev) {
    if (this.mode !== "line") return;
    this.L.DomEvent.stop(ev);
    // The double-click also fired two clicks at the same place: keep one vertex there.
    const pts = this.points.filter(
      (p, i, all) => i === 0 || p[0] !== all[i - 1][0] || p[1] !== all[i - 1][1],
    );
    if (pts.length < 2) return;
    const done = this.done;
    this.cancel();
    done({ type: "LineString", coordinates: pts });
  }

  /** Detach from the map. */
  dispose() {
    this.cancel();
    this.map = null;
  }
}
