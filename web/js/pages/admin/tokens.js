// Admin > API tokens: list, create (secret shown once, with a copy button), revoke.

import { api, problemMessage } from "../../api.js";
import { debounce, h, replace } from "../../dom.js";
import { formatDateTime, t } from "../../i18n.js";
import { confirmDialog, formDialog, infoDialog } from "../../ui/dialog.js";
import { Form } from "../../ui/form.js";
import { icon } from "../../ui/icons.js";
import { person } from "../../ui/people.js";
import { toast } from "../../ui/toast.js";
import { iconButton } from "../../ui/widgets.js";
import { dataTable, messageRow } from "./common.js";

const COLUMNS = [
  "tokens.name",
  "tokens.user",
  "tokens.prefix",
  "tokens.created",
  "tokens.expires",
  "tokens.last_used",
  "tokens.status",
  "",
];

let state = null;

/** active | revoked | expired */
export function tokenStatus(token, now = Date.now()) {
  if (token.revoked_at) return "revoked";
  if (token.expires_at && Date.parse(token.expires_at) <= now) return "expired";
  return "active";
}

async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Clipboard API refused (permissions/insecure origin): fall back to a selection copy.
    input.select();
    document.execCommand("copy");
  }
}

/** Render the token list into `container`. */
export async function render(container, ctx) {
  const mine = { tokens: [], users: [], loaded: false };
  state = mine;
  const { table, tbody } = dataTable(COLUMNS, "tokens-table");
  const count = h("span", { class: "count" });
  const create = iconButton("plus", t("tokens.create"), {
    class: "btn btn-primary",
    "data-testid": "token-create",
    onclick: () => createToken(),
  });
  replace(
    container,
    h(
      "section",
      { class: "panel", "aria-label": t("admin.tokens") },
      h("div", { class: "toolbar" }, count, h("span", { class: "spacer" }), create),
      h("div", { class: "table-wrap" }, table),
    ),
  );

  function draw() {
    replace(count, t("table.count", { count: mine.tokens.length }));
    if (!mine.loaded) return replace(tbody, messageRow(COLUMNS.length, t("table.loading")));
    if (!mine.tokens.length) return replace(tbody, messageRow(COLUMNS.length, t("tokens.none")));
    replace(tbody, mine.tokens.map(row));
  }

  function row(token) {
    const status = tokenStatus(token);
    const cls = { active: "ok", revoked: "danger", expired: "warn" }[status];
    return h(
      "tr",
      { class: status === "active" ? null : "is-disabled", "data-testid": `token-row-${token.id}` },
      h("td", {}, token.name),
      h("td", {}, person(token.username)),
      h("td", { class: "mono muted" }, token.prefix ? `${token.prefix}…` : ""),
      h("td", { class: "muted" }, formatDateTime(token.created_at)),
      h(
        "td",
        { class: "muted" },
        token.expires_at ? formatDateTime(token.expires_at) : t("tokens.never_expires"),
      ),
      h(
        "td",
        { class: "muted" },
        token.last_used_at ? formatDateTime(token.last_used_at) : t("tokens.never_used"),
      ),
      h("td", {}, h("span", { class: `badge ${cls}` }, t(`tokens.${status}`))),
      h(
        "td",
        { class: "actions" },
        status === "active"
          ? h(
              "button",
              {
                type: "button",
                class: "btn btn-sm btn-danger",
                onclick: () => revoke(token),
                "aria-label": t("tokens.revoke_named", { name: token.name }),
              },
              t("tokens.revoke"),
            )
          : null,
      ),
    );
  }

  async function load() {
    try {
      const [tokens, users] = await Promise.all([
        api("GET", "/api/tokens"),
        api("GET", "/api/users"),
      ]);
      if (state !== mine) return;
      mine.tokens = tokens.items;
      mine.users = users.items;
      mine.loaded = true;
      draw();
    } catch (err) {
      if (state === mine) replace(tbody, messageRow(COLUMNS.length, problemMessage(err), "alert"));
    }
  }
  const reloadSoon = debounce(load, 300);
  mine.reloadSoon = reloadSoon;

  function showSecret(created) {
    const input = h("input", {
      class: "input",
      readonly: true,
      value: created.token,
      "data-testid": "token-secret",
      "aria-label": t("tokens.secret"),
    });
    const copy = h(
      "button",
      { type: "button", class: "btn", "data-testid": "token-copy" },
      icon("copy"),
      h("span", {}, t("tokens.copy")),
    );
    copy.addEventListener("click", async () => {
      await copyText(created.token, input);
      replace(copy, icon("copy"), h("span", {}, t("tokens.copied")));
    });
    const content = h(
      "div",
      { class: "stack" },
      h("div", { class: "alert warn", role: "note" }, t("tokens.shown_once")),
      h("div", { class: "secret" }, input, copy),
      h("p", { class: "muted" }, t("tokens.usage")),
    );
    input.addEventListener("focus", () => input.select());
    return infoDialog({
      title: t("tokens.created_title", { name: created.name }),
      content,
      testid: "token-secret-dialog",
    });
  }

  async function createToken() {
    const form = new Form();
    form.text("name", t("tokens.name"), { required: true, span: true, autocomplete: "off" });
    form.select(
      "user_id",
      t("tokens.user"),
      mine.users
        .filter((u) => !u.disabled)
        .map((u) => ({ value: u.id, label: `${u.display_name} (${u.username})` })),
      { value: ctx.user.id },
    );
    form.text("expires_days", t("tokens.expires_days"), {
      type: "number",
      min: "1",
      max: "3650",
      hint: t("tokens.expires_hint"),
    });
    const created = await formDialog({
      title: t("tokens.create"),
      form,
      submitLabel: t("action.create"),
      testid: "token-dialog",
      onSubmit: (v) =>
        api("POST", "/api/tokens", {
          body: {
            name: v.name.trim(),
            user_id: v.user_id ? Number(v.user_id) : null,
            expires_days: v.expires_days ? Number(v.expires_days) : null,
          },
        }),
    });
    if (!created) return;
    const { token: _secret, ...meta } = created;
    mine.tokens = [meta, ...mine.tokens.filter((x) => x.id !== meta.id)];
    draw();
    await showSecret(created);
  }

  async function revoke(token) {
    const ok = await confirmDialog({
      title: t("tokens.revoke"),
      message: t("tokens.revoke_confirm", { name: token.name }),
      confirmLabel: t("tokens.revoke"),
      danger: true,
    });
    if (!ok) return;
    try {
      await api("DELETE", `/api/tokens/${token.id}`);
      toast(t("tokens.revoked_named", { name: token.name }));
      await load();
    } catch (err) {
      toast(problemMessage(err), "error");
    }
  }

  // Tokens have no events of their own; their audit rows tell us another admin changed them.
  ctx.onEvent("audit.appended", (entry) => entry?.target_type === "token" && reloadSoon());
  ctx.onEvent("user.*", () => reloadSoon());
  ctx.onEvent("resync", () => reloadSoon());
  draw();
  await load();
}

/** Stop pending reloads. */
export function dispose() {
  state?.reloadSoon?.cancel();
  state = null;
}
