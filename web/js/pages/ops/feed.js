// The live alert and event feed: camera faults, earthquakes and incident events, drill events,
// newest first, filterable. Exercise items carry the exercise label.

import { h, replace } from "../../dom.js";
import { formatDateTime, has, t } from "../../i18n.js";

const MAX_ITEMS = 200;
export const FILTERS = ["all", "camera", "incident", "drill"];

function reasonText(r) {
  return has(`health.reason.${r}`) ? t(`health.reason.${r}`) : r;
}

/** A feed item from a live event, or null when the event is not for the feed. */
export function itemOf(type, d) {
  const at = d.at || d.since || d.opened_at || d.updated_at || new Date().toISOString();
  const ex = Boolean(d.is_exercise);
  switch (type) {
    case "camera.status": {
      const bad = d.status === "offline" || d.status === "degraded";
      const back = d.status === "ok" && (d.previous === "offline" || d.previous === "degraded");
      if (!bad && !back) return null;
      const why = (d.reasons || []).map(reasonText).join(", ");
      const text = bad
        ? t("ops.feed.camera_down", { name: d.name || d.camera_id, status: t(`ops.status.${d.status}`), why: why || "—" })
        : t("ops.feed.camera_up", { name: d.name || d.camera_id });
      return { at, group: "camera", level: d.status === "offline" ? "danger" : bad ? "warn" : "ok", text, link: `#/health/camera/${encodeURIComponent(d.camera_id)}` };
    }
    case "camera.alert":
      return { at: d.opened_at || at, group: "camera", level: "warn", text: t("ops.feed.camera_alert", { name: d.camera_id, why: reasonText(d.kind) }), link: `#/health/camera/${encodeURIComponent(d.camera_id)}` };
    case "quake.event": {
      // An exercise's event is opened by the exercise itself: the incident line says so.
      const opens = d.status === "opened" || d.decision?.open;
      if (ex && !opens) return null;
      return {
        at: d.updated_at || at,
        group: "incident",
        level: opens ? "danger" : "info",
        exercise: ex,
        text: t(opens ? "ops.feed.quake_opened" : "ops.feed.quake_logged", {
          mag: d.magnitude,
          type: d.mag_type,
          place: d.place || `${Number(d.lat).toFixed(2)}, ${Number(d.lon).toFixed(2)}`,
        }),
        link: d.incident_id ? `#/ops?incident=${d.incident_id}` : null,
      };
    }
    case "quake.feed.error":
      return { at, group: "incident", level: "warn", text: t("ops.feed.feed_error", { feed: d.feed, error: d.error }) };
    case "incident.opened":
    case "incident.updated":
    case "incident.closed": {
      const key = type.split(".")[1];
      // A revision says what changed (magnitude 6.0 -> 6.4) and what that moved.
      const moved = (d.changes || []).map((c) => `${c.field} ${c.before} → ${c.after}`).join("; ");
      const text = t(`ops.feed.incident_${key}`, { title: d.title }) + (moved ? ` (${moved})` : "");
      return { at: d.closed_at || at, group: "incident", level: key === "closed" ? "ok" : "danger", exercise: ex, text, link: `#/ops?incident=${d.id}` };
    }
    case "incident.timeline":
      if (!["note", "decision", "dispatch", "shelter", "autowall", "occupancy"].includes(d.kind)) return null;
      return { at, group: "incident", level: d.kind === "decision" ? "warn" : "info", exercise: ex, text: t("ops.feed.timeline", { kind: has(`ops.tl.${d.kind}`) ? t(`ops.tl.${d.kind}`) : d.kind, text: d.text, actor: d.actor }), link: `#/ops?incident=${d.incident_id}` };
    case "drill.status":
      return { at: d.updated_at || at, group: "drill", level: d.status === "in_progress" ? "warn" : "info", text: t("ops.feed.drill_status", { title: d.plan?.title || d.id, status: t(`drills.status.${d.status}`) }), link: d.status === "in_progress" ? `#/drills/${encodeURIComponent(d.id)}/live` : `#/drills/${encodeURIComponent(d.id)}` };
    case "drills.timeline.added":
      return { at: d.entry?.at || at, group: "drill", level: "info", text: t("ops.feed.drill_entry", { kind: t(`drills.kind.${d.entry?.kind}`) }), link: `#/drills/${encodeURIComponent(d.drill_id)}/live` };
    case "gis.shelter.occupancy":
      return { at, group: "incident", level: "info", text: t("ops.feed.occupancy", { fid: d.fid, count: d.count, capacity: d.capacity ?? "—" }) };
    default:
      return null;
  }
}

export class Feed {
  constructor(pane) {
    this.items = [];
    this.filter = "all";
    this.list = h("ol", { class: "ops-feed", "data-testid": "ops-feed", "aria-live": "polite" });
    const buttons = FILTERS.map((f) =>
      h("button", { type: "button", class: "btn btn-sm", "aria-pressed": String(f === "all"), "data-testid": `ops-feed-filter-${f}`, dataset: { filter: f } }, t(`ops.feed.filter_${f}`)),
    );
    for (const b of buttons) {
      b.addEventListener("click", () => {
        this.filter = b.dataset.filter;
        buttons.forEach((x) => x.setAttribute("aria-pressed", String(x === b)));
        this.render();
      });
    }
    replace(pane, h("div", { class: "ops-pane-head" }, h("h2", { class: "ops-pane-title" }, t("ops.feed.title")), h("span", { class: "spacer" }), buttons), this.list);
  }

  /** Add an item ({at, group, level, text, link, exercise}). */
  add(item) {
    if (!item) return;
    this.items.push(item);
    this.items.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    if (this.items.length > MAX_ITEMS) this.items.length = MAX_ITEMS;
    this.render();
  }

  render() {
    const rows = this.items.filter((x) => this.filter === "all" || x.group === this.filter);
    replace(
      this.list,
      rows.length
        ? rows.map((x) =>
            h(
              "li",
              { class: `ops-feed-item level-${x.level}`, dataset: { group: x.group, exercise: x.exercise ? "true" : "false" }, "data-testid": "ops-feed-item" },
              h("time", { datetime: x.at, class: "mono" }, formatDateTime(x.at).slice(-8)),
              x.exercise ? h("span", { class: "ops-ex-chip" }, t("ops.exercise_label")) : null,
              x.link ? h("a", { href: x.link }, x.text) : h("span", {}, x.text),
            ),
          )
        : h("li", { class: "muted" }, t("ops.feed.empty")),
    );
  }
}
