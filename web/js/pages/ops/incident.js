// Incident mode of the operations view: intensity on the map with isoseismals, the impact
// table, shelters (over capacity highlighted, status and head counts), the auto-wall in the
// compact wall with pin/dismiss, and the timeline. Everything reloads on the incident's events.

import { api, problemMessage } from "../../api.js";
import { debounce } from "../../dom.js";
import { t } from "../../i18n.js";
import { toast } from "../../ui/toast.js";
import { impactPane } from "./impact.js";
import { incidentSheltersPane } from "./shelters.js";
import { Timeline } from "./timeline.js";

const WRITERS = ["admin", "coordinator", "operator"];

export class IncidentMode {
  /** view: {map, wall, panes, user, names: {communities, shelters}, onShowCommunity, onShowShelter} */
  constructor(view, inc) {
    this.view = view;
    this.inc = inc;
    this.sort = "displaced";
    this.canWrite = (view.user?.roles || []).some((r) => WRITERS.includes(r));
    this.closed = false;
    this.reloadShelters = debounce(() => this.loadShelters(), 400);
    this.reloadWall = debounce(() => this.loadAutowall(), 300);
  }

  get id() {
    return this.inc.id;
  }

  async open() {
    const v = this.view;
    this.timeline = new Timeline(v.panes.b, this.inc, {
      canWrite: this.canWrite,
      lists: () => ({ communities: v.communityList(), shelters: v.shelterList() }),
    });
    v.wall.setMode("incident");
    await Promise.all([this.loadMap(), this.loadImpact(), this.loadShelters(), this.loadAutowall(), this.timeline.load()]);
  }

  url(part) {
    return `/api/incidents/${this.inc.id}${part}`;
  }

  async guard(fn) {
    try {
      return await fn();
    } catch (err) {
      if (!this.closed) toast(problemMessage(err), "error");
      return null;
    }
  }

  loadMap() {
    return this.guard(async () => {
      const [ints, iso] = await Promise.all([api("GET", this.url("/intensity")), api("GET", this.url("/isoseismals.geojson"))]);
      if (this.closed) return;
      this.intensity = Object.fromEntries(ints.items.map((r) => [r.code, r]));
      this.names = Object.fromEntries(ints.items.map((r) => [r.code, r.name || r.code]));
      this.view.map.setIntensity(this.intensity);
      this.view.map.setIncident(iso, iso.properties?.epicentre);
    });
  }

  loadImpact() {
    return this.guard(async () => {
      const data = await api("GET", this.url("/impact"), { query: { sort: this.sort, limit: 60 } });
      if (this.closed) return;
      this.impact = data;
      impactPane(this.view.panes.a, data, {
        names: this.names || {},
        sort: this.sort,
        onSort: (s) => {
          this.sort = s;
          this.loadImpact();
        },
        onShow: (code) => this.view.onShowCommunity(code),
      });
    });
  }

  loadShelters() {
    return this.guard(async () => {
      const data = await api("GET", this.url("/shelters"));
      if (this.closed) return;
      this.shelters = data;
      this.view.map.setShelterState(Object.fromEntries(data.items.map((r) => [r.id, r])));
      incidentSheltersPane(this.view.panes.c, this.inc, data, {
        names: this.view.shelterNames(),
        canWrite: this.canWrite,
        onShow: (fid) => this.view.onShowShelter(fid),
        onChanged: () => this.reloadShelters(),
      });
    });
  }

  loadAutowall() {
    return this.guard(async () => {
      const data = await api("GET", this.url("/autowall"));
      if (this.closed) return;
      this.autowall = data;
      const reason = (r) =>
        r.pick === "pin"
          ? t("ops.wall.pinned")
          : r.usable === false
            ? t("ops.wall.cannot_help")
            : [...(r.shelters || []).map((s) => t("ops.wall.covers_shelter", { id: s })), ...(r.routes || []).map((s) => t("ops.wall.covers_route", { id: s }))].join(" · ");
      // Suggestions from other units' cameras this user may not watch are left out (counted).
      const mine = data.items.filter((r) => this.view.canSee(r.camera_id));
      this.view.wall.setItems(
        mine.map((r) => ({ id: r.camera_id, name: r.name, status: r.status, pick: r.pick, usable: r.usable, reason: reason(r) })),
        data.items.length - mine.length,
      );
      this.view.wall.grid.dataset.dismissed = String(data.dismissed.length);
    });
  }

  /** Pin, unpin (clear) or dismiss a camera for this incident. */
  async pick(cameraId, action) {
    try {
      await api("PUT", this.url(`/autowall/${encodeURIComponent(cameraId)}`), { body: { action } });
      this.reloadWall();
    } catch (err) {
      toast(problemMessage(err), "error");
    }
  }

  /** A live event about this incident. */
  event(type, data) {
    if (type === "incident.updated") {
      this.inc = { ...this.inc, ...data };
      this.loadMap().then(() => this.loadImpact());
      this.reloadShelters();
      this.reloadWall();
    } else if (type === "incident.timeline") this.timeline.add(data);
    else if (type === "incident.autowall") this.reloadWall();
    else if (type === "incident.shelter" || type === "incident.occupancy" || type === "gis.shelter.occupancy") this.reloadShelters();
  }

  close() {
    this.closed = true;
    this.reloadShelters.cancel();
    this.reloadWall.cancel();
    const v = this.view;
    v.map.setIntensity(null);
    v.map.setIncident(null);
    v.map.setShelterState(null);
    v.wall.setMode("normal");
  }
}
