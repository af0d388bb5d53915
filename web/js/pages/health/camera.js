// One camera's health: current status and metrics, metric history chart with a status band,
// status changes, and its alerts (acknowledge / close); live from camera.status / camera.alert.

import { api, problemMessage } from "../../api.js";
import { debounce, h, replace } from "../../dom.js";
import { formatDateTime, t, unitName } from "../../i18n.js";
import { toast } from "../../ui/toast.js";
import { messagePanel } from "../placeholder.js";
import { messageRow } from "../admin/common.js";
import { alertAction, alertHistory, alertStateBadge } from "./alert_actions.js";
import { legend, metricChart } from "./chart.js";
import { referencePanel, tuningPanel } from "./reference.js";
import {
  canManageHealth,
  formatDuration,
  metricList,
  reasonText,
  statusBadge,
  thumbnail,
  unitById,
} from "./common.js";

export const WINDOWS = [1, 6, 24, 168];

let state = null;

/** Render the detail of camera `ctx.route.rest[1]` into `container`. */
export async function render(container, ctx) {
  const id = ctx.route.rest[1] || "";
  const hours = WINDOWS.includes(Number(ctx.route.query.hours))
    ? Number(ctx.route.query.hours)
    : 24;
  const manage = canManageHealth(ctx.user);
  const mine = { data: null, units: [] };
  state = mine;
  const body = h("div", { class: "health-detail", "data-testid": "health-detail" });
  replace(container, body);
  replace(body, h("p", { class: "muted" }, t("table.loading")));

  function windowPicker() {
    return h(
      "div",
      { class: "seg", role: "group", "aria-label": t("health.window") },
      WINDOWS.map((n) =>
        h(
          "a",
          {
            class: "btn btn-sm",
            href: `#/health/camera/${encodeURIComponent(id)}?hours=${n}`,
            "aria-current": n === hours ? "true" : null,
            "data-testid": `health-window-${n}`,
          },
          t(n >= 24 ? "health.window_d" : "health.window_h", { n: n >= 24 ? n / 24 : n }),
        ),
      ),
    );
  }

  function chartSection(d) {
    const to = Date.now();
    const from = to - hours * 3_600_000;
    const svg = metricChart(d.history, d.changes, from, to);
    const keys = legend(d.history);
    return h(
      "section",
      { class: "panel chart-panel", "aria-labelledby": "chart-title" },
      h(
        "div",
        { class: "toolbar" },
        h("h2", { id: "chart-title" }, t("health.history")),
        h("span", { class: "spacer" }),
        windowPicker(),
      ),
      svg
        ? h(
            "div",
            { class: "chart-wrap" },
            svg,
            h(
              "ul",
              { class: "legend" },
              keys.map((k) =>
                h(
                  "li",
                  { class: `legend-${k.panel} s${k.index}` },
                  h("span", { class: "swatch", "aria-hidden": "true" }),
                  t(`health.series.${k.name}`),
                ),
              ),
              ["ok", "degraded", "offline"].map((st) =>
                h(
                  "li",
                  { class: `legend-band band-${st}` },
                  h("span", { class: "swatch", "aria-hidden": "true" }),
                  t(`health.status.${st}`),
                ),
              ),
            ),
          )
        : h("p", { class: "empty" }, t("health.no_history")),
    );
  }

  function changesSection(d) {
    const tbody = h("tbody");
    const heads = ["status", "started", "ended", "duration"].map((c) =>
      h("th", { scope: "col" }, t(`health.change_col.${c}`)),
    );
    if (!d.changes.length) replace(tbody, messageRow(4, t("health.no_changes")));
    else
      replace(
        tbody,
        d.changes.map((c) =>
          h(
            "tr",
            {},
            h("td", { class: "wrap" }, statusBadge(c.status, c.reasons)),
            h("td", { class: "mono" }, formatDateTime(c.started_at)),
            h(
              "td",
              { class: "mono muted" },
              c.ended_at ? formatDateTime(c.ended_at) : t("health.ongoing"),
            ),
            h(
              "td",
              {},
              formatDuration(c.started_at, c.ended_at ? Date.parse(c.ended_at) : Date.now()),
            ),
          ),
        ),
      );
    return h(
      "section",
      { class: "panel", "aria-labelledby": "changes-title" },
      h("div", { class: "toolbar" }, h("h2", { id: "changes-title" }, t("health.changes"))),
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "data", "data-testid": "health-changes" },
          h("thead", {}, h("tr", {}, heads)),
          tbody,
        ),
      ),
    );
  }

  function alertsSection(d) {
    const tbody = h("tbody");
    const heads = ["kind", "state", "opened", "recovered", "history", ""].map((c) =>
      h("th", { scope: "col" }, c ? t(`health.alert_col.${c}`) : ""),
    );
    if (!d.alerts.length) replace(tbody, messageRow(6, t("health.no_alerts")));
    else
      replace(
        tbody,
        d.alerts.map((a) =>
          h(
            "tr",
            { "data-testid": `alert-row-${a.id}`, dataset: { state: a.state } },
            h("td", {}, reasonText(a.kind)),
            h("td", {}, alertStateBadge(a)),
            h("td", { class: "mono" }, formatDateTime(a.opened_at)),
            h("td", { class: "mono muted" }, a.recovered_at ? formatDateTime(a.recovered_at) : "—"),
            h("td", { class: "wrap muted small" }, alertHistory(a)),
            h(
              "td",
              { class: "actions" },
              manage && a.state === "open"
                ? h(
                    "button",
                    {
                      type: "button",
                      class: "btn btn-sm",
                      "data-testid": "alert-ack",
                      "aria-label": t("health.ack_named", { id: a.id }),
                      onclick: () => act("ack", a),
                    },
                    t("health.ack"),
                  )
                : null,
              manage && a.state !== "closed"
                ? h(
                    "button",
                    {
                      type: "button",
                      class: "btn btn-sm",
                      "data-testid": "alert-close",
                      "aria-label": t("health.close_named", { id: a.id }),
                      onclick: () => act("close", a),
                    },
                    t("health.close"),
                  )
                : null,
            ),
          ),
        ),
      );
    return h(
      "section",
      { class: "panel", "aria-labelledby": "alerts-title" },
      h("div", { class: "toolbar" }, h("h2", { id: "alerts-title" }, t("health.camera_alerts"))),
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "data", "data-testid": "camera-alerts" },
          h("thead", {}, h("tr", {}, heads)),
          tbody,
        ),
      ),
    );
  }

  function draw() {
    const d = mine.data;
    const unit = unitById(mine.units, d.owner_unit_id);
    const facts = metricList(d.metrics);
    replace(
      body,
      h(
        "div",
        { class: "detail-head" },
        h(
          "a",
          { class: "btn btn-sm", href: "#/health", "data-testid": "health-back" },
          t("health.back"),
        ),
        h(
          "div",
          { class: "detail-title" },
          h("h2", { "data-testid": "health-detail-name" }, d.name),
          h("span", { class: "mono muted" }, d.camera_id),
          unit ? h("span", { class: "muted" }, unitName(unit)) : null,
          d.key_camera ? h("span", { class: "badge key" }, t("health.key_camera")) : null,
        ),
      ),
      h(
        "div",
        { class: "detail-top" },
        thumbnail(d.camera_id, { large: true }),
        h(
          "div",
          { class: "detail-status panel", "data-testid": "health-detail-status" },
          statusBadge(d.status, d.reasons),
          h(
            "dl",
            { class: "facts" },
            fact(
              t("health.col.since"),
              d.since ? `${formatDateTime(d.since)} (${formatDuration(d.since)})` : "—",
            ),
            fact(t("health.col.checked"), d.checked_at ? formatDateTime(d.checked_at) : "—"),
            fact(t("health.col.mode"), t(`cameras.mode.${d.watch_mode}`)),
            facts.map((m) => fact(m.label, m.value, m.key)),
          ),
        ),
      ),
      d.maintenance
        ? h(
            "p",
            { class: "notice", "data-testid": "health-detail-maintenance" },
            t("health.muted_by", { reason: d.maintenance.reason }),
          )
        : null,
      mine.reference ?? (mine.reference = referencePanel(d, { manage, onChange: load })),
      chartSection(d),
      h("div", { class: "detail-grid" }, changesSection(d), alertsSection(d)),
      mine.tuning ?? (mine.tuning = tuningPanel(d, { manage })),
    );
  }

  async function act(action, alert) {
    const result = await alertAction(action, alert);
    if (!result) return;
    toast(t(`health.${action}_done`, { count: result.done.length }));
    await load();
  }

  async function load() {
    try {
      const [d, units] = await Promise.all([
        api("GET", `/api/health/cameras/${encodeURIComponent(id)}`, { query: { hours } }),
        mine.units.length ? { items: mine.units } : api("GET", "/api/units"),
      ]);
      if (state !== mine) return;
      mine.data = d;
      mine.units = units.items;
      draw();
    } catch (err) {
      if (state !== mine) return;
      if (err?.status === 404)
        replace(body, messagePanel("shell.not_found", "health.camera_missing", { id }));
      else replace(body, h("p", { class: "alert", role: "alert" }, problemMessage(err)));
    }
  }
  const reloadSoon = debounce(load, 400);
  mine.reloadSoon = reloadSoon;
  const mineOnly = (ev) => (ev?.camera_id === id || ev?.id === id) && reloadSoon();
  ctx.onEvent("camera.status", mineOnly);
  ctx.onEvent("camera.alert", mineOnly);
  ctx.onEvent("camera.updated", mineOnly);
  ctx.onEvent("resync", () => reloadSoon());
  await load();
}

function fact(label, value, key = null) {
  return h("div", { dataset: key ? { metric: key } : {} }, h("dt", {}, label), h("dd", {}, value));
}

/** Stop pending reloads. */
export function dispose() {
  state?.reloadSoon?.cancel();
  state = null;
}
