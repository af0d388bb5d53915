// The operations view's title: the day-to-day view, or the incident shown (exercise label or
// real-incident mark, revision, strike) with its controls.

import { h, replace } from "../../dom.js";
import { t } from "../../i18n.js";

/** The strike the isoseismals follow, in words. */
export function strikeText(strike) {
  if (!strike || strike.strike_deg === null || strike.strike_deg === undefined) return t("ops.strike.circular");
  const source = t(`ops.strike.src_${strike.source === "fault" ? "fault" : "operator"}`);
  return t("ops.strike.text", { deg: strike.strike_deg, source });
}

/** Draw the title into `el` for incident `inc` (or none). */
export function titleBar(el, inc, { can, onLeave, onClose, onStrike }) {
  const btn = (testid, label, fn, cls = "btn btn-sm") => h("button", { type: "button", class: cls, "data-testid": testid, onclick: fn }, label);
  if (!inc) return replace(el, h("h1", {}, t("nav.ops")), h("span", { class: "muted" }, t("ops.mode.normal")));
  const manage = can.manage && inc.status === "open";
  return replace(
    el,
    inc.is_exercise
      ? h("span", { class: "ops-ex-chip big", "data-testid": "ops-exercise-label" }, t("ops.exercise_label"))
      : h("span", { class: "ops-real-chip" }, t("ops.banner.real")),
    h("h1", {}, inc.title),
    h("span", { class: "muted" }, t("ops.mode.revision", { n: inc.revision })),
    h("span", { class: "muted", "data-testid": "ops-strike" }, strikeText(inc.strike)),
    btn("ops-leave-incident", t("ops.mode.leave"), onLeave),
    manage ? btn("ops-set-strike", t("ops.strike.set"), onStrike) : null,
    manage ? btn("ops-close-incident", t("ops.mode.close"), onClose, "btn btn-sm btn-danger") : null,
  );
}
