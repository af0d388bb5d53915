// Camera registry: searchable list for everyone; create, edit, delete and import for admin and
// maintenance; CSV / GeoJSON export; live via camera.* events.

import { api, problemMessage } from "../../api.js";
import { debounce, h, replace } from "../../dom.js";
import { t, unitName } from "../../i18n.js";
import { confirmDialog } from "../../ui/dialog.js";
import { icon } from "../../ui/icons.js";
import { toast } from "../../ui/toast.js";
import { iconButton } from "../../ui/widgets.js";
import { flash, messageRow } from "../admin/common.js";
import { cameraDialog, where } from "./camera_form.js";
import { canWriteCameras, PAGE_ROWS, pagedRows, unitById } from "./common.js";
import { importDialog } from "./import.js";

const COLUMNS = ["id", "name", "owner", "shared", "location", "mode", "tags", "main_url", ""];

let state = null;

/** Whether a camera matches a search text (id, name, tags, unit names). */
export function cameraMatches(cam, text, units = []) {
  if (!text) return true;
  const q = text.toLowerCase();
  const owner = unitById(units, cam.owner_unit_id);
  return [cam.id, cam.name, ...(cam.tags || []), owner?.name, owner?.name_en, owner?.code].some(
    (v) =>
      String(v || "")
        .toLowerCase()
        .includes(q),
  );
}

/** Render the registry into `container`. */
export async function render(container, ctx) {
  const writer = canWriteCameras(ctx.user);
  const mine = {
    cams: [],
    units: [],
    filter: ctx.route.query.q || "",
    loaded: false,
    changed: new Set(),
    shown: PAGE_ROWS,
  };
  state = mine;
  const tbody = h("tbody");
  const table = h(
    "table",
    { class: "data", "data-testid": "cameras-table" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        COLUMNS.map((c) => h("th", { scope: "col" }, c ? t(`cameras.col.${c}`) : "")),
      ),
    ),
    tbody,
  );
  const count = h("span", { class: "count" });
  const search = h("input", {
    class: "input",
    type: "search",
    value: mine.filter,
    placeholder: t("cameras.search"),
    "aria-label": t("cameras.search"),
    "data-testid": "cameras-search",
  });
  search.addEventListener(
    "input",
    debounce(() => {
      if (state !== mine) return; // the user left the page meanwhile
      mine.filter = search.value.trim();
      ctx.replaceQuery({ q: mine.filter });
      draw();
    }, 150),
  );
  const exports = [
    h(
      "a",
      {
        class: "btn",
        href: "/api/cameras/export.csv",
        download: "cameras.csv",
        "data-testid": "cameras-export-csv",
      },
      icon("download"),
      h("span", {}, t("cameras.export_csv")),
    ),
    h(
      "a",
      {
        class: "btn",
        href: "/api/cameras/export.geojson",
        download: "cameras.geojson",
        "data-testid": "cameras-export-geojson",
      },
      icon("download"),
      h("span", {}, t("cameras.export_geojson")),
    ),
  ];
  const writeTools = writer
    ? [
        h(
          "button",
          {
            type: "button",
            class: "btn",
            "data-testid": "camera-import",
            onclick: () => openImport(),
          },
          t("cameras.import"),
        ),
        iconButton("plus", t("cameras.create"), {
          class: "btn btn-primary",
          "data-testid": "camera-create",
          onclick: () => edit(null),
        }),
      ]
    : [];
  replace(
    container,
    writer
      ? null
      : h("p", { class: "alert info", "data-testid": "cameras-readonly" }, t("cameras.read_only")),
    h(
      "section",
      { class: "panel", "aria-label": t("health.tab.cameras") },
      h(
        "div",
        { class: "toolbar" },
        h("div", { class: "field" }, search),
        count,
        h("span", { class: "spacer" }),
        exports,
        writeTools,
      ),
      h("div", { class: "table-wrap" }, table),
    ),
  );

  function row(cam) {
    const owner = unitById(mine.units, cam.owner_unit_id);
    const shared = cam.shared_unit_ids.map((id) => unitById(mine.units, id)).filter(Boolean);
    const tr = h(
      "tr",
      { "data-testid": `camera-row-${cam.id}`, class: cam.enabled ? null : "is-disabled" },
      h("td", { class: "mono" }, cam.id),
      h(
        "td",
        { class: "wrap" },
        cam.name,
        cam.key_camera ? h("span", { class: "badge key" }, t("health.key_camera")) : null,
        cam.enabled ? null : h("span", { class: "badge" }, t("cameras.disabled")),
      ),
      h("td", { class: "wrap muted" }, owner ? unitName(owner) : String(cam.owner_unit_id)),
      h("td", { class: "wrap muted small" }, shared.map(unitName).join(", ") || "—"),
      h(
        "td",
        { class: "mono muted small" },
        where(cam) || "—",
        cam.fov
          ? h(
              "div",
              { class: "faint" },
              t("cameras.fov_short", {
                bearing: cam.fov.bearing,
                angle: cam.fov.angle,
                range: cam.fov.range_m,
              }),
            )
          : null,
      ),
      h("td", { class: "muted" }, t(`cameras.mode.${cam.watch_mode}`)),
      h(
        "td",
        {},
        cam.tags.map((tag) => h("span", { class: "badge tag" }, tag)),
      ),
      h("td", { class: "mono muted small url" }, cam.main_url),
      h(
        "td",
        { class: "actions" },
        writer
          ? [
              h(
                "button",
                {
                  type: "button",
                  class: "btn btn-sm",
                  "data-testid": "camera-edit",
                  "aria-label": t("cameras.edit_named", { id: cam.id }),
                  onclick: () => edit(cam),
                },
                t("action.edit"),
              ),
              h(
                "button",
                {
                  type: "button",
                  class: "btn btn-sm btn-danger",
                  "data-testid": "camera-delete",
                  "aria-label": t("cameras.delete_named", { id: cam.id }),
                  onclick: () => remove(cam),
                },
                t("cameras.delete"),
              ),
            ]
          : null,
      ),
    );
    if (mine.changed.delete(cam.id)) flash(tr);
    return tr;
  }

  function draw() {
    const rows = mine.cams.filter((c) => cameraMatches(c, mine.filter, mine.units));
    replace(count, t("table.count", { count: rows.length }));
    if (!mine.loaded) return replace(tbody, messageRow(COLUMNS.length, t("table.loading")));
    if (!rows.length) return replace(tbody, messageRow(COLUMNS.length, t("table.empty")));
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
      const [cams, units] = await Promise.all([
        api("GET", "/api/cameras", { query: { limit: 5000 } }),
        api("GET", "/api/units"),
      ]);
      if (state !== mine) return;
      mine.cams = cams.items;
      mine.units = units.items;
      mine.loaded = true;
      draw();
    } catch (err) {
      if (state === mine) replace(tbody, messageRow(COLUMNS.length, problemMessage(err), "alert"));
    }
  }
  const reloadSoon = debounce(load, 300);
  mine.reloadSoon = reloadSoon;

  function live(cam) {
    if (!cam?.id) return reloadSoon();
    const rest = mine.cams.filter((c) => c.id !== cam.id);
    rest.push(cam);
    rest.sort((a, b) => a.id.localeCompare(b.id));
    mine.cams = rest;
    mine.changed.add(cam.id);
    draw();
  }

  async function edit(cam) {
    const saved = await cameraDialog({
      camera: cam,
      units: mine.units,
      defaultUnit: ctx.user.unit?.id,
      onStale: (current) => live(current),
    });
    if (!saved) return;
    live(saved);
    toast(t(cam ? "cameras.saved" : "cameras.created", { id: saved.id }));
  }

  async function remove(cam) {
    const ok = await confirmDialog({
      title: t("cameras.delete_named", { id: cam.id }),
      message: t("cameras.delete_confirm", { id: cam.id, name: cam.name }),
      confirmLabel: t("cameras.delete"),
      danger: true,
    });
    if (!ok) return;
    try {
      await api("DELETE", `/api/cameras/${encodeURIComponent(cam.id)}`);
      mine.cams = mine.cams.filter((c) => c.id !== cam.id);
      draw();
      toast(t("cameras.deleted", { id: cam.id }));
    } catch (err) {
      toast(problemMessage(err), "error");
    }
  }

  async function openImport() {
    if (await importDialog({ onEvent: ctx.onEvent })) await load();
  }

  ctx.onEvent("camera.created", live);
  ctx.onEvent("camera.updated", live);
  ctx.onEvent("camera.deleted", (cam) => {
    mine.cams = mine.cams.filter((c) => c.id !== cam?.id);
    draw();
  });
  ctx.onEvent("camera.imported", () => reloadSoon());
  ctx.onEvent("unit.*", () => reloadSoon());
  ctx.onEvent("resync", () => reloadSoon());
  draw();
  await load();
}

/** Stop pending reloads. */
export function dispose() {
  state?.reloadSoon?.cancel();
  state = null;
}
