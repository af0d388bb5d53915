// Drawing a selection on the operations map: a rectangle (two corners) or a polygon (click the
// vertices, double-click or Enter to finish), or picking one point (an epicentre). Esc cancels.

const STYLE = { color: "#f59e0b", weight: 2, dashArray: "6 4", fillOpacity: 0.08, interactive: false };

/** One drawing interaction at a time; done(geometry) gets a GeoJSON Polygon (or Point). */
export class AreaDraw {
  constructor(L, map, { onChange }) {
    this.L = L;
    this.map = map;
    this.onChange = onChange;
    this.mode = null;
    this.points = [];
    this.preview = null;
    this.handlers = {
      click: (ev) => this.click(ev),
      dblclick: (ev) => this.finish(ev),
      mousemove: (ev) => this.hover(ev),
    };
    this.keys = (ev) => {
      if (ev.key === "Escape") {
        ev.stopPropagation();
        this.cancel();
      } else if (ev.key === "Enter" && this.mode === "polygon") this.finish();
    };
  }

  /** mode: "rectangle", "polygon" or "point". */
  start(mode, done) {
    this.cancel();
    this.mode = mode;
    this.done = done;
    this.map.doubleClickZoom.disable();
    this.map.getContainer().classList.add("map-drawing");
    for (const [name, fn] of Object.entries(this.handlers)) this.map.on(name, fn);
    document.addEventListener("keydown", this.keys, true);
    this.onChange(mode);
  }

  cancel() {
    if (!this.mode) return;
    for (const [name, fn] of Object.entries(this.handlers)) this.map.off(name, fn);
    document.removeEventListener("keydown", this.keys, true);
    this.preview?.remove();
    this.preview = null;
    this.points = [];
    this.mode = null;
    this.map.getContainer().classList.remove("map-drawing");
    setTimeout(() => this.map?.doubleClickZoom.enable(), 0);
    this.onChange(null);
  }

  click(ev) {
    const ll = [Number(ev.latlng.lng.toFixed(7)), Number(ev.latlng.lat.toFixed(7))];
    if (this.mode === "point") return this.complete({ type: "Point", coordinates: ll });
    const last = this.points[this.points.length - 1];
    if (last && last[0] === ll[0] && last[1] === ll[1]) return; // the double-click's second click
    this.points.push(ll);
    if (this.mode === "rectangle" && this.points.length === 2) return this.finish();
    this.redraw();
  }

  hover(ev) {
    if (this.points.length) this.redraw([ev.latlng.lng, ev.latlng.lat]);
  }

  ring(extra = null) {
    const pts = extra ? [...this.points, extra] : [...this.points];
    if (this.mode === "rectangle" && pts.length >= 2) {
      const [[x0, y0], [x1, y1]] = [pts[0], pts[pts.length - 1]];
      return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
    }
    return pts;
  }

  redraw(extra = null) {
    const latlngs = this.ring(extra).map(([lon, lat]) => [lat, lon]);
    if (!this.preview) this.preview = this.L.polygon(latlngs, STYLE).addTo(this.map);
    else this.preview.setLatLngs(latlngs);
  }

  finish(ev) {
    if (ev) this.L.DomEvent.stop(ev);
    const ring = this.ring();
    if (ring.length < 3) return;
    this.complete({ type: "Polygon", coordinates: [[...ring, ring[0]]] });
  }

  complete(geometry) {
    const done = this.done;
    this.cancel();
    done(geometry);
  }

  dispose() {
    this.cancel();
    this.map = null;
  }
}
