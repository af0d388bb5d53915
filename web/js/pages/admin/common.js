// Shared bits of the admin pages: roles, unit kinds, the unit tree, table helpers.

import { h } from "../../dom.js";
import { t, unitName } from "../../i18n.js";

export const ROLES = ["admin", "operator", "coordinator", "maintenance", "viewer"];
export const UNIT_KINDS = [
  "district",
  "police",
  "earthquake_office",
  "street_office",
  "department",
  "other",
];

/**
 * Units in depth-first order with their depth; children sorted by code. Units whose parent is
 * missing (outside the caller's scope) are shown as roots.
 */
export function unitTree(units) {
  const ids = new Set(units.map((u) => u.id));
  const children = new Map();
  for (const unit of units) {
    const parent = unit.parent_id !== null && ids.has(unit.parent_id) ? unit.parent_id : null;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(unit);
  }
  for (const list of children.values()) list.sort((a, b) => a.code.localeCompare(b.code));
  const out = [];
  const walk = (parent, depth, seen) => {
    const list = children.get(parent) || [];
    list.forEach((unit, index) => {
      if (seen.has(unit.id)) return; // defensive: a cycle must not hang the page
      seen.add(unit.id);
      out.push({ unit, depth, last: index === list.length - 1 });
      walk(unit.id, depth + 1, seen);
    });
  };
  walk(null, 0, new Set());
  return out;
}

/** Ids of a unit and everything below it. */
export function subtreeIds(units, rootId) {
  const ids = new Set([rootId]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const unit of units) {
      if (unit.parent_id !== null && ids.has(unit.parent_id) && !ids.has(unit.id)) {
        ids.add(unit.id);
        grew = true;
      }
    }
  }
  return ids;
}

/** Select options for units, indented to show the tree. */
export function unitOptions(units, { exclude = new Set(), none = null } = {}) {
  const options = none ? [{ value: "", label: none }] : [];
  for (const { unit, depth } of unitTree(units)) {
    options.push({
      value: unit.id,
      label: `${"\u2003".repeat(depth)}${unitName(unit)} (${unit.code})`,
      disabled: exclude.has(unit.id),
    });
  }
  return options;
}

/** Insert or replace an item (by id) in a list kept sorted by `key`. */
export function upsert(list, item, key) {
  const rest = list.filter((x) => x.id !== item.id);
  rest.push(item);
  rest.sort((a, b) => String(key(a)).localeCompare(String(key(b))));
  return rest;
}

/** A table with localized headers; returns { table, tbody }. */
export function dataTable(headers, testid) {
  const tbody = h("tbody");
  const table = h(
    "table",
    { class: "data", "data-testid": testid },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        headers.map((key) => h("th", { scope: "col" }, key ? t(key) : "")),
      ),
    ),
    tbody,
  );
  return { table, tbody };
}

/** A single table row spanning all columns with a message (empty list, loading, error). */
export function messageRow(columns, text, role = null) {
  return h("tr", {}, h("td", { class: "empty", colspan: columns, role }, text));
}

/** Briefly highlight a row that changed live. */
export function flash(row) {
  row.classList.add("flash");
  setTimeout(() => row.classList.remove("flash"), 1700);
}
