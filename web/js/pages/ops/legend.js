// The operations map's legend: readiness bins or intensity degrees, camera status shares,
// shelter states. Folded on a short map so it never hides the district.

import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import { NO_SCORE, SCORE_BINS } from "../map/style.js";
import { GROUP_COLOURS, GROUPS } from "./cluster.js";

export const ROMAN = ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"];
// The customary intensity colours (as ShakeMap draws MMI; the Chinese scale has the same degrees).
export const INTENSITY_COLOURS = [
  "#ffffff", "#ffffff", "#bfccff", "#a0e6ff", "#80ffff", "#7aff93", "#ffff00",
  "#ffc800", "#ff9100", "#ff0000", "#c80000", "#800000", "#400000",
];
/** The fill colour of an intensity degree (1..12). */
export function intensityColour(degree) {
  return INTENSITY_COLOURS[Math.max(1, Math.min(12, Math.round(degree || 1)))];
}

export class Legend {
  /** open(): start unfolded; intensity(): whether the map shows intensity. */
  constructor(L, open, intensity) {
    this.intensity = intensity;
    this.control = L.control({ position: "bottomright" });
    this.control.onAdd = () => {
      this.body = h("div", { class: "ops-legend-body" });
      const box = h("details", { class: "map-legend ops-legend", "data-testid": "ops-legend", open: open() }, h("summary", {}, t("ops.map.legend")), this.body);
      L.DomEvent.disableClickPropagation(box);
      this.draw();
      return box;
    };
  }

  draw() {
    if (!this.body) return;
    const sw = (colour, label, ring = false) =>
      h("li", {}, h("span", { class: `swatch${ring ? " ring" : ""}`, style: `${ring ? "border-color" : "background"}:${colour}` }), label);
    const head = this.intensity()
      ? [h("strong", {}, t("ops.map.legend_intensity")), h("ul", {}, [10, 9, 8, 7, 6, 5, 4].map((d) => sw(intensityColour(d), ROMAN[d])))]
      : [
          h("strong", {}, t("map.legend_title")),
          h("ul", {}, SCORE_BINS.map(([min, c, key]) => sw(c, `${t(key)} ≥ ${min}`)), sw(NO_SCORE, t("readiness.no_data"))),
        ];
    this.body.replaceChildren(
      ...head,
      h("strong", {}, t("ops.map.legend_cameras")),
      h("ul", {}, GROUPS.map((g) => sw(GROUP_COLOURS[g], t(`ops.status.${g}`)))),
      h("strong", {}, t("ops.map.legend_shelters")),
      h("ul", {}, sw("#22c55e", t("ops.map.shelter_room")), sw("#ef4444", t("ops.map.shelter_full")), sw("#ef4444", t("ops.map.shelter_over"), true)),
    );
  }
}
