// Cameras on the map at district scale: grid clusters per zoom with status counts (ok /
// degraded / offline / other), as professional VMS maps draw them, and single cameras once a
// cluster holds one. Positions are projected to Web Mercator once; a zoom change re-bins every
// camera (a few milliseconds for 20,000) and only clusters in view get a marker, so the DOM
// holds hundreds of nodes, not 20,000.

import { h } from "../../dom.js";
import { t } from "../../i18n.js";

export const GROUPS = ["ok", "degraded", "offline", "other"];
export const GROUP_COLOURS = { ok: "#22c55e", degraded: "#f59e0b", offline: "#ef4444", other: "#94a3b8" };
const CELL_PX = 64;
const SINGLE_ZOOM = 18; // from this zoom every camera stands alone
const KEY_SCALE = 2 ** 26; // > cells per axis at zoom 22 with 64 px cells

/** The status group index of a camera status. */
export function groupOf(status) {
  const i = GROUPS.indexOf(status);
  return i < 0 ? 3 : i;
}

/** Web Mercator x, y in [0, 1) for lon/lat arrays. */
export function mercator(lon, lat) {
  const n = lon.length;
  const mx = new Float64Array(n);
  const my = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = Math.sin((Math.max(-85.05, Math.min(85.05, lat[i])) * Math.PI) / 180);
    mx[i] = (lon[i] + 180) / 360;
    my[i] = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
  }
  return { mx, my };
}

/** Lon/lat of a Web Mercator point. */
export function unmercator(x, y) {
  const lat = (Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180) / Math.PI;
  return [x * 360 - 180, lat];
}

/**
 * Bin points into `cell`-pixel squares of the world at `zoom`. Returns the clusters (count,
 * mean position, bounds, counts per status group, first member) and each point's cluster.
 */
export function gridCluster(mx, my, groups, zoom, cell = CELL_PX) {
  const scale = (256 * 2 ** zoom) / cell;
  const index = new Map();
  const clusters = [];
  const of = new Int32Array(mx.length);
  for (let i = 0; i < mx.length; i++) {
    const key = Math.floor(mx[i] * scale) * KEY_SCALE + Math.floor(my[i] * scale);
    let k = index.get(key);
    if (k === undefined) {
      k = clusters.length;
      index.set(key, k);
      clusters.push({ key, n: 0, sx: 0, sy: 0, x0: 1, y0: 1, x1: 0, y1: 0, counts: [0, 0, 0, 0], first: i });
    }
    const c = clusters[k];
    c.n += 1;
    c.sx += mx[i];
    c.sy += my[i];
    if (mx[i] < c.x0) c.x0 = mx[i];
    if (mx[i] > c.x1) c.x1 = mx[i];
    if (my[i] < c.y0) c.y0 = my[i];
    if (my[i] > c.y1) c.y1 = my[i];
    c.counts[groups[i]] += 1;
    of[i] = k;
  }
  return { clusters, of };
}

function clusterIcon(L, c) {
  const [ok, deg, off, other] = c.counts;
  const n = c.n;
  // A ring split by status share; the worst states start at 12 o'clock so they catch the eye.
  const a = (off / n) * 360;
  const b = a + (deg / n) * 360;
  const d = b + (other / n) * 360;
  const ring = `conic-gradient(${GROUP_COLOURS.offline} 0 ${a}deg, ${GROUP_COLOURS.degraded} ${a}deg ${b}deg, ${GROUP_COLOURS.other} ${b}deg ${d}deg, ${GROUP_COLOURS.ok} ${d}deg 360deg)`;
  const size = Math.round(26 + Math.min(26, Math.log2(n) * 3));
  const html = h(
    "div",
    {
      class: `ops-cluster${off ? " has-offline" : ""}`,
      style: `width:${size}px;height:${size}px;background:${ring}`,
      title: t("ops.map.cluster_title", { n, ok, degraded: deg, offline: off, other }),
      "data-testid": "ops-cluster",
      dataset: { total: String(n), ok: String(ok), degraded: String(deg), offline: String(off), other: String(other) },
    },
    h("span", { class: "ops-cluster-n" }, String(n)),
    // Offline cameras counted on a red badge; degraded ones show in the ring.
    off ? h("span", { class: "ops-cluster-bad" }, String(off)) : null,
  );
  return L.divIcon({ html, className: "ops-cluster-icon", iconSize: [size, size] });
}

export function cameraIcon(L, id, name, status) {
  const html = h("span", {
    class: "ops-cam",
    style: `background:${GROUP_COLOURS[GROUPS[groupOf(status)]]}`,
    title: `${name} · ${id} (${t(`ops.status.${GROUPS[groupOf(status)]}`)})`,
    "data-testid": `ops-camera-${id}`,
    dataset: { status },
  });
  return L.divIcon({ html, className: "ops-cam-icon", iconSize: [14, 14] });
}

/** The camera layer: clusters in view, redrawn on zoom and pan, updated on status changes. */
export class CameraClusters {
  constructor(L, map, { pane, onCamera, onCluster }) {
    this.L = L;
    this.map = map;
    this.pane = pane;
    this.onCamera = onCamera;
    this.onCluster = onCluster;
    this.group = L.layerGroup().addTo(map);
    this.markers = new Map(); // cluster key (or "c:" + camera index) -> {marker, sig}
    this.binned = null;
    this.zoom = null;
    this.setData({ id: [], name: [], lon: [], lat: [], status: [] });
    this.redraw = () => this.render();
    this.rezoom = () => this.rebin();
    map.on("zoomend", this.rezoom);
    map.on("moveend", this.redraw);
  }

  /** Replace every camera (columns from GET /api/ops/cameras). */
  setData(cols) {
    this.cols = cols;
    const { mx, my } = mercator(cols.lon, cols.lat);
    this.mx = mx;
    this.my = my;
    this.groups = Uint8Array.from(cols.status, groupOf);
    this.index = new Map(cols.id.map((id, i) => [id, i]));
    this.rebin();
  }

  /** One camera's status changed: its cluster's counts and colour follow. */
  setStatus(id, status) {
    const i = this.index.get(id);
    if (i === undefined) return false;
    this.cols.status[i] = status;
    const g = groupOf(status);
    if (this.groups[i] !== g && this.binned) {
      const c = this.binned.clusters[this.binned.of[i]];
      c.counts[this.groups[i]] -= 1;
      c.counts[g] += 1;
    }
    this.groups[i] = g;
    this.scheduleRender();
    return true;
  }

  scheduleRender() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = null;
      this.render();
    });
  }

  rebin() {
    const z = this.map.getZoom();
    this.zoom = z;
    this.binned = z >= SINGLE_ZOOM ? null : gridCluster(this.mx, this.my, this.groups, z);
    this.render();
  }

  /** Clusters (or single cameras) whose position is in view (with a margin). */
  visible() {
    const b = this.map.getBounds().pad(0.25);
    const w = mercator([b.getWest(), b.getEast()], [b.getNorth(), b.getSouth()]);
    const [x0, x1, y0, y1] = [w.mx[0], w.mx[1], w.my[0], w.my[1]];
    const out = [];
    if (!this.binned) {
      for (let i = 0; i < this.mx.length; i++) {
        if (this.mx[i] >= x0 && this.mx[i] <= x1 && this.my[i] >= y0 && this.my[i] <= y1) out.push({ single: i });
      }
      return out;
    }
    for (const c of this.binned.clusters) {
      const cx = c.sx / c.n;
      const cy = c.sy / c.n;
      if (cx >= x0 && cx <= x1 && cy >= y0 && cy <= y1) out.push(c.n === 1 ? { single: c.first } : { cluster: c });
    }
    return out;
  }

  render() {
    const { L } = this;
    const seen = new Set();
    for (const item of this.visible()) {
      let key;
      let sig;
      let make;
      if (item.single !== undefined) {
        const i = item.single;
        key = `c:${i}`;
        sig = this.cols.status[i];
        make = () => {
          const m = L.marker([this.cols.lat[i], this.cols.lon[i]], {
            pane: this.pane,
            icon: cameraIcon(L, this.cols.id[i], this.cols.name[i], sig),
            keyboard: false,
          });
          m.on("click", () => this.onCamera(this.cols.id[i]));
          return m;
        };
      } else {
        const c = item.cluster;
        key = `z${this.zoom}:${c.key}`;
        sig = `${c.n}:${c.counts.join(",")}`;
        make = () => {
          const [lon, lat] = unmercator(c.sx / c.n, c.sy / c.n);
          const m = L.marker([lat, lon], { pane: this.pane, icon: clusterIcon(L, c), keyboard: false });
          m.on("click", () => this.onCluster(this.members(c), this.boundsOf(c)));
          return m;
        };
      }
      seen.add(key);
      const had = this.markers.get(key);
      if (had && had.sig === sig) continue;
      had?.marker.remove();
      const marker = make().addTo(this.group);
      this.markers.set(key, { marker, sig });
    }
    for (const [key, { marker }] of this.markers) {
      if (!seen.has(key)) {
        marker.remove();
        this.markers.delete(key);
      }
    }
    this.map.getContainer().dataset.cameraMarkers = String(this.markers.size);
  }

  /** Camera ids in a cluster. */
  members(c) {
    const out = [];
    const k = this.binned.clusters.indexOf(c);
    for (let i = 0; i < this.binned.of.length; i++) if (this.binned.of[i] === k) out.push(this.cols.id[i]);
    return out;
  }

  boundsOf(c) {
    const [w, s] = unmercator(c.x0, c.y1);
    const [e, n] = unmercator(c.x1, c.y0);
    return this.L.latLngBounds([s, w], [n, e]);
  }

  /** Totals of what is drawn now: markers, clusters, cameras inside them, status counts. */
  drawnTotals() {
    const totals = { markers: this.markers.size, cameras: 0, counts: [0, 0, 0, 0] };
    for (const item of this.visible()) {
      if (item.single !== undefined) {
        totals.cameras += 1;
        totals.counts[this.groups[item.single]] += 1;
      } else {
        totals.cameras += item.cluster.n;
        item.cluster.counts.forEach((v, g) => (totals.counts[g] += v));
      }
    }
    return totals;
  }

  dispose() {
    this.map.off("zoomend", this.rezoom);
    this.map.off("moveend", this.redraw);
    if (this.pending) cancelAnimationFrame(this.pending);
    this.group.remove();
    this.markers.clear();
  }
}
