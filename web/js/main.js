// Entry point: pick the language, restore the session, then show the login screen or the console.

import { api } from "./api.js";
import { h, replace } from "./dom.js";
import { detectLocale, setLocale, storedLocale } from "./i18n.js";
import { renderLogin } from "./login.js";
import { fetchSession } from "./session.js";
import { mountShell } from "./shell.js";
import { applyTheme, savedTheme } from "./ui/widgets.js";

const root = document.getElementById("app");
let meta = null;

function showLogin(notice = null) {
  renderLogin(root, {
    meta,
    notice,
    onLoggedIn: (session) => startConsole(session),
  });
}

async function startConsole(session) {
  // A language stored on the account applies unless this browser made its own choice.
  const preferred = session?.user?.locale;
  if (preferred && !storedLocale()) await setLocale(preferred);
  mountShell(root, { meta, onSignedOut: (notice) => showLogin(notice) });
}

async function boot() {
  applyTheme(savedTheme());
  try {
    meta = await api("GET", "/api/meta");
  } catch (err) {
    console.warn("no product metadata", err);
  }
  await setLocale(detectLocale(meta?.site?.default_locale));
  let session = null;
  try {
    session = await fetchSession();
  } catch (err) {
    console.warn("cannot reach the server to restore the session", err);
  }
  if (session) await startConsole(session);
  else showLogin();
}

boot().catch((err) => {
  console.error("console failed to start", err);
  replace(
    root,
    h(
      "div",
      { class: "placeholder", role: "alert" },
      h("h2", {}, "EOC Console could not start / EOC 应急指挥平台无法启动"),
      h("p", {}, String(err?.message || err)),
    ),
  );
});
