// The drills section. Its capability module has not been installed yet; it replaces this file.

import { notInstalledPage } from "./placeholder.js";

const page = notInstalledPage("drills", "drills");

/** Render the section into `container`. */
export const render = page.render;

/** Release what render() acquired. */
export const dispose = page.dispose;
