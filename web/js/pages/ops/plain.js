// The baseline the operations-view benchmark compares clustering with: one Leaflet marker per
// camera (#/ops?cluster=off), what a map without clustering does with 20,000 cameras.

import { cameraIcon } from "./cluster.js";

/** One marker per camera, all of them, whatever the zoom. */
export class PlainCameras {
  constructor(L, map, { pane, onCamera }) {
    this.L = L;
    this.map = map;
    this.pane = pane;
    this.onCamera = onCamera;
    this.group = L.layerGroup().addTo(map);
    this.markers = new Map();
  }

  setData(cols) {
    this.cols = cols;
    this.group.clearLayers();
    this.markers.clear();
    cols.id.forEach((id, i) => {
      const m = this.L.marker([cols.lat[i], cols.lon[i]], {
        pane: this.pane,
        icon: cameraIcon(this.L, id, cols.name[i], cols.status[i]),
        keyboard: false,
      });
      m.on("click", () => this.onCamera(id));
      m.addTo(this.group);
      this.markers.set(id, m);
    });
    this.map.getContainer().dataset.cameraMarkers = String(this.markers.size);
  }

  setStatus(id, status) {
    const m = this.markers.get(id);
    if (!m) return false;
    const i = this.cols.id.indexOf(id);
    this.cols.status[i] = status;
    m.setIcon(cameraIcon(this.L, id, this.cols.name[i], status));
    return true;
  }

  drawnTotals() {
    return { markers: this.markers.size, cameras: this.markers.size, counts: null };
  }

  dispose() {
    this.group.remove();
    this.markers.clear();
  }
}
