// Tiny DOM helpers. Text always goes in as text nodes, so server data can never inject markup.

/**
 * Create an element.
 * attrs: class, dataset (object), on<Event> (function), boolean attributes (true/false),
 * anything else becomes an attribute; null/undefined/false values are skipped.
 * children: nodes, strings, numbers, arrays (flattened); null/false are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "value") el.value = value;
    else if (key === "checked" || key === "selected") el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/** Append children (flattening arrays, skipping null/false). */
export function append(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Remove all children, then append the new ones. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

const parser = new DOMParser();

/** Parse a trusted, static SVG string (icons shipped with the app) into a node. */
export function svg(markup) {
  const doc = parser.parseFromString(markup, "image/svg+xml");
  const node = document.importNode(doc.documentElement, true);
  node.setAttribute("aria-hidden", "true");
  node.setAttribute("focusable", "false");
  return node;
}

/** Debounce a function (trailing call). */
export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}
