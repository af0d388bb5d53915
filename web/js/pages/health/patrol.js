// Patrol progress: how far the round-robin has got through this cycle and how long a cycle takes.
// Hidden when the server has no patrol endpoint (404) or no patrol cameras.

import { api, problemMessage } from "../../api.js";
import { h, replace } from "../../dom.js";
import { t } from "../../i18n.js";
import { durationText } from "../../ui/duration.js";
import { toast } from "../../ui/toast.js";
import { formatNumber } from "./common.js";

const POLL_MS = 5_000;

/** Seconds as "42 s" / "3 min 5 s" / "1 h 2 min" ("—" when unknown). */
export function formatSeconds(value) {
  return durationText(value, { precise: true }) || "—";
}

/** Fill `slot` with the patrol panel and keep it current; returns {stop}. */
export function patrolPanel(slot, { manage = false } = {}) {
  let timer = null;
  let stopped = false;
  let targetEl = null;

  function draw(p) {
    const total = Number(p.cameras) || 0;
    if (!total) return replace(slot);
    const done = Math.min(total, Number(p.checked_this_cycle) || 0);
    const inFlight = Array.isArray(p.in_flight) ? p.in_flight : [];
    const bar = h("progress", {
      max: String(total),
      value: String(done),
      "aria-label": t("health.patrol_progress"),
    });
    replace(
      slot,
      h(
        "section",
        { class: "panel patrol", "data-testid": "patrol-panel", "aria-label": t("health.patrol") },
        h(
          "div",
          { class: "patrol-head" },
          h("h2", {}, t("health.patrol")),
          h("span", { class: "muted" }, t("health.patrol_checked", { done, total })),
        ),
        bar,
        p.cpu_limited
          ? h(
              "p",
              { class: "notice small", "data-testid": "patrol-cpu-limited" },
              t("health.patrol_cpu_limited"),
            )
          : null,
        // Kept across redraws so a half-typed value survives the 5 s refresh.
        manage ? (targetEl ??= targetForm(p)) : null,
        h(
          "dl",
          { class: "facts" },
          fact("health.patrol_cycle", formatSeconds(p.cycle_s)),
          fact("health.patrol_target", formatSeconds(p.target_cycle_s), "patrol-target"),
          fact("health.patrol_expected", formatSeconds(p.expected_cycle_s), "patrol-expected"),
          fact("health.patrol_last_cycle", formatSeconds(p.last_cycle_s), "patrol-actual"),
          fact("health.patrol_concurrency", formatNumber(p.concurrency, 0)),
          fact(
            "health.patrol_cpu",
            p.cpu_share === null || p.cpu_share === undefined
              ? "—"
              : t("health.patrol_cpu_value", {
                  share: formatNumber(100 * p.cpu_share, 1),
                  budget: formatNumber(100 * p.cpu_budget, 0),
                }),
          ),
          fact(
            "health.patrol_in_flight",
            inFlight.length ? inFlight.join(", ") : t("health.patrol_idle"),
          ),
        ),
      ),
    );
  }

  function targetForm(p) {
    const input = h("input", {
      class: "input input-sm",
      type: "number",
      min: "1",
      max: "1440",
      step: "1",
      value: String(Math.round((p.target_cycle_s || 600) / 60)),
      "data-testid": "patrol-target-input",
    });
    const form = h(
      "form",
      { class: "inline-form", "data-testid": "patrol-target-form" },
      h("label", {}, t("health.patrol_target_minutes"), " ", input),
      h("button", { type: "submit", class: "btn btn-sm" }, t("action.save")),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const res = await api("PUT", "/api/health/patrol", {
          body: { target_cycle_s: Number(input.value) * 60 },
        });
        toast(t("health.patrol_target_saved"));
        draw(res);
      } catch (err) {
        toast(problemMessage(err), "error");
      }
    });
    return form;
  }

  async function poll() {
    if (stopped) return;
    try {
      draw(await api("GET", "/api/health/patrol"));
    } catch (err) {
      // No patrol scheduler on this server (yet): leave the slot empty and stop asking.
      if (err?.status === 404 || err?.status === 403) return replace(slot);
    }
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  }

  poll();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

function fact(key, value, testid = null) {
  return h("div", { "data-testid": testid }, h("dt", {}, t(key)), h("dd", {}, value));
}
