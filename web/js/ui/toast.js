// Short, self-dismissing notices in the corner (announced by the aria-live region).

import { h } from "../dom.js";

/** Show a notice for a few seconds; kind is "ok" or "error". */
export function toast(message, kind = "ok") {
  const host = document.getElementById("toasts");
  if (!host) return;
  const el = h("div", { class: `toast${kind === "error" ? " error" : ""}` }, message);
  host.append(el);
  setTimeout(() => el.remove(), kind === "error" ? 8000 : 4000);
}
