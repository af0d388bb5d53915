// Drill-down: one community's components with the inputs behind each score.

import { api, problemMessage } from "../../api.js";
import { h } from "../../dom.js";
import { formatDateTime, getLocale, t } from "../../i18n.js";
import { infoDialog } from "../../ui/dialog.js";
import { scoreBar } from "../map/panel.js";
import { sparkline } from "./spark.js";
import { componentSentences, componentSummary } from "./words.js";

function inputs(name, comp) {
  const lines = componentSentences(name, comp);
  if (!lines.length) return h("p", { class: "muted" }, t("readiness.no_inputs"));
  return h("ul", { class: "rd-inputs", "data-testid": `readiness-inputs-${name}` }, lines.map((line) => h("li", {}, line)));
}

/** Open the drill-down dialog for a community code. */
export async function openDetail(code) {
  let rec;
  try {
    rec = await api("GET", `/api/readiness/${encodeURIComponent(code)}`);
  } catch (err) {
    return infoDialog({ title: code, content: h("p", { class: "alert" }, problemMessage(err)) });
  }
  const weakest = rec.weakest?.text?.[getLocale()] || rec.weakest?.text?.en;
  const content = h(
    "div",
    { class: "rd-detail", "data-testid": "readiness-detail" },
    h("p", {}, [rec.code, rec.street_office].filter(Boolean).join(" · ")),
    h("p", {}, t("readiness.score"), " ", scoreBar(rec.score), " ", sparkline(rec.trend, { width: 160, height: 32 })),
    weakest ? h("p", { class: "map-weakest" }, t("readiness.weakest"), ": ", weakest) : null,
    Object.entries(rec.components || {}).map(([name, c]) =>
      h(
        "section",
        { class: "rd-comp", "data-testid": `readiness-detail-${name}` },
        h("h3", {}, t(`readiness.c_${name}`), " ", scoreBar(c.score)),
        c.score === null || c.score === undefined
          ? h("p", { class: "muted" }, t("readiness.no_data"))
          : h("p", { class: "muted" }, componentSummary(name, c)),
        inputs(name, c),
      ),
    ),
    rec.missing?.length
      ? h("p", { class: "muted" }, t("readiness.missing"), ": ", rec.missing.map((m) => t(`readiness.c_${m}`)).join(", "))
      : null,
    rec.computed_at ? h("p", { class: "muted" }, t("readiness.computed_at", { at: formatDateTime(rec.computed_at) })) : null,
  );
  return infoDialog({ title: rec.name || rec.code, content, testid: "readiness-detail-dialog" });
}
