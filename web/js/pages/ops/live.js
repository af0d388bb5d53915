// Live updates of the operations view over /ws: camera status, incidents and their parts,
// shelters and occupancy, readiness, drills; each reloads only what it changes.

import { debounce } from "../../dom.js";
import { t } from "../../i18n.js";
import { toast } from "../../ui/toast.js";
import { itemOf } from "./feed.js";

const INCIDENT_PARTS = ["incident.timeline", "incident.autowall", "incident.shelter", "incident.occupancy"];

/** Subscribe the view `s` to every event it shows; returns a function cancelling the timers. */
export function wireLive(ctx, s, { showIncident, leaveIncident, drawNormalWall, drawNormal }) {
  const quiet = (fn) => () => fn().catch((err) => console.info("live reload failed", err?.status ?? err));
  const reload = {
    cameras: debounce(quiet(s.load.cameras), 1000),
    communities: debounce(quiet(s.load.communities), 800),
    shelters: debounce(quiet(s.load.shelters), 800),
    readiness: debounce(quiet(s.load.readiness), 1500),
    drills: debounce(quiet(s.load.drills), 800),
  };
  const feed = (type) => ctx.onEvent(type, (d) => s.feed.add(itemOf(type, d)));

  ctx.onEvent("camera.status", (d) => {
    s.map.cameraStatus(d.camera_id, d.status);
    s.wall.status(d.camera_id, d.status, d.reasons);
    s.feed.add(itemOf("camera.status", d));
  });
  for (const type of ["camera.created", "camera.updated", "camera.deleted"]) ctx.onEvent(type, () => reload.cameras());

  ctx.onEvent("incident.opened", (d) => {
    s.feed.add(itemOf("incident.opened", d));
    // A real incident takes precedence over an exercise on screen; an exercise never replaces
    // a real incident (it is announced in the feed and the banner only).
    if (!s.mode || (s.mode.inc.is_exercise && !d.is_exercise)) showIncident(d);
    else if (d.is_exercise !== s.mode.inc.is_exercise) toast(t("ops.mode.other_open", { title: d.title }), "ok");
  });
  ctx.onEvent("incident.updated", (d) => {
    s.feed.add(itemOf("incident.updated", d));
    if (s.mode?.id === d.id) {
      s.mode.event("incident.updated", d);
      s.refreshTitle();
    }
  });
  ctx.onEvent("incident.closed", (d) => {
    s.feed.add(itemOf("incident.closed", d));
    if (s.mode?.id === d.id) leaveIncident();
  });
  for (const type of INCIDENT_PARTS) {
    ctx.onEvent(type, (d) => {
      if (type === "incident.timeline") s.feed.add(itemOf(type, d));
      if (s.mode?.id === d.incident_id) s.mode.event(type, d);
    });
  }
  feed("quake.event");
  feed("quake.feed.error");

  ctx.onEvent("gis.shelter.occupancy", (d) => {
    const f = s.shelters?.features.find((x) => x.id === d.fid);
    if (f) f.properties.occupancy = d.count;
    s.feed.add(itemOf("gis.shelter.occupancy", d));
    reload.shelters();
    s.mode?.event("gis.shelter.occupancy", d);
  });
  ctx.onEvent("gis.feature.changed", (d) => d.layer === "shelters" ? reload.shelters() : d.layer === "communities" && reload.communities());
  ctx.onEvent("gis.feature.imported", (d) => d.layer === "shelters" ? reload.shelters() : d.layer === "communities" && reload.communities());
  ctx.onEvent("readiness.score.changed", () => reload.readiness());

  for (const type of ["drill.created", "drill.updated"]) ctx.onEvent(type, () => reload.drills());
  ctx.onEvent("drill.status", (d) => {
    s.feed.add(itemOf("drill.status", d));
    reload.drills();
  });
  feed("drills.timeline.added");

  ctx.onEvent("resync", () => {
    Object.values(reload).forEach((fn) => fn());
    drawNormalWall();
    drawNormal();
  });
  return () => Object.values(reload).forEach((fn) => fn.cancel());
}
