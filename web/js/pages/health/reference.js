// The reference view of one camera beside what it shows now, "accept the new view", and the
// per-camera tuning (sensitivity per fault, checks switched off).

import { api, problemMessage } from "../../api.js";
import { h, replace } from "../../dom.js";
import { formatDateTime, t } from "../../i18n.js";
import { formDialog } from "../../ui/dialog.js";
import { Form } from "../../ui/form.js";
import { toast } from "../../ui/toast.js";
import { reasonText } from "./common.js";

export const CHECKS = [
  "blank",
  "frozen",
  "too_dark",
  "overexposed",
  "low_contrast",
  "blur",
  "colour_cast",
  "noise",
  "stripes",
  "occlusion",
  "shake",
  "scene_change",
];
const LEVELS = ["low", "normal", "high"];

function picture(src, caption, testid) {
  const img = h("img", { alt: caption, src, "data-testid": testid, decoding: "async" });
  const fig = h("figure", { class: "ref-figure" }, img, h("figcaption", {}, caption));
  img.addEventListener("error", () => fig.classList.add("missing"));
  return fig;
}

/** The side-by-side panel; `panel.refresh()` reloads it. */
export function referencePanel(camera, { manage, onChange }) {
  const id = encodeURIComponent(camera.camera_id);
  const body = h("div", { class: "ref-body" });
  const panel = h(
    "section",
    { class: "panel reference", "data-testid": "reference-panel", "aria-labelledby": "ref-title" },
    h("div", { class: "toolbar" }, h("h2", { id: "ref-title" }, t("health.reference"))),
    body,
  );

  async function accept() {
    const form = new Form({ columns: 1 });
    form.text("note", t("health.accept_note"), { hint: t("health.accept_hint") });
    const done = await formDialog({
      title: t("health.accept_title", { name: camera.name }),
      form,
      submitLabel: t("health.accept"),
      narrow: true,
      testid: "accept-dialog",
      onSubmit: (v) => api("POST", `/api/health/cameras/${id}/accept-view`, { body: v }),
    });
    if (!done) return;
    toast(t("health.accept_done"));
    await refresh();
    onChange?.();
  }

  async function refresh() {
    let info;
    try {
      info = await api("GET", `/api/health/cameras/${id}/reference`);
    } catch (err) {
      replace(body, h("p", { class: "alert", role: "alert" }, problemMessage(err)));
      return;
    }
    const stamp = Date.now();
    const reference = info.has_reference
      ? picture(
          `/api/health/cameras/${id}/reference.jpg?at=${encodeURIComponent(info.reference_at)}`,
          t("health.reference_learned", { time: formatDateTime(info.reference_at) }),
          "reference-image",
        )
      : h(
          "figure",
          { class: "ref-figure missing", "data-testid": "reference-missing" },
          h("figcaption", {}, t(info.learning ? "health.learning_view" : "health.no_reference")),
        );
    const now = picture(
      `/api/cameras/${id}/snapshot.jpg?at=${stamp}`,
      t("health.reference_now"),
      "current-image",
    );
    replace(
      body,
      h("div", { class: "ref-pair" }, reference, now),
      h(
        "p",
        { class: "muted small", "data-testid": "reference-state" },
        info.learning ? t("health.learning_hint") : t("health.reference_hint"),
        info.accepted_by
          ? ` ${t("health.accepted_by", { user: info.accepted_by, time: formatDateTime(info.accepted_at) })}`
          : "",
      ),
      manage
        ? h(
            "button",
            {
              type: "button",
              class: "btn",
              "data-testid": "accept-view",
              onclick: accept,
            },
            t("health.accept"),
          )
        : null,
    );
  }

  panel.refresh = refresh;
  refresh();
  return panel;
}

/** The tuning table: one row per check, switched on/off and a sensitivity. */
export function tuningPanel(camera, { manage }) {
  const id = encodeURIComponent(camera.camera_id);
  const tbody = h("tbody");
  const status = h("p", { class: "muted small", role: "status" });
  const alert = h("div", { class: "alert", role: "alert", hidden: true });
  let version = 0;
  const save = h(
    "button",
    { type: "button", class: "btn btn-primary", "data-testid": "tuning-save", onclick: submit },
    t("action.save"),
  );
  const panel = h(
    "section",
    { class: "panel tuning", "data-testid": "tuning-panel", "aria-labelledby": "tuning-title" },
    h("div", { class: "toolbar" }, h("h2", { id: "tuning-title" }, t("health.tuning"))),
    h("p", { class: "muted small" }, t("health.tuning_hint")),
    alert,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data compact" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["check", "enabled", "sensitivity"].map((c) =>
              h("th", { scope: "col" }, t(`health.tuning_col.${c}`)),
            ),
          ),
        ),
        tbody,
      ),
    ),
    manage ? h("div", { class: "toolbar" }, save, status) : status,
  );

  function draw(data) {
    version = data.version;
    replace(
      tbody,
      CHECKS.map((c) => {
        const on = h("input", {
          type: "checkbox",
          name: `on-${c}`,
          checked: !data.disabled.includes(c),
          disabled: !manage,
          "aria-label": t("health.tuning_on", { check: reasonText(c) }),
        });
        const level = h(
          "select",
          {
            class: "select",
            name: `level-${c}`,
            disabled: !manage,
            "aria-label": t("health.tuning_level", { check: reasonText(c) }),
          },
          LEVELS.map((l) => h("option", { value: l }, t(`health.sensitivity.${l}`))),
        );
        level.value = data.sensitivity[c] || "normal";
        return h(
          "tr",
          { "data-testid": `tuning-row-${c}` },
          h("th", { scope: "row" }, reasonText(c)),
          h("td", {}, on),
          h("td", {}, level),
        );
      }),
    );
    replace(
      status,
      data.updated_by
        ? t("health.tuning_by", { user: data.updated_by, time: formatDateTime(data.updated_at) })
        : "",
    );
  }

  async function submit() {
    const sensitivity = {};
    const disabled = [];
    for (const c of CHECKS) {
      if (!tbody.querySelector(`[name="on-${c}"]`).checked) disabled.push(c);
      const v = tbody.querySelector(`[name="level-${c}"]`).value;
      if (v !== "normal") sensitivity[c] = v;
    }
    alert.hidden = true;
    save.disabled = true;
    try {
      const data = await api("PUT", `/api/health/cameras/${id}/tuning`, {
        query: { version },
        body: { sensitivity, disabled },
      });
      draw(data);
      toast(t("health.tuning_saved"));
    } catch (err) {
      alert.hidden = false;
      replace(alert, problemMessage(err));
      if (err?.status === 412 && err.problem?.current) draw(err.problem.current);
    } finally {
      save.disabled = false;
    }
  }

  api("GET", `/api/health/cameras/${id}/tuning`).then(draw, (err) => {
    alert.hidden = false;
    replace(alert, problemMessage(err));
  });
  return panel;
}
