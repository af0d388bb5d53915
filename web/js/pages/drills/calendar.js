// Drill calendar: month and week grids (plain DOM), filters by unit, community and type,
// click a day to plan a drill there, drills coloured by status with a conflict marker, and the
// iCalendar feeds (./feeds.js).

import { api, problemMessage } from "../../api.js";
import { h, replace } from "../../dom.js";
import { getLocale, t, unitName } from "../../i18n.js";
import { toast } from "../../ui/toast.js";
import {
  addDays,
  canWrite,
  DEFAULT_TZ,
  dayOf,
  loadRefs,
  missingRoute,
  mondayOf,
  STATUSES,
  timeOf,
  today,
  TYPES,
} from "./common.js";
import { feedPanel } from "./feeds.js";

let state = null;

function monthStart(day) {
  return `${day.slice(0, 8)}01`;
}

/** The days shown for a view: 6 weeks from the Monday before the 1st, or one ISO week. */
export function gridDays(view, anchor) {
  const first = view === "week" ? mondayOf(anchor) : mondayOf(monthStart(anchor));
  const n = view === "week" ? 7 : 42;
  return Array.from({ length: n }, (_, i) => addDays(first, i));
}

/** Calendar occurrences from the server's calendar answer or a plain drill list. */
export function normalise(answer) {
  const items = Array.isArray(answer) ? answer : answer?.items || answer?.occurrences || [];
  return items.map((o) => {
    const plan = o.plan || {};
    return {
      id: String(o.drill_id ?? o.id),
      title: o.title ?? plan.title ?? "",
      start: o.start ?? plan.start,
      end: o.end ?? plan.end,
      status: o.status || "draft",
      conflict: Boolean(
        o.conflict ?? o.has_conflicts ?? (Array.isArray(o.conflicts) ? o.conflicts.length : 0),
      ),
      type: o.type ?? plan.type,
      communities: o.community_ids ?? plan.community_ids ?? [],
      units: [plan.organising_unit, ...(plan.participating_units || [])].filter(Boolean),
    };
  });
}

function matches(o, f) {
  if (f.type && o.type && o.type !== f.type) return false;
  if (f.community && o.communities.length && !o.communities.includes(f.community)) return false;
  if (f.unit && o.units.length && !o.units.map(String).includes(String(f.unit))) return false;
  return true;
}

async function fetchOccurrences(s) {
  const f = s.filters;
  const query = { view: s.view, date: s.anchor, unit: f.unit, community: f.community, type: f.type, tz: s.zone };
  try {
    return normalise(await api("GET", "/api/drills/calendar", { query }));
  } catch (err) {
    if (!missingRoute(err)) throw err;
  }
  // Older server without the calendar route: the plain list, one occurrence per drill.
  const all = normalise((await api("GET", "/api/drills")).items);
  return all.filter((o) => matches(o, f));
}

function select(name, label, options, value, onChange) {
  const el = h(
    "select",
    { class: "select", name, "data-testid": `cal-filter-${name}` },
    h("option", { value: "" }, t("drills.cal.all")),
    options.map((o) => h("option", { value: String(o.value) }, o.label)),
  );
  el.value = value || "";
  el.addEventListener("change", () => onChange(el.value));
  return h("div", { class: "field" }, h("label", {}, label, el));
}

function titleOf(s) {
  const [y, m] = s.anchor.split("-").map(Number);
  const fmt = new Intl.DateTimeFormat(getLocale(), { year: "numeric", month: "long", timeZone: "UTC" });
  if (s.view === "month") return fmt.format(new Date(Date.UTC(y, m - 1, 1)));
  const days = gridDays("week", s.anchor);
  return t("drills.cal.week_of", { from: days[0], to: days[6] });
}

function dayLabel(day, withWeekday) {
  const [y, m, d] = day.split("-").map(Number);
  const opts = withWeekday ? { weekday: "short", month: "numeric", day: "numeric" } : { day: "numeric" };
  return new Intl.DateTimeFormat(getLocale(), { ...opts, timeZone: "UTC" }).format(
    new Date(Date.UTC(y, m - 1, d)),
  );
}

function weekday(day) {
  const [y, m, d] = day.split("-").map(Number);
  return new Intl.DateTimeFormat(getLocale(), { weekday: "short", timeZone: "UTC" }).format(
    new Date(Date.UTC(y, m - 1, d)),
  );
}

function eventChip(o, zone, ctx) {
  return h(
    "a",
    {
      class: `cal-event st-${o.status}${o.conflict ? " has-conflict" : ""}`,
      href: `#/drills/${encodeURIComponent(o.id)}`,
      title: `${o.title} · ${t(`drills.status.${o.status}`)}`,
      "data-testid": `cal-event-${o.id}`,
      dataset: { status: o.status, conflict: o.conflict ? "1" : "0" },
      onclick: (ev) => ev.stopPropagation(),
    },
    o.conflict
      ? h("span", { class: "conflict-mark", title: t("drills.cal.has_conflict"), "aria-label": t("drills.cal.has_conflict") }, "⚠")
      : null,
    h("span", { class: "cal-time" }, timeOf(o.start, zone)),
    h("span", { class: "cal-title" }, o.title),
  );
}

function drawGrid(s, ctx) {
  const days = gridDays(s.view, s.anchor);
  const now = today(s.zone);
  const month = s.anchor.slice(0, 7);
  const byDay = new Map();
  for (const o of s.items) {
    const key = dayOf(o.start, s.zone);
    if (!byDay.has(key)) byDay.set(key, []);
    byDay.get(key).push(o);
  }
  for (const list of byDay.values()) list.sort((a, b) => String(a.start).localeCompare(b.start));
  const heads = gridDays("week", days[0]).map((d) =>
    h("div", { class: "cal-head", role: "columnheader" }, weekday(d)),
  );
  const cells = days.map((day) => {
    const cell = h(
      "div",
      {
        class: `cal-day${day.slice(0, 7) !== month && s.view === "month" ? " other-month" : ""}${day === now ? " today" : ""}`,
        role: "gridcell",
        tabindex: "0",
        "data-testid": `cal-day-${day}`,
        dataset: { date: day },
        "aria-label": day,
      },
      h("div", { class: "cal-date" }, s.view === "week" ? dayLabel(day, true) : dayLabel(day, false)),
      holidayMark(s, day),
      h("div", { class: "cal-events" }, (byDay.get(day) || []).map((o) => eventChip(o, s.zone, ctx))),
    );
    if (s.writer) {
      const create = () => ctx.navigate(`#/drills/new?date=${day}`);
      cell.addEventListener("click", create);
      cell.addEventListener("keydown", (ev) => ev.key === "Enter" && ev.target === cell && create());
      cell.title = t("drills.cal.click_to_plan");
    }
    return cell;
  });
  replace(
    s.grid,
    h("div", { class: `cal-grid cal-${s.view}`, role: "grid", "data-testid": "cal-grid", dataset: { view: s.view } }, heads, cells),
  );
  replace(s.title, titleOf(s));
}

/** A day's public holiday or make-up working day, marked provisional where it is. */
function holidayMark(s, day) {
  const info = s.holidays.get(day.slice(0, 4));
  if (!info) return null;
  const hol = info.holidays.find((x) => x.date === day);
  if (hol) {
    const name = hol.key !== "site" ? t(`drills.holiday.${hol.key}`) : hol.name;
    return h("div", { class: `cal-holiday${hol.provisional ? " provisional" : ""}`, "data-testid": `cal-holiday-${day}`, dataset: { provisional: hol.provisional ? "1" : "0" }, title: hol.provisional ? t("drills.holiday.provisional_note") : "" },
      name, hol.provisional ? ` ${t("drills.holiday.provisional_mark")}` : "");
  }
  if (info.workdays.includes(day)) return h("div", { class: "cal-holiday workday", "data-testid": `cal-workday-${day}` }, t("drills.holiday.workday"));
  return null;
}

async function loadHolidays(s) {
  // The years the grid shows (a month grid may start in December of the year before).
  const years = new Set([s.anchor.slice(0, 4), mondayOf(`${s.anchor.slice(0, 7)}-01`).slice(0, 4), addDays(s.anchor, 42).slice(0, 4)]);
  for (const y of years) {
    if (s.holidays.has(y)) continue;
    try {
      s.holidays.set(y, await api("GET", "/api/drills/holidays", { query: { year: y } }));
    } catch {
      s.holidays.set(y, null);
    }
  }
}

async function reload(s, ctx) {
  const mine = ++s.serial;
  s.grid.setAttribute("aria-busy", "true");
  try {
    await loadHolidays(s);
    const items = await fetchOccurrences(s);
    if (mine !== s.serial || state !== s) return;
    s.items = items;
  } catch (err) {
    if (state !== s) return;
    toast(problemMessage(err), "error");
    s.items = [];
  }
  s.grid.removeAttribute("aria-busy");
  drawGrid(s, ctx);
  ctx.replaceQuery({ view: s.view, date: s.anchor, ...s.filters });
}

/** Render the calendar into `container`. */
export async function render(container, ctx) {
  dispose();
  const q = ctx.route.query || {};
  const zone = ctx.meta?.site?.timezone || DEFAULT_TZ;
  const s = (state = {
    holidays: new Map(),
    zone,
    view: q.view === "week" ? "week" : "month",
    anchor: /^\d{4}-\d{2}-\d{2}$/.test(q.date || "") ? q.date : today(zone),
    filters: { unit: q.unit || "", community: q.community || "", type: q.type || "" },
    items: [],
    serial: 0,
    writer: canWrite(ctx.user),
  });
  s.grid = h("div", { class: "cal-wrap" });
  s.title = h("h2", { class: "cal-title-text", "data-testid": "cal-title" });
  const feeds = feedPanel(ctx.user);
  const viewBtn = (v) =>
    h(
      "button",
      {
        type: "button",
        class: "btn btn-sm",
        "aria-pressed": String(s.view === v),
        "data-testid": `cal-view-${v}`,
        onclick: () => {
          s.view = v;
          bar.querySelectorAll("[data-testid^=cal-view-]").forEach((b) =>
            b.setAttribute("aria-pressed", String(b.dataset.testid === `cal-view-${v}`)),
          );
          reload(s, ctx);
        },
      },
      t(`drills.cal.${v}`),
    );
  const step = (dir) => {
    if (s.view === "week") s.anchor = addDays(s.anchor, 7 * dir);
    else {
      const [y, m] = s.anchor.split("-").map(Number);
      const d = new Date(Date.UTC(y, m - 1 + dir, 1));
      s.anchor = d.toISOString().slice(0, 10);
    }
    reload(s, ctx);
  };
  const bar = h(
    "div",
    { class: "toolbar cal-bar" },
    h("button", { type: "button", class: "btn btn-sm", "data-testid": "cal-prev", "aria-label": t("drills.cal.prev"), onclick: () => step(-1) }, "‹"),
    h("button", { type: "button", class: "btn btn-sm", "data-testid": "cal-today", onclick: () => { s.anchor = today(zone); reload(s, ctx); } }, t("drills.cal.today")),
    h("button", { type: "button", class: "btn btn-sm", "data-testid": "cal-next", "aria-label": t("drills.cal.next"), onclick: () => step(1) }, "›"),
    s.title,
    h("span", { class: "spacer" }),
    viewBtn("month"),
    viewBtn("week"),
    s.writer
      ? h("a", { class: "btn btn-primary btn-sm", href: `#/drills/new?date=${s.anchor}`, "data-testid": "drill-new" }, t("drills.new"))
      : null,
    h("button", { type: "button", class: "btn btn-sm", "data-testid": "feed-subscribe", onclick: () => feeds.subscribe("user") }, t("drills.cal.subscribe")),
    h("button", { type: "button", class: "btn btn-sm", "data-testid": "feed-manage", onclick: () => feeds.open() }, t("drills.feed.manage")),
  );
  const filters = h("div", { class: "toolbar filters cal-filters" });
  const legend = h(
    "div",
    { class: "cal-legend", "aria-label": t("drills.cal.legend") },
    STATUSES.map((st) =>
      h("span", { class: `legend-item st-${st}` }, h("span", { class: "swatch", "aria-hidden": "true" }), t(`drills.status.${st}`)),
    ),
    h("span", { class: "legend-item" }, h("span", { class: "conflict-mark", "aria-hidden": "true" }, "⚠"), t("drills.cal.has_conflict")),
  );
  replace(container, h("section", { class: "panel drills-calendar" }, bar, filters, feeds.el, s.grid, legend));
  drawGrid(s, ctx);
  const refs = await loadRefs();
  if (state !== s) return;
  const setFilter = (name) => (value) => {
    s.filters[name] = value;
    reload(s, ctx);
  };
  replace(
    filters,
    select("unit", t("drills.field.unit"), refs.units.map((u) => ({ value: u.id, label: unitName(u) })), s.filters.unit, setFilter("unit")),
    select("community", t("drills.field.community"), refs.communities.map((c) => ({ value: c.id, label: c.name })), s.filters.community, setFilter("community")),
    select("type", t("drills.field.type"), TYPES.map((x) => ({ value: x, label: t(`drills.type.${x}`) })), s.filters.type, setFilter("type")),
  );
  await reload(s, ctx);
  ctx.onEvent("drill.*", () => state === s && reload(s, ctx));
  ctx.onEvent(`drills.feed.revoked`, () => state === s && !feeds.el.hidden && feeds.reload());
}

/** Forget the view. */
export function dispose() {
  state = null;
}
