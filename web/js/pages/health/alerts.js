// Alerts: state filter (in the URL), camera filter, select and acknowledge in bulk, close; live.

import { api, problemMessage } from "../../api.js";
import { debounce, h, replace } from "../../dom.js";
import { formatDateTime, t } from "../../i18n.js";
import { toast } from "../../ui/toast.js";
import { flash, messageRow } from "../admin/common.js";
import { alertAction, alertHistory, alertStateBadge } from "./alert_actions.js";
import { ALERT_STATES, canManageHealth, formatDuration, reasonText } from "./common.js";

const COLUMNS = ["select", "id", "camera", "kind", "state", "times", "history", ""];

let state = null;

/** Render the alerts list into `container`. */
export async function render(container, ctx) {
  const f = {
    state: ALERT_STATES.includes(ctx.route.query.state) ? ctx.route.query.state : "active",
    camera_id: ctx.route.query.camera_id || "",
  };
  const manage = canManageHealth(ctx.user);
  const mine = {
    items: [],
    names: new Map(),
    loaded: false,
    selected: new Set(),
    changed: new Set(),
  };
  state = mine;
  const tbody = h("tbody");
  const all = h("input", {
    type: "checkbox",
    "aria-label": t("health.select_all"),
    "data-testid": "alerts-select-all",
  });
  all.addEventListener("change", () => {
    mine.selected = new Set(all.checked ? actionable().map((a) => a.id) : []);
    draw();
  });
  const headers = COLUMNS.map((c) => {
    if (c === "select") return h("th", { scope: "col" }, manage ? all : "");
    return h("th", { scope: "col" }, c ? t(`health.alert_col.${c}`) : "");
  });
  const table = h(
    "table",
    { class: "data", "data-testid": "alerts-table" },
    h("thead", {}, h("tr", {}, headers)),
    tbody,
  );
  const stateSelect = h(
    "select",
    { class: "select", id: "alerts-state", "data-testid": "alerts-state" },
    ALERT_STATES.map((s) => h("option", { value: s }, t(`health.alert_filter.${s}`))),
  );
  stateSelect.value = f.state;
  const camInput = h("input", {
    class: "input",
    id: "alerts-camera",
    value: f.camera_id,
    autocomplete: "off",
    placeholder: t("health.camera_id"),
  });
  const count = h("span", { class: "count" });
  const bulk = h(
    "button",
    {
      type: "button",
      class: "btn btn-primary",
      disabled: true,
      "data-testid": "alerts-bulk-ack",
      onclick: () => bulkAck(),
    },
    t("health.ack_selected"),
  );
  const apply = () => {
    f.state = stateSelect.value;
    f.camera_id = camInput.value.trim();
    ctx.replaceQuery({ state: f.state === "active" ? "" : f.state, camera_id: f.camera_id });
    mine.selected.clear();
    mine.loaded = false;
    draw();
    load();
  };
  stateSelect.addEventListener("change", apply);
  camInput.addEventListener("change", apply);
  const field = (control, key) =>
    h("div", { class: "field" }, h("label", { for: control.id }, t(key)), control);
  replace(
    container,
    h(
      "section",
      { class: "panel", "aria-label": t("health.tab.alerts") },
      h(
        "div",
        { class: "toolbar filters" },
        field(stateSelect, "health.alert_col.state"),
        field(camInput, "health.alert_col.camera"),
        h("span", { class: "spacer" }),
        count,
        manage ? bulk : null,
      ),
      h("div", { class: "table-wrap" }, table),
    ),
  );

  function actionable() {
    return mine.items.filter((a) => a.state === "open");
  }

  function row(a) {
    const check = h("input", {
      type: "checkbox",
      checked: mine.selected.has(a.id),
      disabled: a.state !== "open",
      "aria-label": t("health.select_alert", { id: a.id }),
    });
    check.addEventListener("change", () => {
      if (check.checked) mine.selected.add(a.id);
      else mine.selected.delete(a.id);
      drawBulk();
    });
    const buttons = [];
    if (manage && a.state === "open") {
      buttons.push(
        h(
          "button",
          {
            type: "button",
            class: "btn btn-sm",
            "data-testid": "alert-ack",
            "aria-label": t("health.ack_named", { id: a.id }),
            onclick: () => act("ack", a),
          },
          t("health.ack"),
        ),
      );
    }
    if (manage && a.state !== "closed") {
      buttons.push(
        h(
          "button",
          {
            type: "button",
            class: "btn btn-sm",
            "data-testid": "alert-close",
            "aria-label": t("health.close_named", { id: a.id }),
            onclick: () => act("close", a),
          },
          t("health.close"),
        ),
      );
    }
    const name = mine.names.get(a.camera_id);
    const tr = h(
      "tr",
      { "data-testid": `alert-row-${a.id}`, dataset: { state: a.state } },
      h("td", {}, manage ? check : ""),
      h("td", { class: "mono muted" }, String(a.id)),
      h(
        "td",
        { class: "wrap" },
        h("a", { href: `#/health/camera/${encodeURIComponent(a.camera_id)}` }, name || a.camera_id),
        name ? h("div", { class: "mono faint" }, a.camera_id) : null,
      ),
      h("td", {}, h("span", { class: "reason", dataset: { reason: a.kind } }, reasonText(a.kind))),
      h("td", {}, alertStateBadge(a)),
      h(
        "td",
        { class: "mono small", title: formatDuration(a.opened_at) },
        h("div", {}, formatDateTime(a.opened_at)),
        a.recovered_at
          ? h(
              "div",
              { class: "faint" },
              t("health.recovered_at", { time: formatDateTime(a.recovered_at) }),
            )
          : null,
      ),
      h("td", { class: "wrap muted small" }, alertHistory(a)),
      h("td", { class: "actions" }, buttons),
    );
    if (mine.changed.delete(a.id)) flash(tr);
    return tr;
  }

  function drawBulk() {
    const n = mine.selected.size;
    bulk.disabled = n === 0;
    replace(bulk, n ? t("health.ack_selected_n", { count: n }) : t("health.ack_selected"));
    const open = actionable().length;
    all.checked = open > 0 && n === open;
    all.indeterminate = n > 0 && n < open;
    all.disabled = open === 0;
  }

  function draw() {
    replace(count, t("table.count", { count: mine.items.length }));
    drawBulk();
    if (!mine.loaded) return replace(tbody, messageRow(COLUMNS.length, t("table.loading")));
    if (!mine.items.length)
      return replace(tbody, messageRow(COLUMNS.length, t("health.no_alerts")));
    replace(tbody, mine.items.map(row));
  }

  function matches(a) {
    if (f.camera_id && a.camera_id !== f.camera_id) return false;
    if (f.state === "all") return true;
    if (f.state === "active") return a.state !== "closed";
    if (f.state === "firing") return a.state !== "closed" && !a.recovered_at;
    if (f.state === "recovered") return a.state !== "closed" && Boolean(a.recovered_at);
    return a.state === f.state;
  }

  function live(a) {
    if (!a?.id) return reloadSoon();
    const known = mine.items.some((x) => x.id === a.id);
    if (!known && !matches(a)) return;
    if (!known) return reloadSoon(); // new alerts: the server orders them
    mine.items = mine.items.map((x) => (x.id === a.id ? a : x)).filter(matches);
    for (const id of mine.selected)
      if (!actionable().some((x) => x.id === id)) mine.selected.delete(id);
    mine.changed.add(a.id);
    draw();
  }

  async function act(action, alert) {
    const result = await alertAction(action, alert);
    if (!result) return;
    result.done.forEach(live);
    toast(t(`health.${action}_done`, { count: result.done.length }));
  }

  async function bulkAck() {
    const chosen = mine.items.filter((a) => mine.selected.has(a.id));
    if (!chosen.length) return;
    const result = await alertAction("ack", chosen);
    if (!result) return;
    mine.selected.clear();
    result.done.forEach(live);
    toast(t("health.ack_done", { count: result.done.length }));
    if (result.failed.length) {
      const first = result.failed[0];
      toast(
        t("health.ack_failed", {
          count: result.failed.length,
          reason: problemMessage(first.error),
        }),
        "error",
      );
      reloadSoon();
    }
    draw();
  }

  async function load() {
    try {
      const [alerts, health] = await Promise.all([
        api("GET", "/api/health/alerts", {
          query: { state: f.state, camera_id: f.camera_id, limit: 1000 },
        }),
        mine.names.size ? null : api("GET", "/api/health/cameras"),
      ]);
      if (state !== mine) return;
      if (health) for (const r of health.items) mine.names.set(r.camera_id, r.name);
      mine.items = alerts.items;
      mine.loaded = true;
      draw();
    } catch (err) {
      if (state === mine) replace(tbody, messageRow(COLUMNS.length, problemMessage(err), "alert"));
    }
  }
  const reloadSoon = debounce(load, 400);
  mine.reloadSoon = reloadSoon;

  ctx.onEvent("camera.alert", live);
  ctx.onEvent("camera.status", () => reloadSoon());
  ctx.onEvent("resync", () => reloadSoon());
  await load();
}

/** Stop pending reloads. */
export function dispose() {
  state?.reloadSoon?.cancel();
  state = null;
}
