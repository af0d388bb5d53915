// Admin > Audit log: filters (kept in the URL), "load more" paging, CSV export, live rows.

import { api, problemMessage, queryString } from "../../api.js";
import { h, replace } from "../../dom.js";
import { formatDateTime, has, t } from "../../i18n.js";
import { icon } from "../../ui/icons.js";
import { person } from "../../ui/people.js";
import { dataTable, flash, messageRow } from "./common.js";

const COLUMNS = [
  "audit.time",
  "audit.actor",
  "audit.ip",
  "audit.action",
  "audit.target",
  "audit.outcome",
  "audit.detail",
];
const FILTERS = ["actor", "action", "outcome", "target_type", "from", "to"];
const OUTCOMES = ["success", "denied", "failure"];
const KNOWN_ACTIONS = [
  "auth.",
  "auth.login",
  "auth.logout",
  "user.",
  "user.create",
  "user.update",
  "user.password",
  "unit.create",
  "unit.update",
  "token.create",
  "token.revoke",
  "csrf.rejected",
];
const KNOWN_TARGETS = ["user", "unit", "token", "route", "camera", "layer", "drill"];
const PAGE_SIZE = 100;
const OUTCOME_CLASS = { success: "ok", denied: "warn", failure: "danger" };

let state = null;

/** Local calendar day "YYYY-MM-DD" (+ days) as an ISO instant at local midnight. */
function dayStart(day, plusDays = 0) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day || "")) return "";
  const date = new Date(`${day}T00:00:00`);
  date.setDate(date.getDate() + plusDays);
  return date.toISOString();
}

/** The API query for the UI filters (the date range is inclusive of the "to" day). */
export function apiFilters(f) {
  return {
    actor: f.actor,
    action: f.action,
    outcome: f.outcome,
    target_type: f.target_type,
    since: dayStart(f.from),
    until: dayStart(f.to, 1),
  };
}

/** Whether a live audit row matches the filters (same rules as the server). */
export function matches(entry, f) {
  const q = apiFilters(f);
  if (q.actor && entry.actor !== q.actor) return false;
  if (q.action) {
    const family = q.action.endsWith(".");
    if (family ? !entry.action.startsWith(q.action) : entry.action !== q.action) return false;
  }
  if (q.outcome && entry.outcome !== q.outcome) return false;
  if (q.target_type && entry.target_type !== q.target_type) return false;
  const ts = Date.parse(entry.ts);
  if (q.since && ts < Date.parse(q.since)) return false;
  if (q.until && ts >= Date.parse(q.until)) return false;
  return true;
}

/** An audit action in words; a refusal names the permission that was missing. */
export function actionLabel(entry) {
  const action = entry.action || "";
  if (has(`audit.action.${action}`)) return t(`audit.action.${action}`);
  if (has(`perm.${action}`)) {
    const perm = t(`perm.${action}`);
    return entry.outcome === "denied" ? t("audit.denied_perm", { perm }) : perm;
  }
  return action;
}

function detailText(detail) {
  if (!detail || typeof detail !== "object" || !Object.keys(detail).length) return "";
  return JSON.stringify(detail);
}

/** Render the audit log into `container`. */
export async function render(container, ctx) {
  const filters = Object.fromEntries(FILTERS.map((k) => [k, ctx.route.query[k] || ""]));
  const mine = { items: [], next: null, loading: false, error: null };
  state = mine;
  const { table, tbody } = dataTable(COLUMNS, "audit-table");
  const foot = h("div", { class: "table-foot" });
  const exportLink = h(
    "a",
    { class: "btn push-right", "data-testid": "audit-export", download: "audit.csv" },
    icon("download"),
    h("span", {}, t("audit.export")),
  );

  const inputs = {
    actor: h("input", { class: "input", name: "actor", value: filters.actor, autocomplete: "off" }),
    action: h("input", {
      class: "input",
      name: "action",
      value: filters.action,
      list: "audit-actions",
      autocomplete: "off",
    }),
    outcome: h(
      "select",
      { class: "select", name: "outcome" },
      h("option", { value: "" }, t("audit.any")),
      OUTCOMES.map((o) => h("option", { value: o }, t(`outcome.${o}`))),
    ),
    target_type: h("input", {
      class: "input",
      name: "target_type",
      value: filters.target_type,
      list: "audit-targets",
      autocomplete: "off",
    }),
    from: h("input", { class: "input", type: "date", name: "from", value: filters.from }),
    to: h("input", { class: "input", type: "date", name: "to", value: filters.to }),
  };
  inputs.outcome.value = filters.outcome;
  const labelled = (key, labelKey) => {
    inputs[key].id = `audit-${key}`;
    return h(
      "div",
      { class: "field" },
      h("label", { for: inputs[key].id }, t(labelKey)),
      inputs[key],
    );
  };
  const form = h(
    "form",
    { class: "toolbar filters", role: "search", "aria-label": t("audit.filters") },
    labelled("actor", "audit.actor"),
    labelled("action", "audit.action"),
    labelled("outcome", "audit.outcome"),
    labelled("target_type", "audit.target_type"),
    labelled("from", "audit.from"),
    labelled("to", "audit.to"),
    h(
      "button",
      { type: "submit", class: "btn btn-primary", "data-testid": "audit-apply" },
      t("audit.apply"),
    ),
    h("button", { type: "reset", class: "btn" }, t("audit.reset")),
    exportLink,
    h(
      "datalist",
      { id: "audit-actions" },
      KNOWN_ACTIONS.map((a) => h("option", { value: a }, has(`audit.action.${a}`) ? t(`audit.action.${a}`) : "")),
    ),
    h(
      "datalist",
      { id: "audit-targets" },
      KNOWN_TARGETS.map((a) => h("option", { value: a })),
    ),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    for (const key of FILTERS) filters[key] = inputs[key].value.trim();
    ctx.replaceQuery(filters);
    reload();
  });
  form.addEventListener("reset", () => {
    // Let the browser clear the fields first, then query with the defaults.
    setTimeout(() => {
      for (const key of FILTERS) filters[key] = "";
      inputs.outcome.value = "";
      for (const key of FILTERS) inputs[key].value = "";
      ctx.replaceQuery({});
      reload();
    });
  });
  replace(
    container,
    h(
      "section",
      { class: "panel", "aria-label": t("admin.audit") },
      form,
      h("div", { class: "table-wrap" }, table),
      foot,
    ),
  );

  function row(entry) {
    const target = [entry.target_type, entry.target_id]
      .filter((x) => x !== "" && x != null)
      .join(" : ");
    const detail = detailText(entry.detail);
    return h(
      "tr",
      { "data-id": String(entry.id) },
      h("td", { class: "mono" }, formatDateTime(entry.ts)),
      h("td", {}, person(entry.actor, { fallbackKey: "audit.anonymous" })),
      h("td", { class: "mono muted" }, entry.ip || ""),
      h("td", { title: entry.action, dataset: { action: entry.action } }, actionLabel(entry)),
      h("td", { class: "mono" }, target),
      h(
        "td",
        {},
        h(
          "span",
          { class: `badge ${OUTCOME_CLASS[entry.outcome] || ""}` },
          t(`outcome.${entry.outcome}`),
        ),
      ),
      h("td", {}, h("div", { class: "audit-detail", title: detail }, detail)),
    );
  }

  function drawFoot() {
    const more = h(
      "button",
      {
        type: "button",
        class: "btn btn-sm",
        disabled: mine.loading,
        "data-testid": "audit-more",
        onclick: () => loadPage(),
      },
      t("audit.load_more"),
    );
    replace(
      foot,
      h("span", {}, t("audit.shown", { count: mine.items.length })),
      mine.error ? h("span", { class: "field-error", role: "alert" }, mine.error) : null,
      mine.next !== null
        ? more
        : h("span", { class: "faint" }, mine.items.length ? t("audit.end") : ""),
    );
  }

  function draw() {
    if (!mine.items.length) {
      replace(
        tbody,
        messageRow(COLUMNS.length, mine.loading ? t("table.loading") : t("table.empty")),
      );
    } else replace(tbody, mine.items.map(row));
    drawFoot();
  }

  async function loadPage(fresh = false) {
    if (mine.loading && !fresh) return;
    // A reload (new filters) supersedes a page still loading: its answer is then ignored.
    const gen = (mine.gen = (mine.gen || 0) + 1);
    mine.loading = true;
    mine.error = null;
    drawFoot();
    const before = mine.items.length ? mine.next : null;
    try {
      const page = await api("GET", "/api/audit", {
        query: { ...apiFilters(filters), limit: PAGE_SIZE, before_id: before },
      });
      if (state !== mine || gen !== mine.gen) return;
      mine.items = mine.items.concat(page.items);
      mine.next = page.next_before_id ?? null;
    } catch (err) {
      if (state !== mine || gen !== mine.gen) return;
      mine.error = problemMessage(err);
    }
    mine.loading = false;
    draw();
  }

  function reload() {
    mine.items = [];
    mine.next = null;
    exportLink.href = `/api/audit.csv${queryString(apiFilters(filters))}`;
    draw();
    return loadPage(true);
  }

  ctx.onEvent("audit.appended", (entry) => {
    if (!entry?.id || mine.items.some((e) => e.id === entry.id) || !matches(entry, filters)) return;
    // Rows arriving while the first page is still loading are picked up by that page.
    if (mine.loading && !mine.items.length) return;
    mine.items.unshift(entry);
    const tr = row(entry);
    if (mine.items.length === 1) replace(tbody, tr);
    else tbody.prepend(tr);
    flash(tr);
    drawFoot();
  });
  ctx.onEvent("resync", () => reload());
  await reload();
}

/** Forget the page state (pending responses are ignored). */
export function dispose() {
  state = null;
}
