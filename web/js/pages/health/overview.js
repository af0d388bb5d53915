// Health overview: summary tiles, patrol progress, a filterable and sortable status table with
// thumbnails, updated live from camera.status / camera.alert events.

import { api, problemMessage } from "../../api.js";
import { debounce, h, replace } from "../../dom.js";
import { formatDateTime, t, unitName } from "../../i18n.js";
import { flash, messageRow, unitOptions } from "../admin/common.js";
import {
  canManageHealth,
  formatDuration,
  formatNumber,
  matchesFilters,
  PAGE_ROWS,
  pagedRows,
  REASONS,
  sortRows,
  STATUSES,
  statusBadge,
  thumbnail,
  unitById,
} from "./common.js";
import { patrolPanel } from "./patrol.js";
import { summaryTiles } from "./tiles.js";

const FILTERS = ["q", "unit", "status", "reason", "sort", "dir"];
const SORTABLE = {
  name: "health.col.camera",
  status: "health.col.status",
  since: "health.col.since",
};
const COLUMNS = ["thumb", "name", "unit", "status", "since", "checked", "mode", "alerts"];

let state = null;

/** Weighted availability (online %) over unit rows: [{online_pct, observed_h}]. */
export function overallOnline(items) {
  let weighted = 0;
  let hours = 0;
  for (const item of items) {
    if (item.online_pct === null || item.online_pct === undefined || !item.observed_h) continue;
    weighted += item.online_pct * item.observed_h;
    hours += item.observed_h;
  }
  return hours ? weighted / hours : null;
}

/** Render the overview into `container`. */
export async function render(container, ctx) {
  const q = ctx.route.query;
  const f = Object.fromEntries(FILTERS.map((k) => [k, q[k] || ""]));
  if (!f.sort) f.sort = "status";
  const mine = {
    rows: [],
    units: [],
    loaded: false,
    changed: new Set(),
    timers: [],
    thumbs: new Map(),
    shown: PAGE_ROWS,
  };
  state = mine;

  const tiles = h("div", { class: "tiles", "data-testid": "health-tiles" });
  const patrol = h("div", { class: "patrol-slot" });
  const count = h("span", { class: "count", "data-testid": "health-count" });
  const tbody = h("tbody");
  const head = h("tr");
  const table = h(
    "table",
    { class: "data health-table", "data-testid": "health-table" },
    h("thead", {}, head),
    tbody,
  );

  const search = h("input", {
    class: "input",
    type: "search",
    id: "health-q",
    value: f.q,
    placeholder: t("health.search"),
  });
  const unitSelect = h("select", { class: "select", id: "health-unit" });
  const statusSelect = h(
    "select",
    { class: "select", id: "health-status", "data-testid": "health-filter-status" },
    h("option", { value: "" }, t("health.any")),
    STATUSES.map((s) => h("option", { value: s }, t(`health.status.${s}`))),
  );
  const reasonSelect = h(
    "select",
    { class: "select", id: "health-reason", "data-testid": "health-filter-reason" },
    h("option", { value: "" }, t("health.any")),
    REASONS.map((r) => h("option", { value: r }, t(`health.reason.${r}`))),
  );
  statusSelect.value = f.status;
  reasonSelect.value = f.reason;
  const field = (control, key) =>
    h("div", { class: "field" }, h("label", { for: control.id }, t(key)), control);
  const toolbar = h(
    "div",
    { class: "toolbar filters", role: "search", "aria-label": t("health.filters") },
    field(search, "health.search_label"),
    field(unitSelect, "health.col.unit"),
    field(statusSelect, "health.col.status"),
    field(reasonSelect, "health.col.fault"),
    h("span", { class: "spacer" }),
    count,
  );
  const onFilter = () => {
    if (state !== mine) return; // a late debounced call after the user left the page
    f.q = search.value.trim();
    f.unit = unitSelect.value;
    f.status = statusSelect.value;
    f.reason = reasonSelect.value;
    keepQuery();
    draw();
  };
  search.addEventListener("input", debounce(onFilter, 150));
  for (const el of [unitSelect, statusSelect, reasonSelect])
    el.addEventListener("change", onFilter);

  replace(
    container,
    tiles,
    patrol,
    h(
      "section",
      { class: "panel", "aria-label": t("health.tab.overview") },
      toolbar,
      h("div", { class: "table-wrap" }, table),
    ),
  );

  function keepQuery() {
    const out = { ...f };
    if (out.sort === "status") delete out.sort;
    if (out.dir !== "desc") delete out.dir;
    ctx.replaceQuery(out);
  }

  function drawHead() {
    const cells = COLUMNS.map((col) => {
      if (col === "thumb")
        return h(
          "th",
          { scope: "col" },
          h("span", { class: "visually-hidden" }, t("health.col.thumb")),
        );
      const label = t(SORTABLE[col] || `health.col.${col}`);
      if (!SORTABLE[col]) return h("th", { scope: "col" }, label);
      const on = f.sort === col;
      const desc = f.dir === "desc";
      return h(
        "th",
        { scope: "col", "aria-sort": on ? (desc ? "descending" : "ascending") : "none" },
        h(
          "button",
          {
            type: "button",
            class: "sort-btn",
            "data-testid": `health-sort-${col}`,
            onclick: () => {
              f.dir = on && !desc ? "desc" : "";
              f.sort = col;
              keepQuery();
              draw();
            },
          },
          label,
          h("span", { class: "sort-mark", "aria-hidden": "true" }, on ? (desc ? "▼" : "▲") : "↕"),
        ),
      );
    });
    const focused = head.contains(document.activeElement)
      ? document.activeElement.dataset.testid
      : null;
    replace(head, cells);
    if (focused) head.querySelector(`[data-testid="${focused}"]`)?.focus();
  }

  function drawTiles() {
    summaryTiles(tiles, {
      rows: mine.rows,
      loaded: mine.loaded,
      availability: mine.availability,
      status: f.status,
      onStatus: (status) => {
        statusSelect.value = status;
        onFilter();
      },
    });
  }

  function row(r) {
    const unit = unitById(mine.units, r.owner_unit_id);
    const link = h(
      "a",
      { href: `#/health/camera/${encodeURIComponent(r.camera_id)}`, class: "cam-link" },
      h("span", { class: "cam-name" }, r.name),
      h(
        "span",
        { class: "cam-id" },
        h("span", { class: "mono faint" }, r.camera_id),
        r.key_camera ? h("span", { class: "badge key" }, t("health.key_camera")) : null,
      ),
    );
    // Reuse thumbnails across redraws so live updates do not refetch every snapshot.
    if (!mine.thumbs.has(r.camera_id)) mine.thumbs.set(r.camera_id, thumbnail(r.camera_id));
    const tr = h(
      "tr",
      {
        "data-testid": `health-row-${r.camera_id}`,
        dataset: { status: r.status },
        class: r.enabled === false ? "is-disabled" : null,
      },
      h("td", { class: "thumb-cell" }, mine.thumbs.get(r.camera_id)),
      h("td", { class: "wrap" }, link),
      h("td", { class: "wrap muted" }, unit ? unitName(unit) : String(r.owner_unit_id)),
      h("td", { class: "wrap", "data-testid": "health-status" }, statusBadge(r.status, r.reasons)),
      h(
        "td",
        { title: r.since ? formatDateTime(r.since) : "" },
        r.since ? formatDuration(r.since) : "—",
      ),
      h("td", { class: "muted mono" }, r.checked_at ? formatDateTime(r.checked_at) : "—"),
      h("td", { class: "muted" }, t(`cameras.mode.${r.watch_mode}`)),
      h(
        "td",
        { class: "num" },
        r.open_alerts
          ? h(
              "a",
              {
                class: "badge danger",
                href: `#/health/alerts?camera_id=${encodeURIComponent(r.camera_id)}`,
              },
              formatNumber(r.open_alerts, 0),
            )
          : h("span", { class: "faint" }, "0"),
      ),
    );
    if (mine.changed.delete(r.camera_id)) flash(tr);
    return tr;
  }

  function drawUnits() {
    const selected = f.unit;
    replace(
      unitSelect,
      unitOptions(mine.units, { none: t("health.any") }).map((o) =>
        h("option", { value: String(o.value) }, o.label),
      ),
    );
    unitSelect.value = selected;
  }

  function draw() {
    drawHead();
    drawTiles();
    const rows = sortRows(
      mine.rows.filter((r) => matchesFilters(r, f)),
      f.sort,
      f.dir === "desc" ? -1 : 1,
    );
    replace(count, t("table.count", { count: rows.length }));
    if (!mine.loaded) return replace(tbody, messageRow(COLUMNS.length, t("table.loading")));
    if (!rows.length) return replace(tbody, messageRow(COLUMNS.length, t("health.none_match")));
    replace(
      tbody,
      pagedRows(rows, mine.shown, COLUMNS.length, row, () => {
        mine.shown += PAGE_ROWS;
        draw();
      }),
    );
  }

  async function load() {
    try {
      const [health, units] = await Promise.all([
        api("GET", "/api/health/cameras"),
        mine.units.length ? { items: mine.units } : api("GET", "/api/units"),
      ]);
      if (state !== mine) return;
      mine.rows = health.items;
      mine.units = units.items;
      mine.loaded = true;
      drawUnits();
      draw();
    } catch (err) {
      if (state === mine) replace(tbody, messageRow(COLUMNS.length, problemMessage(err), "alert"));
    }
    loadAvailability();
  }

  async function loadAvailability() {
    try {
      const avail = await api("GET", "/api/health/availability", {
        query: { period: "day", by: "unit" },
      });
      if (state !== mine) return;
      mine.availability = overallOnline(avail.items);
    } catch {
      mine.availability = null;
    }
    if (state === mine) drawTiles();
  }

  const reloadSoon = debounce(load, 400);
  mine.reloadSoon = reloadSoon;

  ctx.onEvent("camera.status", (ev) => {
    const r = mine.rows.find((x) => x.camera_id === ev.camera_id);
    if (!r) return reloadSoon();
    Object.assign(r, { status: ev.status, reasons: ev.reasons || [], since: ev.since });
    mine.changed.add(r.camera_id);
    draw();
    // New faults open alerts: the counts come from the server.
    reloadSoon();
  });
  ctx.onEvent("camera.alert", () => reloadSoon());
  for (const type of ["camera.created", "camera.updated", "camera.deleted", "camera.imported"]) {
    ctx.onEvent(type, () => reloadSoon());
  }
  ctx.onEvent("resync", () => reloadSoon());
  // Durations ("since") age and snapshots change while the page is open.
  mine.timers.push(
    setInterval(() => {
      if (state !== mine || !mine.loaded) return;
      mine.thumbs.clear();
      draw();
    }, 60_000),
  );
  mine.patrol = patrolPanel(patrol, { manage: canManageHealth(ctx.user) });
  draw();
  await load();
}

/** Stop timers, polling and pending reloads. */
export function dispose() {
  if (!state) return;
  state.reloadSoon?.cancel();
  for (const id of state.timers) clearInterval(id);
  state.patrol?.stop();
  state = null;
}
