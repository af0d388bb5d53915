// Admin > Notifications: channels (with "send test"), routing rules and the live delivery log.

import { api, problemMessage } from "../../api.js";
import { debounce, h, replace } from "../../dom.js";
import { formatDateTime, t, unitName } from "../../i18n.js";
import { confirmDialog } from "../../ui/dialog.js";
import { toast } from "../../ui/toast.js";
import { iconButton } from "../../ui/widgets.js";
import { dataTable, messageRow, subtreeIds } from "./common.js";
import { channelDialog, ruleDialog, STATUSES } from "./notify_forms.js";

const CHANNEL_COLUMNS = [
  "notify.name",
  "notify.kind",
  "notify.unit",
  "notify.target",
  "notify.rules",
  "notify.last_delivery",
  "notify.status",
  "",
];
const RULE_COLUMNS = ["notify.channel", "notify.name", "notify.kinds", "notify.min_severity",
  "notify.tags", "notify.units", "notify.exercise", "notify.status", ""];
const LOG_COLUMNS = ["notify.time", "notify.channel", "notify.message", "notify.severity",
  "notify.delivery_status", "notify.error"];
const STATUS_CLASS = { sent: "ok", pending: "", retrying: "warn", failed: "danger", suppressed: "" };

let state = null;

function statusBadge(row) {
  const label = row.status === "sent" && row.attempts > 1
    ? t("notify.sent_after", { n: row.attempts })
    : t(`notify.delivery.${row.status}`);
  return h("span", { class: `badge ${STATUS_CLASS[row.status] || ""}` }, label);
}

function button(label, attrs) {
  return h("button", { type: "button", class: "btn btn-sm", ...attrs }, label);
}

/** Render the notifications admin page into `container`. */
export async function render(container, ctx) {
  const mine = { channels: [], rules: [], log: [], units: [], filter: { channel_id: "", status: "" } };
  state = mine;
  const channels = dataTable(CHANNEL_COLUMNS, "channels-table");
  // Enabled once the units are known (the dialog needs them).
  const createButton = iconButton("plus", t("notify.new_channel"), {
    class: "btn btn-primary",
    "data-testid": "channel-create",
    disabled: true,
    onclick: () => editChannel(null),
  });
  const rules = dataTable(RULE_COLUMNS, "rules-table");
  const log = dataTable(LOG_COLUMNS, "deliveries-table");
  const channelFilter = h("select", { class: "select", "aria-label": t("notify.channel"), "data-testid": "log-channel" });
  const statusFilter = h(
    "select",
    { class: "select", "aria-label": t("notify.delivery_status"), "data-testid": "log-status" },
    h("option", { value: "" }, t("notify.all_statuses")),
    STATUSES.map((s) => h("option", { value: s }, t(`notify.delivery.${s}`))),
  );
  channelFilter.addEventListener("change", () => {
    mine.filter.channel_id = channelFilter.value;
    loadLog();
  });
  statusFilter.addEventListener("change", () => {
    mine.filter.status = statusFilter.value;
    loadLog();
  });
  replace(
    container,
    h(
      "div",
      { class: "notify-page" },
    h(
      "section",
      { class: "panel", "aria-label": t("notify.channels") },
      h(
        "div",
        { class: "toolbar" },
        h("h2", {}, t("notify.channels")),
        h("span", { class: "spacer" }),
        createButton,
      ),
      h("p", { class: "muted intro" }, t("notify.channels_intro")),
      h("div", { class: "table-wrap" }, channels.table),
    ),
    h(
      "section",
      { class: "panel", "aria-label": t("notify.rules") },
      h("div", { class: "toolbar" }, h("h2", {}, t("notify.rules"))),
      h("p", { class: "muted intro" }, t("notify.rules_intro")),
      h("div", { class: "table-wrap" }, rules.table),
    ),
    h(
      "section",
      { class: "panel", "aria-label": t("notify.log") },
      h(
        "div",
        { class: "toolbar" },
        h("h2", {}, t("notify.log")),
        h("span", { class: "spacer" }),
        channelFilter,
        statusFilter,
      ),
      h("div", { class: "table-wrap" }, log.table),
    ),
    ),
  );

  const unitOf = (id) => mine.units.find((u) => u.id === id);
  const channelOf = (id) => mine.channels.find((c) => c.id === id);

  function drawChannels() {
    if (!mine.channels.length) {
      replace(channels.tbody, messageRow(CHANNEL_COLUMNS.length, t("notify.no_channels")));
    } else replace(channels.tbody, mine.channels.map(channelRow));
    replace(
      channelFilter,
      h("option", { value: "" }, t("notify.all_channels")),
      mine.channels.map((c) => h("option", { value: String(c.id) }, c.name)),
    );
    channelFilter.value = mine.filter.channel_id;
  }

  function channelRow(c) {
    const unit = unitOf(c.unit_id);
    const target = c.kind === "email" ? (c.email?.to || []).join(", ") : c.url_masked || "";
    const last = c.last_delivery;
    return h(
      "tr",
      { class: c.enabled ? null : "is-disabled", "data-testid": `channel-row-${c.id}` },
      h("td", {}, c.name),
      h("td", {}, t(`notify.kind.${c.kind}`), c.has_secret ? h("span", { class: "badge" }, t("notify.signed")) : null),
      h("td", {}, unit ? unitName(unit) : c.unit_id),
      h("td", { class: "mono muted target", title: target }, target),
      h("td", {}, String(c.rule_count)),
      h("td", {}, last ? [statusBadge(last), " ", h("span", { class: "muted" }, formatDateTime(last.at))] : "—"),
      h("td", {}, h("span", { class: `badge ${c.enabled ? "ok" : ""}` }, t(c.enabled ? "notify.enabled" : "notify.disabled"))),
      h(
        "td",
        { class: "actions" },
        button(t("notify.send_test"), {
          "data-testid": `channel-test-${c.id}`,
          "aria-label": t("notify.send_test_named", { name: c.name }),
          onclick: (ev) => sendTest(c, ev.currentTarget),
        }),
        button(t("notify.add_rule"), { onclick: () => editRule(c, null) }),
        button(t("action.edit"), {
          "aria-label": t("notify.edit_channel", { name: c.name }),
          onclick: () => editChannel(c),
        }),
        button(t("notify.delete"), {
          class: "btn btn-sm btn-danger",
          "aria-label": t("notify.delete_named", { name: c.name }),
          onclick: () => removeChannel(c),
        }),
      ),
    );
  }

  function drawRules() {
    if (!mine.rules.length) return replace(rules.tbody, messageRow(RULE_COLUMNS.length, t("notify.no_rules")));
    replace(
      rules.tbody,
      mine.rules.map((r) =>
        h(
          "tr",
          { class: r.enabled ? null : "is-disabled", "data-testid": `rule-row-${r.id}` },
          h("td", {}, channelOf(r.channel_id)?.name || r.channel_id),
          h("td", {}, r.name),
          h("td", { class: "mono" }, r.kinds.length ? r.kinds.join(", ") : t("notify.any")),
          h("td", {}, t(`notify.severity.${r.min_severity}`)),
          h("td", {}, r.tags.length ? r.tags.join(", ") : t("notify.any")),
          h("td", {}, r.unit_ids.length ? r.unit_ids.map((id) => (unitOf(id) ? unitName(unitOf(id)) : id)).join(", ") : t("notify.any")),
          h("td", {}, t(`notify.exercise.${r.exercise}`)),
          h("td", {}, t(r.enabled ? "notify.enabled" : "notify.disabled")),
          h(
            "td",
            { class: "actions" },
            button(t("action.edit"), { onclick: () => editRule(channelOf(r.channel_id), r) }),
            button(t("notify.delete"), { class: "btn btn-sm btn-danger", onclick: () => removeRule(r) }),
          ),
        ),
      ),
    );
  }

  function drawLog() {
    if (!mine.log.length) return replace(log.tbody, messageRow(LOG_COLUMNS.length, t("notify.no_deliveries")));
    replace(
      log.tbody,
      mine.log.map((d) =>
        h(
          "tr",
          { "data-testid": `delivery-row-${d.id}`, dataset: { status: d.status } },
          h("td", { class: "muted" }, formatDateTime(d.created_at)),
          h("td", {}, d.channel_name),
          h(
            "td",
            {},
            d.title,
            d.is_test ? h("span", { class: "badge" }, t("notify.test_badge")) : null,
            d.digest_count ? h("span", { class: "badge warn" }, t("notify.digest_of", { n: d.digest_count })) : null,
          ),
          h("td", {}, t(`notify.severity.${d.severity}`)),
          h("td", {}, statusBadge(d)),
          h("td", { class: "muted" }, d.last_error || ""),
        ),
      ),
    );
  }

  async function loadConfig() {
    try {
      const [c, r, u] = await Promise.all([
        api("GET", "/api/notify/channels"),
        api("GET", "/api/notify/rules"),
        api("GET", "/api/units"),
      ]);
      if (state !== mine) return;
      mine.channels = c.items;
      mine.rules = r.items;
      // A unit admin manages its own unit and the units below it.
      const scope = subtreeIds(u.items, ctx.user.unit?.id ?? ctx.user.unit_id);
      mine.units = u.items.filter((unit) => scope.has(unit.id));
      createButton.disabled = false;
      drawChannels();
      drawRules();
    } catch (err) {
      if (state === mine) replace(channels.tbody, messageRow(CHANNEL_COLUMNS.length, problemMessage(err), "alert"));
    }
  }

  async function loadLog() {
    try {
      const page = await api("GET", "/api/notify/deliveries", {
        query: { limit: 200, channel_id: mine.filter.channel_id, status: mine.filter.status },
      });
      if (state !== mine) return;
      mine.log = page.items;
      drawLog();
    } catch (err) {
      if (state === mine) replace(log.tbody, messageRow(LOG_COLUMNS.length, problemMessage(err), "alert"));
    }
  }

  async function editChannel(channel) {
    const saved = await channelDialog({ channel, units: mine.units });
    if (!saved) return;
    toast(t("notify.saved", { name: saved.name }));
    await loadConfig();
    if (!channel) await editRule(saved, null);
  }

  async function editRule(channel, rule) {
    if (!channel) return;
    const saved = await ruleDialog({ channel, rule, units: mine.units });
    if (saved) await loadConfig();
  }

  async function sendTest(channel, el) {
    el.disabled = true;
    try {
      const row = await api("POST", `/api/notify/channels/${channel.id}/test`);
      if (row.status === "sent") toast(t("notify.test_sent", { name: channel.name }));
      else toast(t("notify.test_failed", { name: channel.name, error: row.last_error }), "error");
    } catch (err) {
      toast(problemMessage(err), "error");
    } finally {
      el.disabled = false;
      await Promise.all([loadConfig(), loadLog()]);
    }
  }

  async function removeChannel(channel) {
    const ok = await confirmDialog({
      title: t("notify.delete"),
      message: t("notify.delete_confirm", { name: channel.name }),
      confirmLabel: t("notify.delete"),
      danger: true,
    });
    if (!ok) return;
    try {
      await api("DELETE", `/api/notify/channels/${channel.id}`);
    } catch (err) {
      toast(problemMessage(err), "error");
    }
    await Promise.all([loadConfig(), loadLog()]);
  }

  async function removeRule(rule) {
    try {
      await api("DELETE", `/api/notify/rules/${rule.id}`);
    } catch (err) {
      toast(problemMessage(err), "error");
    }
    await loadConfig();
  }

  const reloadLog = debounce(loadLog, 400);
  const reloadConfig = debounce(loadConfig, 400);
  mine.cancel = () => {
    reloadLog.cancel();
    reloadConfig.cancel();
  };
  ctx.onEvent("notify.delivery", () => {
    reloadLog();
    reloadConfig();
  });
  ctx.onEvent("resync", () => {
    reloadLog();
    reloadConfig();
  });
  replace(channels.tbody, messageRow(CHANNEL_COLUMNS.length, t("table.loading")));
  await Promise.all([loadConfig(), loadLog()]);
}

/** Stop pending reloads. */
export function dispose() {
  state?.cancel?.();
  state = null;
}
