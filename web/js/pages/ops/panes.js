// The day-to-day panes: today's and this week's drills (live ones first, one click into live
// drill mode), the weakest communities (readiness), and shelter occupancy.

import { h, replace } from "../../dom.js";
import { getLocale, t } from "../../i18n.js";
import { scoreBar } from "../map/panel.js";

function head(title, ...extra) {
  return h("div", { class: "ops-pane-head" }, h("h2", { class: "ops-pane-title" }, title), h("span", { class: "spacer" }), ...extra);
}

function dayKey(iso, zone) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(iso));
}

function clock(iso, zone) {
  return new Intl.DateTimeFormat(getLocale(), { timeZone: zone, weekday: "short", hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(iso));
}

/** Drills of this week (calendar occurrences), today's first; live ones highlighted. */
export function drillsPane(pane, items, zone) {
  const today = dayKey(new Date().toISOString(), zone);
  const live = (o) => o.status === "in_progress";
  const sorted = [...items]
    .filter((o) => o.status !== "cancelled")
    .sort((a, b) => Number(live(b)) - Number(live(a)) || Date.parse(a.start) - Date.parse(b.start));
  const row = (o) =>
    h(
      "li",
      { class: `ops-drill${live(o) ? " live" : ""}`, "data-testid": `ops-drill-${o.drill_id}`, dataset: { status: o.status } },
      h("time", { class: "mono" }, clock(o.start, zone)),
      h("a", { href: `#/drills/${encodeURIComponent(o.drill_id)}` }, o.title),
      h("span", { class: `badge drill-status st-${o.status}` }, t(`drills.status.${o.status}`)),
      live(o)
        ? h("a", { class: "btn btn-sm btn-primary", href: `#/drills/${encodeURIComponent(o.drill_id)}/live`, "data-testid": `ops-drill-live-${o.drill_id}` }, t("ops.drills.go_live"))
        : null,
    );
  const todays = sorted.filter((o) => live(o) || dayKey(o.start, zone) === today);
  const later = sorted.filter((o) => !todays.includes(o) && Date.parse(o.end) >= Date.now());
  replace(
    pane,
    head(t("ops.drills.title"), h("a", { href: "#/drills", class: "btn btn-sm" }, t("ops.drills.calendar"))),
    h("h3", { class: "ops-sub" }, t("ops.drills.today")),
    h("ul", { class: "ops-list", "data-testid": "ops-drills-today" }, todays.length ? todays.map(row) : h("li", { class: "muted" }, t("ops.drills.none_today"))),
    h("h3", { class: "ops-sub" }, t("ops.drills.week")),
    h("ul", { class: "ops-list", "data-testid": "ops-drills-week" }, later.length ? later.map(row) : h("li", { class: "muted" }, t("ops.drills.none_week"))),
  );
}

/** The weakest communities; a click shows it on the map, "why" opens the readiness detail. */
export function weakestPane(pane, summary, { onShow }) {
  const rows = (summary?.weakest || []).map((c) =>
    h(
      "li",
      { class: "ops-weak", "data-testid": `ops-weak-${c.code}`, tabindex: "0" },
      h("button", { type: "button", class: "link-btn", onclick: () => onShow(c.code) }, c.name || c.code),
      scoreBar(c.score),
      h("span", { class: "ops-weak-why muted" }, c.weakest?.text?.[getLocale()] || c.weakest?.text?.en || ""),
      h("button", { type: "button", class: "btn btn-sm", "data-testid": `ops-weak-why-${c.code}`, onclick: () => import("../readiness/detail.js").then((m) => m.openDetail(c.code)) }, t("ops.why")),
    ),
  );
  replace(
    pane,
    head(t("ops.weakest.title"), h("a", { href: "#/readiness", class: "btn btn-sm" }, t("ops.weakest.all"))),
    h("ol", { class: "ops-list", "data-testid": "ops-weakest" }, rows.length ? rows : h("li", { class: "muted" }, t("ops.weakest.none"))),
    summary ? h("p", { class: "muted ops-foot" }, t("ops.weakest.scored", { n: summary.scored, total: summary.communities })) : null,
  );
}

/** Shelters by reported occupancy against capacity (fullest first). */
export function occupancyPane(pane, shelters, { onShow }) {
  const feats = (shelters?.features || []).filter((f) => f.properties.occupancy !== null && f.properties.occupancy !== undefined);
  const ratio = (f) => (f.properties.capacity ? f.properties.occupancy / f.properties.capacity : 0);
  feats.sort((a, b) => ratio(b) - ratio(a));
  const total = feats.reduce((s, f) => s + (f.properties.occupancy || 0), 0);
  const rows = feats.slice(0, 60).map((f) => {
    const p = f.properties;
    const pct = p.capacity ? Math.round((100 * p.occupancy) / p.capacity) : null;
    return h(
      "li",
      { class: `ops-shelter${pct !== null && pct >= 90 ? " full" : ""}`, "data-testid": `ops-occ-${f.id}` },
      h("button", { type: "button", class: "link-btn", onclick: () => onShow(f) }, p.name || f.id),
      h("span", { class: "ops-bar" }, h("span", { style: `width:${Math.min(100, pct ?? 0)}%` })),
      h("span", { class: "mono" }, t("ops.shelters.occ", { n: p.occupancy, cap: p.capacity ?? "—", pct: pct ?? "—" })),
    );
  });
  replace(
    pane,
    head(t("ops.shelters.title")),
    h("p", { class: "muted ops-foot" }, t("ops.shelters.summary", { n: feats.length, total: shelters?.features?.length || 0, people: total })),
    h("ul", { class: "ops-list", "data-testid": "ops-occupancy" }, rows.length ? rows : h("li", { class: "muted" }, t("ops.shelters.none"))),
  );
}
