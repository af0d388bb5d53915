// Maintenance windows: mute a camera, a unit's cameras or tagged cameras for a period, now or
// scheduled (optionally every day or week); end one early. Every change is audited.

import { api, problemMessage } from "../../api.js";
import { h, replace } from "../../dom.js";
import { formatDateTime, t, unitName } from "../../i18n.js";
import { formDialog } from "../../ui/dialog.js";
import { FieldError, Form } from "../../ui/form.js";
import { toast } from "../../ui/toast.js";
import { messageRow } from "../admin/common.js";
import { canManageHealth } from "./common.js";

const COLUMNS = ["scope", "when", "repeat", "reason", "by", "state", ""];
let state = null;

function scopeText(w, units) {
  if (w.scope === "camera") return t("health.mw_scope_camera", { id: w.camera_id });
  if (w.scope === "unit") {
    const u = units.find((x) => x.id === w.unit_id);
    return t("health.mw_scope_unit", { unit: u ? unitName(u) : w.unit_id });
  }
  return t("health.mw_scope_tag", { tag: w.tag });
}

/** Local "YYYY-MM-DDTHH:MM" of a date, for datetime-local inputs. */
function localInput(d) {
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Render the maintenance tab. */
export async function render(container, ctx) {
  const manage = canManageHealth(ctx.user);
  const mine = { items: [], units: [], cameras: [], past: false };
  state = mine;
  const tbody = h("tbody");
  const past = h("input", { type: "checkbox", "data-testid": "mw-past" });
  past.addEventListener("change", () => {
    mine.past = past.checked;
    load();
  });
  const add = h(
    "button",
    { type: "button", class: "btn btn-primary", "data-testid": "mw-add", onclick: create },
    t("health.mw_add"),
  );
  replace(
    container,
    h(
      "section",
      { class: "panel", "aria-labelledby": "mw-title" },
      h(
        "div",
        { class: "toolbar" },
        h("h2", { id: "mw-title" }, t("health.mw_title")),
        h("span", { class: "spacer" }),
        h("label", { class: "check" }, past, h("span", {}, t("health.mw_past"))),
        manage ? add : null,
      ),
      h("p", { class: "muted small" }, t("health.mw_hint")),
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "data", "data-testid": "mw-table" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              COLUMNS.map((c) => h("th", { scope: "col" }, c ? t(`health.mw_col.${c}`) : "")),
            ),
          ),
          tbody,
        ),
      ),
    ),
  );

  function row(w) {
    const when = `${formatDateTime(w.starts_at)} – ${formatDateTime(w.ends_at)}`;
    return h(
      "tr",
      { "data-testid": `mw-row-${w.id}`, dataset: { active: String(w.active) } },
      h("td", { class: "wrap" }, scopeText(w, mine.units)),
      h("td", { class: "mono small" }, when),
      h(
        "td",
        {},
        t(`health.mw_repeat.${w.repeat}`),
        w.repeat_until ? h("div", { class: "faint small" }, formatDateTime(w.repeat_until)) : null,
      ),
      h("td", { class: "wrap" }, w.reason),
      h("td", { class: "muted" }, w.created_by),
      h(
        "td",
        {},
        h(
          "span",
          { class: `badge ${w.active ? "warn" : ""}` },
          t(w.active ? "health.mw_active" : w.next_change ? "health.mw_scheduled" : "health.mw_over"),
        ),
        w.next_change && !w.ended_at
          ? h(
              "div",
              { class: "faint small" },
              t("health.mw_next", { time: formatDateTime(w.next_change) }),
            )
          : null,
      ),
      h(
        "td",
        { class: "actions" },
        manage && w.next_change && !w.ended_at
          ? h(
              "button",
              {
                type: "button",
                class: "btn btn-sm",
                "data-testid": "mw-end",
                onclick: () => end(w),
              },
              t("health.mw_end"),
            )
          : null,
      ),
    );
  }

  async function create() {
    const form = new Form();
    form.select(
      "scope",
      t("health.mw_scope"),
      ["camera", "unit", "tag"].map((s) => ({ value: s, label: t(`health.mw_scope_kind.${s}`) })),
      { value: "camera" },
    );
    form.select(
      "camera_id",
      t("health.mw_camera"),
      mine.cameras.map((c) => ({ value: c.camera_id, label: `${c.name} (${c.camera_id})` })),
    );
    form.select(
      "unit_id",
      t("health.mw_unit"),
      mine.units.map((u) => ({ value: u.id, label: unitName(u) })),
    );
    form.text("tag", t("health.mw_tag"));
    form.select(
      "when",
      t("health.mw_when"),
      ["now", "scheduled"].map((v) => ({ value: v, label: t(`health.mw_when_kind.${v}`) })),
      { value: "now" },
    );
    form.text("minutes", t("health.mw_minutes"), { type: "number", value: "60", min: 1 });
    const soon = new Date(Date.now() + 3_600_000);
    form.text("starts_at", t("health.mw_starts"), { type: "datetime-local", value: localInput(soon) });
    form.text("ends_at", t("health.mw_ends"), {
      type: "datetime-local",
      value: localInput(new Date(soon.getTime() + 2 * 3_600_000)),
    });
    form.select(
      "repeat",
      t("health.mw_repeat_label"),
      ["none", "daily", "weekly"].map((v) => ({ value: v, label: t(`health.mw_repeat.${v}`) })),
      { value: "none" },
    );
    form.text("reason", t("health.mw_reason"), { required: true, span: true, maxlength: 500 });
    const show = () => {
      const v = form.values();
      for (const [name, on] of [
        ["camera_id", v.scope === "camera"],
        ["unit_id", v.scope === "unit"],
        ["tag", v.scope === "tag"],
        ["minutes", v.when === "now"],
        ["starts_at", v.when === "scheduled"],
        ["ends_at", v.when === "scheduled"],
        ["repeat", v.when === "scheduled"],
      ]) {
        form.fields.get(name).wrapper.hidden = !on;
      }
    };
    form.grid.addEventListener("change", show);
    show();
    const done = await formDialog({
      title: t("health.mw_add"),
      form,
      submitLabel: t("health.mw_create"),
      testid: "mw-dialog",
      onSubmit: (v) => {
        const body = { scope: v.scope, reason: v.reason };
        if (v.scope === "camera") body.camera_id = v.camera_id;
        if (v.scope === "unit") body.unit_id = Number(v.unit_id);
        if (v.scope === "tag") body.tag = v.tag;
        if (v.when === "now") body.minutes = Number(v.minutes);
        else {
          if (!v.starts_at) throw new FieldError("starts_at", t("validation.missing"));
          if (!v.ends_at) throw new FieldError("ends_at", t("validation.missing"));
          body.starts_at = new Date(v.starts_at).toISOString();
          body.ends_at = new Date(v.ends_at).toISOString();
          body.repeat = v.repeat;
        }
        return api("POST", "/api/health/maintenance", { body });
      },
    });
    if (done) {
      toast(t("health.mw_created"));
      await load();
    }
  }

  async function end(w) {
    try {
      await api("POST", `/api/health/maintenance/${w.id}/end`, { body: {} });
      toast(t("health.mw_ended"));
    } catch (err) {
      toast(problemMessage(err), "error");
    }
    await load();
  }

  async function load() {
    try {
      const [list, units, cams] = await Promise.all([
        api("GET", "/api/health/maintenance", { query: { include_past: mine.past } }),
        mine.units.length ? { items: mine.units } : api("GET", "/api/units"),
        mine.cameras.length ? { items: mine.cameras } : api("GET", "/api/health/cameras"),
      ]);
      if (state !== mine) return;
      mine.items = list.items;
      mine.units = units.items;
      mine.cameras = cams.items;
      replace(
        tbody,
        mine.items.length ? mine.items.map(row) : messageRow(COLUMNS.length, t("health.mw_none")),
      );
    } catch (err) {
      if (state === mine) replace(tbody, messageRow(COLUMNS.length, problemMessage(err), "alert"));
    }
  }
  ctx.onEvent("resync", () => load());
  await load();
}

/** Forget this page's state. */
export function dispose() {
  state = null;
}
