// The console frame: top bar, navigation, user menu, live connection, and page lifecycle.

import { changePasswordDialog } from "./account.js";
import { api, onUnauthenticated, setReauthenticator } from "./api.js";
import { h, replace } from "./dom.js";
import { connectEvents, disconnectEvents, onEvent } from "./events.js";
import { getLocale, onLocaleChange, t, unitName } from "./i18n.js";
import { canOpen, homeFor, PAGES, parseRoute } from "./nav.js";
import { currentUser, fetchSession, logout } from "./session.js";
import { icon } from "./ui/icons.js";
import { relogin } from "./ui/relogin.js";
import { applyTheme, connectionIndicator, languageSwitch, roleBadge } from "./ui/widgets.js";
import { installReminders } from "./pages/drills/reminders.js";
import { installIncidentBanner } from "./pages/ops/banner.js";
import { messagePanel } from "./pages/placeholder.js";

/**
 * Mount the signed-in console into `root`. `onSignedOut(noticeKey)` runs after logout or when
 * the session ends. Returns an unmount function.
 */
export function mountShell(root, { meta, onSignedOut }) {
  let active = null; // { module, cleanups }
  let navToken = 0;
  let frameCleanups = [];
  let main = null;
  let navLinks = new Map();

  function siteName() {
    const site = meta?.site;
    if (!site) return "";
    return getLocale() === "en" ? site.name_en || site.name : site.name;
  }

  function userMenu(user) {
    const menuId = "user-menu";
    const button = h(
      "button",
      {
        type: "button",
        class: "user-button",
        "aria-haspopup": "menu",
        "aria-expanded": "false",
        "aria-controls": menuId,
        "data-testid": "user-menu-button",
      },
      h(
        "span",
        { class: "avatar", "aria-hidden": "true" },
        (user.display_name || user.username).slice(0, 1).toUpperCase(),
      ),
      h(
        "span",
        { class: "who" },
        h("span", {}, user.display_name || user.username),
        h("small", {}, unitName(user.unit)),
      ),
      icon("chevron"),
    );
    const themeItem = h("button", {
      type: "button",
      class: "menu-item",
      role: "menuitem",
      "data-testid": "theme-toggle",
    });
    const drawThemeItem = () => {
      const next = document.documentElement.dataset.theme === "light" ? "dark" : "light";
      replace(themeItem, icon(next === "light" ? "sun" : "moon"), t(`shell.theme_${next}`));
    };
    themeItem.addEventListener("click", () => {
      const next = document.documentElement.dataset.theme === "light" ? "dark" : "light";
      applyTheme(next, { remember: true });
      drawThemeItem();
    });
    drawThemeItem();
    const items = [
      themeItem,
      h(
        "button",
        {
          type: "button",
          class: "menu-item",
          role: "menuitem",
          "data-testid": "change-password",
          onclick: () => {
            close();
            changePasswordDialog();
          },
        },
        icon("key"),
        t("account.change_password"),
      ),
      h(
        "button",
        {
          type: "button",
          class: "menu-item",
          role: "menuitem",
          "data-testid": "logout",
          onclick: signOut,
        },
        icon("logout"),
        t("shell.logout"),
      ),
    ];
    const menu = h(
      "div",
      { class: "menu", id: menuId, role: "menu", hidden: true, "aria-label": t("shell.user_menu") },
      h(
        "div",
        { class: "menu-head", "data-testid": "user-menu-head" },
        h("strong", {}, user.display_name || user.username),
        h("span", { class: "muted mono" }, user.username),
        h("span", { class: "muted" }, unitName(user.unit)),
        h("div", {}, user.roles.map(roleBadge)),
      ),
      items,
    );
    function open() {
      menu.hidden = false;
      button.setAttribute("aria-expanded", "true");
      items[0].focus();
    }
    function close() {
      menu.hidden = true;
      button.setAttribute("aria-expanded", "false");
    }
    button.addEventListener("click", () => (menu.hidden ? open() : close()));
    menu.addEventListener("keydown", (ev) => {
      const index = items.indexOf(document.activeElement);
      if (ev.key === "Escape") {
        close();
        button.focus();
      } else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        const step = ev.key === "ArrowDown" ? 1 : -1;
        items[(index + step + items.length) % items.length].focus();
      }
    });
    const wrapper = h("div", { class: "user-menu" }, button, menu);
    const outside = (ev) => !wrapper.contains(ev.target) && close();
    document.addEventListener("click", outside);
    frameCleanups.push(() => document.removeEventListener("click", outside));
    return wrapper;
  }

  function drawFrame() {
    for (const fn of frameCleanups) fn();
    frameCleanups = [];
    const user = currentUser();
    const [conn, offConn] = connectionIndicator();
    frameCleanups.push(offConn);
    navLinks = new Map();
    const navItems = [];
    for (const page of PAGES.filter((p) => canOpen(p, user))) {
      const link = h(
        "a",
        { href: page.home || `#/${page.id}`, "data-testid": `nav-${page.id}` },
        icon(page.icon),
        h("span", {}, t(`nav.${page.id}`)),
      );
      navLinks.set(page.id, link);
      if (page.separate) navItems.push(h("li", { class: "nav-sep", role: "presentation" }));
      navItems.push(h("li", {}, link));
    }
    main = h("main", { class: "main", id: "main", tabindex: "-1" });
    replace(
      root,
      h("a", { class: "skip-link", href: "#main", onclick: skipToMain }, t("shell.skip")),
      h(
        "div",
        { class: "shell", "data-testid": "shell" },
        h(
          "header",
          { class: "topbar" },
          h(
            "a",
            { class: "brand", href: homeFor(user) },
            h("span", { class: "brand-mark" }, icon("brand")),
            h("span", { "data-testid": "product-name" }, t("app.name")),
          ),
          h("span", { class: "site" }, siteName()),
          h("span", { class: "spacer" }),
          h("div", { class: "topbar-tools" }, conn, languageSwitch(), userMenu(user)),
        ),
        h(
          "nav",
          { class: "sidebar", "aria-label": t("shell.navigation") },
          h("ul", { class: "nav" }, navItems),
          h("div", { class: "sidebar-foot" }, t("app.version", { version: meta?.version || "" })),
        ),
        main,
      ),
    );
  }

  function skipToMain(ev) {
    ev.preventDefault();
    main?.focus();
  }

  function teardownPage() {
    // A dialog left open by the previous page (e.g. after the back button) goes with it.
    // (The sign-in-again dialog belongs to the session, not the page.)
    for (const dialog of document.querySelectorAll("dialog[open]:not(.relogin)")) dialog.close();
    if (!active) return;
    for (const fn of active.cleanups) fn();
    try {
      active.module?.dispose?.();
    } catch (err) {
      console.error("page dispose failed", err);
    }
    active = null;
  }

  async function route() {
    const token = ++navToken;
    const r = parseRoute(location.hash);
    const page = PAGES.find((p) => p.id === r.page);
    if (!r.page || (page?.home && r.rest.length === 0 && canOpen(page, currentUser()))) {
      history.replaceState(null, "", page?.home || homeFor(currentUser()));
      return route();
    }
    teardownPage();
    for (const [id, link] of navLinks) {
      if (id === r.page) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    const container = h("div", { class: "page", "data-page": r.page });
    replace(main, container);
    document.title = `${page ? t(`nav.${page.id}`) : t("shell.not_found")} · ${t("app.name")}`;
    if (!page) return replace(container, messagePanel("shell.not_found", "shell.not_found_hint"));
    if (!canOpen(page, currentUser())) {
      return replace(container, messagePanel("shell.forbidden", "shell.forbidden_hint"));
    }
    const cleanups = [];
    active = { module: null, cleanups };
    let module;
    try {
      module = await import(`./pages/${page.id}.js`);
    } catch (err) {
      console.error("cannot load page %s", page.id, err);
      if (token === navToken)
        replace(container, messagePanel("shell.load_failed", "shell.load_failed_hint"));
      return;
    }
    if (token !== navToken) return;
    active.module = module;
    const ctx = {
      user: currentUser(),
      meta,
      route: r,
      api,
      t,
      onEvent: (type, fn) => {
        const off = onEvent(type, fn);
        // A page still rendering after the user moved on must not leave handlers behind.
        if (token === navToken && mounted) cleanups.push(off);
        else off();
        return off;
      },
      navigate: (hash) => (location.hash = hash),
      replaceQuery: (query) => {
        const qs = new URLSearchParams(
          Object.entries(query).filter(([, v]) => v !== "" && v != null),
        );
        const path = location.hash.split("?")[0];
        history.replaceState(null, "", qs.toString() ? `${path}?${qs}` : path);
      },
    };
    try {
      await module.render(container, ctx);
    } catch (err) {
      console.error("page %s failed to render", page.id, err);
      if (token === navToken)
        replace(container, messagePanel("shell.load_failed", "shell.load_failed_hint"));
    }
  }

  async function signOut() {
    try {
      await logout();
    } catch (err) {
      console.warn("logout request failed; signing out locally", err);
    }
    unmount();
    onSignedOut(null);
  }

  async function sessionValid() {
    try {
      return Boolean(await fetchSession());
    } catch {
      return true; // server unreachable: keep retrying rather than signing out
    }
  }

  let mounted = true;
  let offReminders = null;
  let offBanner = null;
  function unmount() {
    if (!mounted) return;
    mounted = false;
    teardownPage();
    for (const fn of frameCleanups) fn();
    frameCleanups = [];
    offLocale();
    offSelf();
    offScope();
    offUnauthenticated();
    offReauth();
    window.removeEventListener("hashchange", route);
    offReminders?.();
    offBanner?.();
    disconnectEvents();
  }

  const offLocale = onLocaleChange(() => {
    drawFrame();
    route();
  });
  // My own account changed (roles, unit, disabled): refresh the session so the frame matches.
  const offSelf = onEvent("user.updated", async (data) => {
    if (data?.id !== currentUser()?.id) return;
    if (await sessionValid()) {
      drawFrame();
      route();
    } else sessionEnded();
  });
  // The server re-scoped this connection (roles, unit or unit tree changed): catch up.
  const offScope = onEvent("session.changed", async () => {
    if (await sessionValid()) {
      drawFrame();
      route();
    } else expire();
  });
  function expire() {
    if (!mounted) return;
    unmount();
    onSignedOut("login.session_expired");
  }
  // The session ended under an open page: sign in again over it rather than discarding it.
  async function sessionEnded() {
    if (!mounted) return;
    if (!(await relogin())) return expire();
    if (mounted) connectEvents({ sessionValid, unauthorized: sessionEnded });
  }
  const offUnauthenticated = onUnauthenticated(expire);
  const offReauth = setReauthenticator(() => (mounted ? relogin() : Promise.resolve(false)));
  window.addEventListener("hashchange", route);
  drawFrame();
  route();
  connectEvents({
    sessionValid,
    unauthorized: sessionEnded,
  });
  // Drill reminders reach the user on whatever page is open.
  offReminders = installReminders({ timezone: meta?.site?.timezone });
  // A banner on every page while an incident is open (an exercise never looks like one).
  offBanner = installIncidentBanner();
  return unmount;
}
