// Admin > Users: list, create, edit roles/unit/disabled, reset password; live via user.* events.

import { api, problemMessage } from "../../api.js";
import { debounce, h, replace } from "../../dom.js";
import { formatDateTime, t, unitName } from "../../i18n.js";
import { formDialog } from "../../ui/dialog.js";
import { FieldError, Form } from "../../ui/form.js";
import { toast } from "../../ui/toast.js";
import { iconButton, roleBadge } from "../../ui/widgets.js";
import { dataTable, flash, messageRow, ROLES, unitOptions, upsert } from "./common.js";

const COLUMNS = [
  "users.username",
  "users.display_name",
  "users.unit",
  "users.roles",
  "users.status",
  "users.last_login",
  "",
];

let state = null;

/** Render the users table into `container`. */
export async function render(container, ctx) {
  const mine = { users: [], units: [], filter: "", loaded: false, changed: new Set() };
  state = mine;
  const { table, tbody } = dataTable(COLUMNS, "users-table");
  const count = h("span", { class: "count" });
  const search = h("input", {
    class: "input",
    type: "search",
    placeholder: t("users.search"),
    "aria-label": t("users.search"),
  });
  search.addEventListener("input", () => {
    mine.filter = search.value.trim().toLowerCase();
    draw();
  });
  const create = iconButton("plus", t("users.create"), {
    class: "btn btn-primary",
    "data-testid": "user-create",
    onclick: () => createUser(),
  });
  replace(
    container,
    h(
      "section",
      { class: "panel", "aria-label": t("admin.users") },
      h(
        "div",
        { class: "toolbar" },
        h("div", { class: "field" }, search),
        count,
        h("span", { class: "spacer" }),
        create,
      ),
      h("div", { class: "table-wrap" }, table),
    ),
  );

  function draw() {
    const rows = mine.users.filter(
      (u) =>
        !mine.filter ||
        [u.username, u.display_name, u.unit?.name, u.unit?.name_en, u.unit?.code].some((v) =>
          String(v || "")
            .toLowerCase()
            .includes(mine.filter),
        ),
    );
    replace(count, t("table.count", { count: rows.length }));
    if (!mine.loaded) return replace(tbody, messageRow(COLUMNS.length, t("table.loading")));
    if (!rows.length) return replace(tbody, messageRow(COLUMNS.length, t("table.empty")));
    replace(tbody, rows.map(row));
  }

  function row(user) {
    const tr = h(
      "tr",
      { class: user.disabled ? "is-disabled" : null, "data-testid": `user-row-${user.username}` },
      h("td", { class: "mono" }, user.username),
      h("td", {}, user.display_name),
      h("td", { class: "wrap" }, unitName(user.unit)),
      h("td", {}, user.roles.map(roleBadge)),
      h(
        "td",
        {},
        h(
          "span",
          { class: `badge ${user.disabled ? "danger" : "ok"}` },
          t(user.disabled ? "users.disabled" : "users.active"),
        ),
      ),
      h(
        "td",
        { class: "muted" },
        user.last_login_at ? formatDateTime(user.last_login_at) : t("users.never"),
      ),
      h(
        "td",
        { class: "actions" },
        h(
          "button",
          {
            type: "button",
            class: "btn btn-sm",
            onclick: () => editUser(user),
            "aria-label": t("users.edit_named", { name: user.username }),
          },
          t("action.edit"),
        ),
        h(
          "button",
          {
            type: "button",
            class: "btn btn-sm",
            onclick: () => resetPassword(user),
            "aria-label": t("users.reset_named", { name: user.username }),
          },
          t("users.reset_password"),
        ),
      ),
    );
    if (mine.changed.delete(user.id)) flash(tr);
    return tr;
  }

  async function load() {
    try {
      const [users, units] = await Promise.all([
        api("GET", "/api/users"),
        api("GET", "/api/units"),
      ]);
      if (state !== mine) return;
      mine.users = users.items;
      mine.units = units.items;
      mine.loaded = true;
      draw();
    } catch (err) {
      if (state === mine) replace(tbody, messageRow(COLUMNS.length, problemMessage(err), "alert"));
    }
  }

  function live(user) {
    if (!user?.id || !user.username) return reloadSoon();
    mine.users = upsert(mine.users, user, (u) => u.username);
    mine.changed.add(user.id);
    draw();
  }
  const reloadSoon = debounce(load, 300);

  function createUser() {
    const form = new Form();
    form.text("username", t("users.username"), {
      required: true,
      autocomplete: "off",
      spellcheck: "false",
    });
    form.text("display_name", t("users.display_name"));
    form.text("password", t("users.password"), {
      type: "password",
      required: true,
      autocomplete: "new-password",
    });
    form.select(
      "unit_id",
      t("users.unit"),
      unitOptions(mine.units, { none: t("users.choose_unit") }),
      { value: ctx.user.unit?.id },
    );
    form.checks(
      "roles",
      t("users.roles"),
      ROLES.map((r) => ({ value: r, label: t(`role.${r}`) })),
      { values: ["viewer"] },
    );
    return formDialog({
      title: t("users.create"),
      form,
      submitLabel: t("action.create"),
      testid: "user-dialog",
      conflictField: "username",
      onSubmit: async (v) => {
        if (!v.unit_id) throw new FieldError("unit_id", t("validation.missing"));
        const user = await api("POST", "/api/users", {
          body: {
            username: v.username.trim(),
            display_name: v.display_name.trim(),
            password: v.password,
            unit_id: Number(v.unit_id),
            roles: v.roles,
          },
        });
        live(user);
        toast(t("users.created", { name: user.username }));
        return user;
      },
    });
  }

  function editUser(user) {
    const form = new Form();
    form.text("username", t("users.username"), { value: user.username, readonly: true });
    form.text("display_name", t("users.display_name"), { value: user.display_name });
    form.select("unit_id", t("users.unit"), unitOptions(mine.units), {
      value: user.unit?.id,
      span: true,
    });
    form.checks(
      "roles",
      t("users.roles"),
      ROLES.map((r) => ({ value: r, label: t(`role.${r}`) })),
      { values: user.roles },
    );
    form.toggle("disabled", t("users.status"), t("users.disable_hint"), { checked: user.disabled });
    return formDialog({
      title: t("users.edit_named", { name: user.username }),
      form,
      submitLabel: t("action.save"),
      testid: "user-dialog",
      onSubmit: async (v) => {
        const patch = {};
        if (v.display_name.trim() !== user.display_name) patch.display_name = v.display_name.trim();
        if (Number(v.unit_id) !== user.unit?.id) patch.unit_id = Number(v.unit_id);
        if ([...v.roles].sort().join() !== [...user.roles].sort().join()) patch.roles = v.roles;
        if (v.disabled !== user.disabled) patch.disabled = v.disabled;
        if (!Object.keys(patch).length) return user;
        const updated = await api("PATCH", `/api/users/${user.id}`, { body: patch });
        live(updated);
        toast(t("users.saved", { name: updated.username }));
        return updated;
      },
    });
  }

  function resetPassword(user) {
    const form = new Form({ columns: 1 });
    form.text("password", t("users.new_password"), {
      type: "password",
      required: true,
      autocomplete: "new-password",
    });
    form.text("confirm", t("users.confirm_password"), {
      type: "password",
      required: true,
      autocomplete: "new-password",
    });
    return formDialog({
      title: t("users.reset_named", { name: user.username }),
      intro: h("p", { class: "muted" }, t("users.reset_hint")),
      form,
      narrow: true,
      submitLabel: t("users.reset_password"),
      testid: "password-dialog",
      onSubmit: async (v) => {
        if (v.password !== v.confirm) throw new FieldError("confirm", t("validation.mismatch"));
        await api("POST", `/api/users/${user.id}/password`, { body: { password: v.password } });
        toast(t("users.password_reset", { name: user.username }));
        return true;
      },
    });
  }

  ctx.onEvent("user.created", live);
  ctx.onEvent("user.updated", live);
  ctx.onEvent("unit.*", () => reloadSoon());
  ctx.onEvent("resync", () => reloadSoon());
  mine.reloadSoon = reloadSoon;
  draw();
  await load();
}

/** Stop pending reloads. */
export function dispose() {
  state?.reloadSoon?.cancel();
  state = null;
}
