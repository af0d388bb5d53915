// Admin > Units: the unit tree, create and edit; live via unit.* events.

import { api, problemMessage } from "../../api.js";
import { debounce, h, replace } from "../../dom.js";
import { getLocale, t } from "../../i18n.js";
import { formDialog } from "../../ui/dialog.js";
import { Form } from "../../ui/form.js";
import { toast } from "../../ui/toast.js";
import { iconButton } from "../../ui/widgets.js";
import {
  dataTable,
  flash,
  messageRow,
  subtreeIds,
  UNIT_KINDS,
  unitOptions,
  unitTree,
  upsert,
} from "./common.js";

const COLUMNS = ["units.name", "units.other_name", "units.code", "units.kind", ""];

let state = null;

/** Render the unit tree into `container`. */
export async function render(container, ctx) {
  const mine = { units: [], loaded: false, changed: new Set() };
  state = mine;
  const { table, tbody } = dataTable(COLUMNS, "units-table");
  table.setAttribute("aria-label", t("units.tree"));
  const count = h("span", { class: "count" });
  const create = iconButton("plus", t("units.create"), {
    class: "btn btn-primary",
    "data-testid": "unit-create",
    onclick: () => createUnit(null),
  });
  replace(
    container,
    h(
      "section",
      { class: "panel", "aria-label": t("admin.units") },
      h("div", { class: "toolbar" }, count, h("span", { class: "spacer" }), create),
      h("div", { class: "table-wrap" }, table),
    ),
  );

  function draw() {
    replace(count, t("table.count", { count: mine.units.length }));
    if (!mine.loaded) return replace(tbody, messageRow(COLUMNS.length, t("table.loading")));
    if (!mine.units.length) return replace(tbody, messageRow(COLUMNS.length, t("table.empty")));
    replace(tbody, unitTree(mine.units).map(row));
  }

  function row({ unit, depth, last }) {
    const en = getLocale() === "en";
    const primary = en && unit.name_en ? unit.name_en : unit.name;
    const secondary = en ? unit.name : unit.name_en;
    const tr = h(
      "tr",
      { "data-testid": `unit-row-${unit.code}`, "aria-level": String(depth + 1) },
      h(
        "td",
        {},
        h(
          "span",
          { class: "tree-name" },
          depth ? h("span", { class: "tree-indent", "aria-hidden": "true" }) : null,
          depth
            ? h("span", { class: "tree-branch", "aria-hidden": "true" }, last ? "└" : "├")
            : null,
          h("strong", {}, primary),
        ),
      ),
      h("td", { class: "muted" }, secondary || ""),
      h("td", { class: "mono" }, unit.code),
      h("td", { class: "unit-kind" }, t(`unit_kind.${unit.kind}`)),
      h(
        "td",
        { class: "actions" },
        h(
          "button",
          {
            type: "button",
            class: "btn btn-sm",
            onclick: () => createUnit(unit),
            "aria-label": t("units.add_child_named", { name: primary }),
          },
          t("units.add_child"),
        ),
        h(
          "button",
          {
            type: "button",
            class: "btn btn-sm",
            onclick: () => editUnit(unit),
            "aria-label": t("units.edit_named", { name: primary }),
          },
          t("action.edit"),
        ),
      ),
    );
    // Indentation width is data, not markup: set through the CSSOM so a strict CSP still holds.
    const indent = tr.querySelector(".tree-indent");
    if (indent) indent.style.width = `${(depth - 1) * 18 + 6}px`;
    if (mine.changed.delete(unit.id)) flash(tr);
    return tr;
  }

  async function load() {
    try {
      const units = await api("GET", "/api/units");
      if (state !== mine) return;
      mine.units = units.items;
      mine.loaded = true;
      draw();
    } catch (err) {
      if (state === mine) replace(tbody, messageRow(COLUMNS.length, problemMessage(err), "alert"));
    }
  }
  const reloadSoon = debounce(load, 300);
  mine.reloadSoon = reloadSoon;

  function live(unit) {
    if (!unit?.id || !unit.code) return reloadSoon();
    mine.units = upsert(mine.units, unit, (u) => u.code);
    mine.changed.add(unit.id);
    draw();
  }

  function kindOptions() {
    return UNIT_KINDS.map((k) => ({ value: k, label: t(`unit_kind.${k}`) }));
  }

  function createUnit(parent) {
    const form = new Form();
    form.text("code", t("units.code"), {
      required: true,
      autocomplete: "off",
      spellcheck: "false",
      hint: t("units.code_hint"),
    });
    form.select("kind", t("units.kind"), kindOptions(), {
      value: parent ? "department" : "district",
    });
    form.text("name", t("units.name_zh"), { required: true });
    form.text("name_en", t("units.name_en"));
    form.select(
      "parent_id",
      t("units.parent"),
      unitOptions(mine.units, { none: t("units.no_parent") }),
      { value: parent?.id ?? "", span: true },
    );
    return formDialog({
      title: t("units.create"),
      form,
      submitLabel: t("action.create"),
      testid: "unit-dialog",
      conflictField: "code",
      onSubmit: async (v) => {
        const unit = await api("POST", "/api/units", {
          body: {
            code: v.code.trim(),
            name: v.name.trim(),
            name_en: v.name_en.trim(),
            kind: v.kind,
            parent_id: v.parent_id ? Number(v.parent_id) : null,
          },
        });
        live(unit);
        toast(t("units.created", { name: unit.code }));
        return unit;
      },
    });
  }

  function editUnit(unit) {
    const form = new Form();
    form.text("code", t("units.code"), { value: unit.code, readonly: true });
    form.select("kind", t("units.kind"), kindOptions(), { value: unit.kind });
    form.text("name", t("units.name_zh"), { value: unit.name, required: true });
    form.text("name_en", t("units.name_en"), { value: unit.name_en });
    const exclude = subtreeIds(mine.units, unit.id);
    form.select(
      "parent_id",
      t("units.parent"),
      unitOptions(mine.units, { none: t("units.no_parent"), exclude }),
      { value: unit.parent_id ?? "", span: true },
    );
    return formDialog({
      title: t("units.edit_named", { name: unit.code }),
      form,
      submitLabel: t("action.save"),
      testid: "unit-dialog",
      onSubmit: async (v) => {
        const patch = {};
        for (const key of ["name", "name_en", "kind"]) {
          if (v[key].trim() !== (unit[key] ?? "")) patch[key] = v[key].trim();
        }
        const parent = v.parent_id ? Number(v.parent_id) : null;
        if (parent !== unit.parent_id) patch.parent_id = parent;
        if (!Object.keys(patch).length) return unit;
        const updated = await api("PATCH", `/api/units/${unit.id}`, { body: patch });
        live(updated);
        toast(t("units.saved", { name: updated.code }));
        return updated;
      },
    });
  }

  ctx.onEvent("unit.created", live);
  ctx.onEvent("unit.updated", live);
  ctx.onEvent("resync", () => reloadSoon());
  draw();
  await load();
}

/** Stop pending reloads. */
export function dispose() {
  state?.reloadSoon?.cancel();
  state = null;
}
