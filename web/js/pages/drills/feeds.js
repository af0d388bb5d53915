// iCalendar feeds on the calendar page: subscribe to "my drills" or "my unit's drills", show the
// secret URL once with a copy button, list the caller's feeds and revoke them.

import { api, problemMessage } from "../../api.js";
import { h, replace } from "../../dom.js";
import { t, unitName } from "../../i18n.js";
import { confirmDialog } from "../../ui/dialog.js";
import { toast } from "../../ui/toast.js";
import { formatWhen } from "./common.js";

/** A feed's label: "My drills" or "Unit drills: <name>". */
export function feedLabel(feed, units) {
  if (feed.scope !== "unit") return t("drills.feed.scope_user");
  const unit = units.find((u) => String(u.id) === String(feed.unit_id));
  return t("drills.feed.scope_unit", { unit: unit ? unitName(unit) : String(feed.unit_id) });
}

/**
 * The feed panel (hidden until opened): {el, open(), subscribe(scope)}. `user` is the signed-in
 * user: their unit comes first among the units offered for a unit feed.
 */
export function feedPanel(user) {
  const s = { units: [], loaded: false, serial: 0 };
  const unitSelect = h("select", { class: "select", "data-testid": "feed-unit", "aria-label": t("drills.feed.unit") });
  const created = h("div", { class: "feed-created", hidden: true, "data-testid": "feed-created" });
  const list = h("ul", { class: "feed-list", "data-testid": "feed-list" });
  const el = h(
    "div",
    { class: "feed-box", hidden: true, "data-testid": "feed-box" },
    h(
      "div",
      { class: "feed-new" },
      h("button", { type: "button", class: "btn btn-sm", "data-testid": "feed-new-user", onclick: () => subscribe("user") }, t("drills.feed.new_user")),
      h("label", { class: "inline-field" }, h("span", {}, t("drills.feed.unit")), unitSelect),
      h("button", { type: "button", class: "btn btn-sm", "data-testid": "feed-new-unit", onclick: () => subscribe("unit") }, t("drills.feed.new_unit")),
      h("span", { class: "spacer" }),
      h("button", { type: "button", class: "btn btn-sm btn-ghost", "aria-label": t("drills.feed.hide"), onclick: () => (el.hidden = true) }, "×"),
    ),
    created,
    h("h3", { class: "feed-list-title" }, t("drills.feed.mine")),
    list,
  );

  async function loadUnits() {
    if (s.loaded) return;
    s.loaded = true;
    const all = await api("GET", "/api/units")
      .then((r) => r.items || [])
      .catch(() => []);
    const own = user?.unit;
    s.units = own && !all.some((u) => u.id === own.id) ? [own, ...all] : all;
    // The user's own unit first, then the others they may see.
    s.units.sort((a, b) => Number(b.id === own?.id) - Number(a.id === own?.id));
    replace(unitSelect, s.units.map((u) => h("option", { value: String(u.id) }, unitName(u))));
    if (own) unitSelect.value = String(own.id);
  }

  function item(feed) {
    const revoke = feed.revoked
      ? h("span", { class: "badge" }, t("drills.feed.revoked"))
      : h("button", { type: "button", class: "btn btn-sm btn-danger", "data-testid": `feed-revoke-${feed.id}`, onclick: () => revokeFeed(feed) }, t("drills.feed.revoke"));
    return h(
      "li",
      { class: `feed-item${feed.revoked ? " revoked" : ""}`, "data-testid": `feed-item-${feed.id}`, dataset: { scope: feed.scope, revoked: feed.revoked ? "1" : "0" } },
      h("span", {}, feedLabel(feed, s.units)),
      h("span", { class: "muted" }, t("drills.feed.created", { when: formatWhen(feed.created_at) })),
      revoke,
    );
  }

  async function loadList() {
    const mine = ++s.serial;
    try {
      const page = await api("GET", "/api/drills/feeds");
      if (mine !== s.serial) return;
      const items = [...(page.items || [])].sort((a, b) => Number(a.revoked) - Number(b.revoked) || b.id - a.id);
      replace(list, items.length ? items.map(item) : h("li", { class: "muted" }, t("drills.feed.none")));
    } catch (err) {
      replace(list, h("li", { class: "alert", role: "alert" }, problemMessage(err)));
    }
  }

  function showUrl(feed) {
    const url = new URL(feed.url, location.href).toString();
    const input = h("input", { class: "input mono", readonly: true, value: url, "data-testid": "feed-url", dataset: { feedId: String(feed.id) } });
    const copy = h("button", { type: "button", class: "btn btn-sm", "data-testid": "feed-copy" }, t("drills.cal.copy"));
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(url);
      } catch {
        input.select();
        document.execCommand?.("copy");
      }
      toast(t("drills.cal.copied"), "ok");
    });
    replace(created, h("strong", {}, feedLabel(feed, s.units)), h("span", { class: "muted" }, t("drills.cal.feed_hint")), input, copy);
    created.hidden = false;
  }

  async function subscribe(scope) {
    await open();
    const body = scope === "unit" ? { scope, unit_id: Number(unitSelect.value) } : { scope };
    try {
      const feed = await api("POST", "/api/drills/feeds", { body });
      showUrl(feed);
      await loadList();
    } catch (err) {
      toast(problemMessage(err), "error");
    }
  }

  async function revokeFeed(feed) {
    const ok = await confirmDialog({
      title: t("drills.feed.revoke_title"),
      message: t("drills.feed.revoke_body", { feed: feedLabel(feed, s.units) }),
      confirmLabel: t("drills.feed.revoke"),
      danger: true,
    });
    if (!ok) return;
    try {
      await api("DELETE", `/api/drills/feeds/${encodeURIComponent(feed.id)}`);
      toast(t("drills.feed.revoked_toast"), "ok");
      if (created.querySelector(`[data-feed-id="${feed.id}"]`)) {
        replace(created);
        created.hidden = true;
      }
      await loadList();
    } catch (err) {
      toast(problemMessage(err), "error");
    }
  }

  async function open() {
    el.hidden = false;
    await loadUnits();
    await loadList();
  }

  return { el, open, subscribe, reload: loadList };
}
