// Feature writes: create, replace with If-Match, delete; forms whose server errors sit by fields.

import { api, ApiError } from "../../api.js";
import { t } from "../../i18n.js";
import { confirmDialog, formDialog } from "../../ui/dialog.js";
import { Form } from "../../ui/form.js";

let csrf = null;

async function token() {
  if (!csrf) csrf = (await api("GET", "/api/auth/session")).csrf_token;
  return csrf;
}

// api() cannot send If-Match, so versioned writes go through this small twin of it.
async function send(method, path, { body, version } = {}) {
  const headers = {
    Accept: "application/json, application/problem+json",
    "X-CSRF-Token": await token(),
  };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (version !== undefined) headers["If-Match"] = `"${version}"`;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, { detail: t("error.network") });
  }
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// "body.properties.capacity" -> "body.capacity", so Form puts the message by its field.
function toFields(err) {
  if (err instanceof ApiError && Array.isArray(err.problem.errors)) {
    err.problem.errors = err.problem.errors.map((e) => ({
      ...e,
      loc: String(e.loc || "").replace(/^body\.properties\./, "body."),
    }));
  }
  return err;
}

const KINDS = ["emergency", "fixed_short", "fixed_medium", "fixed_long", "central"];

function num(value) {
  if (value === "" || value === null || value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : value; // the server names the field when it is not a number
}

function shelterForm(p = {}) {
  const form = new Form();
  form.text("name", t("map.f_name"), { value: p.name || "", required: true, "data-testid": "map-f-name" });
  form.select("kind", t("map.f_kind"), KINDS.map((k) => ({ value: k, label: t(`map.kind_${k}`) })), { value: p.kind || "emergency" });
  form.text("capacity", t("map.f_capacity"), { type: "number", value: p.capacity ?? "", "data-testid": "map-f-capacity" });
  form.text("effective_area_m2", t("map.f_area"), { type: "number", value: p.effective_area_m2 ?? "" });
  form.text("occupancy", t("map.f_occupancy"), { type: "number", value: p.occupancy ?? "" });
  form.toggle("open", t("map.f_open"), t("map.f_open_text"), { checked: Boolean(p.open) });
  return form;
}

function routeForm(p = {}) {
  const form = new Form();
  form.text("name", t("map.f_name"), { value: p.name || "", required: true, "data-testid": "map-f-name" });
  form.text("community_code", t("map.f_community"), { value: p.community_code || "" });
  return form;
}

function properties(layer, values, old = {}) {
  const keep = { ...old };
  delete keep.fid;
  delete keep.version;
  if (layer === "routes") {
    return { ...keep, name: values.name, community_code: values.community_code || null };
  }
  const out = { ...keep, name: values.name, kind: values.kind, open: values.open };
  for (const k of ["capacity", "effective_area_m2", "occupancy"]) {
    const v = num(values[k]);
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** Ask for a new feature's attributes and create it; resolves with the feature or null. */
export function createFeature(layer, geometry) {
  const form = layer === "routes" ? routeForm() : shelterForm();
  return formDialog({
    title: t(layer === "routes" ? "map.new_route" : "map.new_shelter"),
    form,
    testid: "map-feature-dialog",
    submitLabel: t("map.save"),
    onSubmit: async (values) => {
      try {
        return await send("POST", `/api/gis/layers/${layer}/features`, {
          body: { type: "Feature", geometry, properties: properties(layer, values) },
        });
      } catch (err) {
        throw toFields(err);
      }
    },
  });
}

/** Edit a feature's attributes (If-Match: its version); resolves with the new feature or null. */
export function editFeature(layer, feature) {
  const p = feature.properties;
  const form = layer === "routes" ? routeForm(p) : shelterForm(p);
  return formDialog({
    title: t("map.edit_title", { name: p.name || feature.id }),
    form,
    testid: "map-feature-dialog",
    submitLabel: t("map.save"),
    onSubmit: async (values) => {
      try {
        return await send("PUT", `/api/gis/layers/${layer}/features/${encodeURIComponent(feature.id)}`, {
          body: { type: "Feature", geometry: feature.geometry, properties: properties(layer, values, p) },
          version: p.version,
        });
      } catch (err) {
        if (err.status === 412) err.problem.detail = t("map.stale");
        throw toFields(err);
      }
    },
  });
}

/** Move a point feature to a new place (same attributes). */
export function moveFeature(layer, feature, geometry) {
  return send("PUT", `/api/gis/layers/${layer}/features/${encodeURIComponent(feature.id)}`, {
    body: { type: "Feature", geometry, properties: properties(layer, {}, feature.properties) },
    version: feature.properties.version,
  });
}

/** Confirm, then soft-delete a feature; resolves true when deleted. */
export async function deleteFeature(layer, feature) {
  const ok = await confirmDialog({
    title: t("map.delete_title"),
    message: t("map.delete_confirm", { name: feature.properties.name || feature.id }),
    confirmLabel: t("map.delete"),
    danger: true,
  });
  if (!ok) return false;
  await send("DELETE", `/api/gis/layers/${layer}/features/${encodeURIComponent(feature.id)}`, {
    version: feature.properties.version,
  });
  return true;
}

/** Forget the cached CSRF token (a new session after sign-in). */
export function resetEditing() {
  csrf = null;
}
