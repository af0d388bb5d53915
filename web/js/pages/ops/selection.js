// A map selection (a community, a shelter, a drawn area, a cluster of cameras) and the bar
// that opens it on the wall: the server decides which cameras cover it (POST /api/ops/selection).

import { api, problemMessage } from "../../api.js";
import { h, replace } from "../../dom.js";
import { t } from "../../i18n.js";

/** Show the selection bar; resolves with {open(), clear()}. */
export async function showSelection(bar, sel, { map, navigate }) {
  map.highlight(sel.geometry || null);
  bar.hidden = false;
  bar.dataset.kind = sel.kind;
  replace(bar, h("span", { class: "muted" }, t("ops.sel.finding", { name: sel.name })));
  let ids = sel.ids || [];
  let total = ids.length;
  let link = ids.length ? `#/wall?cameras=${ids.slice(0, 64).map(encodeURIComponent).join(",")}` : null;
  const clear = () => {
    bar.hidden = true;
    replace(bar);
    map.highlight(null);
  };
  const open = () => link && navigate(link);
  if (sel.kind !== "cameras") {
    try {
      const body = sel.kind === "area" ? { kind: "area", geometry: sel.geometry, limit: 16 } : { kind: sel.kind, id: String(sel.id), limit: 16 };
      const out = await api("POST", "/api/ops/selection", { body });
      ids = out.chosen;
      total = out.total;
      link = out.wall_link;
      if (out.label) sel.name = out.label;
    } catch (err) {
      replace(bar, h("span", { class: "alert" }, problemMessage(err)), h("button", { type: "button", class: "btn btn-sm", onclick: clear }, t("action.close")));
      return { open: () => {}, clear };
    }
  }
  bar.dataset.total = String(total);
  replace(
    bar,
    h("strong", { "data-testid": "ops-selection-name" }, sel.name),
    h("span", { "data-testid": "ops-selection-count" }, total ? t("ops.sel.cameras", { n: total, shown: ids.length }) : t("ops.sel.none")),
    link ? h("button", { type: "button", class: "btn btn-sm btn-primary", "data-testid": "ops-selection-open", onclick: open }, t("ops.sel.open")) : null,
    sel.kind === "community" && sel.code
      ? h("button", { type: "button", class: "btn btn-sm", "data-testid": "ops-selection-why", onclick: () => import("../readiness/detail.js").then((m) => m.openDetail(sel.code)) }, t("ops.sel.readiness"))
      : null,
    h("button", { type: "button", class: "btn btn-sm btn-ghost", "data-testid": "ops-selection-clear", onclick: clear, "aria-label": t("action.close") }, "×"),
  );
  return { open, clear };
}
