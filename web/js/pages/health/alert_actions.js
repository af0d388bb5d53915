// Acknowledge / close camera alerts with an optional note; shared by the alerts list and the
// camera detail.

import { api } from "../../api.js";
import { h } from "../../dom.js";
import { formatDateTime, t } from "../../i18n.js";
import { formDialog } from "../../ui/dialog.js";
import { Form } from "../../ui/form.js";
import { person, tNodes } from "../../ui/people.js";
import { reasonText } from "./common.js";

export const ALERT_CLASS = { open: "danger", acknowledged: "warn", closed: "" };
const SEVERITY_CLASS = { critical: "danger", major: "warn", minor: "" };

/** A badge for an alert state (recovered alerts say so), its severity and occurrences. */
export function alertStateBadge(alert) {
  const times = Number(alert.occurrences) || 1;
  return h(
    "span",
    { class: "alert-state" },
    alert.severity
      ? h(
          "span",
          {
            class: `badge severity ${SEVERITY_CLASS[alert.severity] ?? ""}`,
            dataset: { severity: alert.severity },
            "data-testid": "alert-severity",
          },
          t(`health.severity.${alert.severity}`),
        )
      : null,
    h(
      "span",
      { class: `badge ${ALERT_CLASS[alert.state] ?? ""}`, dataset: { state: alert.state } },
      t(`health.alert_state.${alert.state}`),
    ),
    alert.recovered_at && alert.state !== "closed"
      ? h("span", { class: "badge ok" }, t("health.recovered"))
      : null,
    times > 1
      ? h(
          "span",
          {
            class: "badge occurrences",
            title: t("health.occurrences_hint"),
            "data-testid": "alert-occurrences",
          },
          t("health.occurrences", { n: times }),
        )
      : null,
  );
}

/** Who did what and when, as short lines for a table cell. */
export function alertHistory(alert) {
  return [
    alert.acknowledged_at
      ? h(
          "div",
          {},
          tNodes("health.acked_by", {
            user: person(alert.acknowledged_by),
            time: formatDateTime(alert.acknowledged_at),
          }),
        )
      : null,
    alert.closed_at
      ? h(
          "div",
          {},
          tNodes("health.closed_by", {
            user: person(alert.closed_by),
            time: formatDateTime(alert.closed_at),
          }),
        )
      : null,
    alert.note ? h("div", { class: "note" }, alert.note) : null,
  ];
}

/**
 * Ask for a note and acknowledge or close one alert (or several: `alerts` is a list). Resolves
 * with {done: [alert], failed: [{alert, error}]} or null if cancelled.
 */
export function alertAction(action, alerts) {
  const list = Array.isArray(alerts) ? alerts : [alerts];
  const form = new Form({ columns: 1 });
  form.text("note", t("health.note"), {
    maxlength: 2000,
    autocomplete: "off",
    hint: t(`health.note_hint_${action}`),
  });
  const title =
    list.length === 1
      ? t(`health.${action}_title`, { kind: reasonText(list[0].kind), camera: list[0].camera_id })
      : t(`health.${action}_many_title`, { count: list.length });
  return formDialog({
    title,
    form,
    narrow: true,
    submitLabel: t(`health.${action}`),
    testid: "alert-dialog",
    onSubmit: async (v) => {
      const done = [];
      const failed = [];
      for (const alert of list) {
        try {
          done.push(
            await api("POST", `/api/health/alerts/${alert.id}/${action}`, {
              body: { note: v.note.trim() },
            }),
          );
        } catch (error) {
          // One alert alone reports inline; a batch carries on and reports at the end.
          if (list.length === 1) throw error;
          failed.push({ alert, error });
        }
      }
      return { done, failed };
    },
  });
}
