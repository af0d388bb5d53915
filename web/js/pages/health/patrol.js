// Patrol progress: how far the round-robin has got through this cycle and how long a cycle takes.
// Hidden when the server has no patrol endpoint (404) or no patrol cameras.

import { api } from "../../api.js";
import { h, replace } from "../../dom.js";
import { t } from "../../i18n.js";
import { durationText } from "../../ui/duration.js";
import { formatNumber } from "./common.js";

const POLL_MS = 5_000;

/** Seconds as "42 s" / "3 min 5 s" / "1 h 2 min" ("—" when unknown). */
export function formatSeconds(value) {
  return durationText(value, { precise: true }) || "—";
}

/** Fill `slot` with the patrol panel and keep it current; returns {stop}. */
export function patrolPanel(slot) {
  let timer = null;
  let stopped = false;

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
        h(
          "dl",
          { class: "facts" },
          fact("health.patrol_cycle", formatSeconds(p.cycle_s)),
          fact("health.patrol_last_cycle", formatSeconds(p.last_cycle_s)),
          fact("health.patrol_concurrency", formatNumber(p.concurrency, 0)),
          fact(
            "health.patrol_in_flight",
            inFlight.length ? inFlight.join(", ") : t("health.patrol_idle"),
          ),
        ),
      ),
    );
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

function fact(key, value) {
  return h("div", {}, h("dt", {}, t(key)), h("dd", {}, value));
}
