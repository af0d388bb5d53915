// Load the vendored Leaflet (UMD script and its stylesheet) once; never from the internet.

const BASE = new URL("../../../vendor/leaflet-1.9.4/", import.meta.url);
let loading = null;

function stylesheet(href) {
  if (document.querySelector(`link[href="${href}"]`)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = href;
  document.head.append(link);
}

/** Our page stylesheet (index.html stays untouched by sections). */
export function pageStyle(name) {
  stylesheet(new URL(`../../../css/${name}.css`, import.meta.url).href);
}

/** Resolve with the global `L` after the vendored script has run. */
export function loadLeaflet() {
  if (window.L?.version === "1.9.4") return Promise.resolve(window.L);
  if (!loading) {
    stylesheet(new URL("leaflet.css", BASE).href);
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL("leaflet.js", BASE).href;
      script.onload = () => resolve(window.L);
      script.onerror = () => {
        loading = null;
        reject(new Error("cannot load the map library"));
      };
      document.head.append(script);
    });
  }
  return loading;
}
