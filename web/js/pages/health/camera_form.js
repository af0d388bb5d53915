// The camera create/edit dialog: every registry field, inline errors from errors[].loc (including
// nested ones such as body.fov.bearing), and 412 handling when someone else saved first.

import { ApiError, api, fieldMessage, problemMessage } from "../../api.js";
import { t, unitName } from "../../i18n.js";
import { formDialog } from "../../ui/dialog.js";
import { FieldError, Form } from "../../ui/form.js";
import { unitOptions } from "../admin/common.js";
import { WATCH_MODES } from "./common.js";

/** The form field an error location names: "body.fov.bearing" -> "fov_bearing". */
export function cameraField(loc) {
  const parts = String(loc || "")
    .replace(/\[\d+\]/g, "")
    .split(".")
    .filter(Boolean);
  if (["body", "query", "path"].includes(parts[0])) parts.shift();
  if (parts[0] === "fov" && parts[1]) return `fov_${parts[1] === "range_m" ? "range_m" : parts[1]}`;
  return parts[0] || "";
}

/** Raised when the camera changed on the server while the dialog was open. */
class StaleError extends FieldError {
  constructor() {
    super("", t("cameras.stale"));
    this.stale = true;
  }
}

/** A Form that places nested camera field errors and explains stale edits. */
class CameraForm extends Form {
  showError(err, opts = {}) {
    if (err?.stale) {
      this.clearErrors();
      this.setAlert(t("cameras.stale"));
      this.alert.classList.add("warn");
      return;
    }
    this.alert.classList.remove("warn");
    if (!(err instanceof ApiError) || err.status !== 422 || !err.fieldErrors.length) {
      return super.showError(err, opts);
    }
    this.clearErrors();
    const leftover = [];
    for (const item of err.fieldErrors) {
      let message = fieldMessage(item);
      if (item.type === "bad_url" && item.msg) message = `${message} (${item.msg})`;
      if (!this.setFieldError(cameraField(item.loc), message)) leftover.push(item.msg || message);
    }
    if (leftover.length) this.setAlert(leftover.join("; ") || problemMessage(err));
    const bad = [...this.fields.values()].find((f) => f.control.getAttribute("aria-invalid"));
    (bad?.control.querySelector?.("input") || bad?.control)?.focus();
  }
}

function text(value) {
  return value === null || value === undefined ? "" : String(value);
}

/** Values a camera puts into the form. */
function formValues(cam) {
  return {
    id: cam?.id ?? "",
    name: cam?.name ?? "",
    owner_unit_id: text(cam?.owner_unit_id),
    lon: text(cam?.lon),
    lat: text(cam?.lat),
    fov_bearing: text(cam?.fov?.bearing),
    fov_angle: text(cam?.fov?.angle),
    fov_range_m: text(cam?.fov?.range_m),
    tags: (cam?.tags || []).join(", "),
    watch_mode: cam?.watch_mode ?? "patrol",
  };
}

function fill(form, cam) {
  for (const [name, value] of Object.entries(formValues(cam))) {
    const field = form.fields.get(name);
    if (field) field.control.value = value;
  }
  for (const box of form.fields.get("shared_unit_ids").control.querySelectorAll("input")) {
    box.checked = cam.shared_unit_ids.includes(Number(box.value));
  }
  form.fields.get("key_camera").input.checked = cam.key_camera;
  form.fields.get("enabled").input.checked = cam.enabled;
}

/** A number field's value for the API: null when empty, else the text (the server parses it). */
function num(v) {
  const s = String(v ?? "").trim();
  if (!s) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : s;
}

/** The request body for the form values (create: every field; the caller diffs for edits). */
export function cameraBody(v) {
  const fov = [v.fov_bearing, v.fov_angle, v.fov_range_m].some((x) => String(x).trim())
    ? { bearing: num(v.fov_bearing), angle: num(v.fov_angle), range_m: num(v.fov_range_m) }
    : null;
  return {
    name: v.name.trim(),
    owner_unit_id: v.owner_unit_id ? Number(v.owner_unit_id) : null,
    shared_unit_ids: v.shared_unit_ids.map(Number),
    lon: num(v.lon),
    lat: num(v.lat),
    fov,
    main_url: v.main_url.trim(),
    sub_url: v.sub_url.trim() || null,
    // Write-only: sent when typed, never shown; absent keeps what is stored.
    ...(v.cam_username ? { username: v.cam_username } : {}),
    ...(v.cam_password ? { password: v.cam_password } : {}),
    tags: v.tags
      .split(/[,;，；]/)
      .map((x) => x.trim())
      .filter(Boolean),
    key_camera: v.key_camera,
    watch_mode: v.watch_mode,
    enabled: v.enabled,
  };
}

/** Only what changed between a camera and a full body (URLs only when typed in). */
export function cameraPatch(cam, body, { clearSub = false } = {}) {
  const patch = {};
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  for (const key of [
    "name",
    "owner_unit_id",
    "lon",
    "lat",
    "key_camera",
    "watch_mode",
    "enabled",
  ]) {
    if (!same(body[key], cam[key])) patch[key] = body[key];
  }
  if (!same([...body.shared_unit_ids].sort(), [...cam.shared_unit_ids].sort())) {
    patch.shared_unit_ids = body.shared_unit_ids;
  }
  if (!same([...body.tags].sort(), [...cam.tags].sort())) patch.tags = body.tags;
  if (!same(body.fov, cam.fov)) patch.fov = body.fov;
  if (body.main_url) patch.main_url = body.main_url;
  if (body.sub_url) patch.sub_url = body.sub_url;
  else if (clearSub) patch.sub_url = "";
  if (body.username) patch.username = body.username;
  if (body.password) patch.password = body.password;
  return patch;
}

/**
 * Open the dialog. `camera` null creates. Resolves with the saved camera or null.
 * `onStale(current)` runs when the server had a newer version (the form is refilled with it).
 */
export function cameraDialog({ camera, units, defaultUnit, onStale }) {
  let cam = camera;
  const editing = Boolean(cam);
  const form = new CameraForm();
  const v0 = formValues(cam);
  form.text("id", t("cameras.id"), {
    value: v0.id,
    required: !editing,
    readonly: editing,
    autocomplete: "off",
    spellcheck: "false",
    hint: editing ? null : t("cameras.id_hint"),
  });
  form.text("name", t("cameras.name"), { value: v0.name, required: true });
  form.select(
    "owner_unit_id",
    t("cameras.owner"),
    unitOptions(units, { none: editing ? null : t("cameras.choose_unit") }),
    { value: editing ? v0.owner_unit_id : (defaultUnit ?? "") },
  );
  form.select(
    "watch_mode",
    t("cameras.watch_mode"),
    WATCH_MODES.map((m) => ({ value: m, label: t(`cameras.mode.${m}`) })),
    { value: v0.watch_mode, hint: t("cameras.watch_mode_hint") },
  );
  form.text("main_url", t("cameras.main_url"), {
    required: !editing,
    span: true,
    autocomplete: "off",
    spellcheck: "false",
    placeholder: editing ? cam.main_url : "rtsp://192.0.2.10:554/stream1",
    hint: editing ? t("cameras.url_keep_hint") : t("cameras.url_hint"),
  });
  form.text("sub_url", t("cameras.sub_url"), {
    span: true,
    autocomplete: "off",
    spellcheck: "false",
    placeholder: editing && cam.sub_url ? cam.sub_url : "",
    hint: editing && cam.sub_url ? t("cameras.url_keep_hint") : null,
  });
  const keep = editing && cam.has_credentials ? t("cameras.credentials_keep_hint") : null;
  form.text("cam_username", t("cameras.username"), {
    autocomplete: "off",
    spellcheck: "false",
    placeholder: editing && cam.has_credentials ? "••••••" : "",
    hint: keep,
  });
  form.text("cam_password", t("cameras.password"), {
    type: "password",
    autocomplete: "new-password",
    placeholder: editing && cam.has_credentials ? "••••••" : "",
    hint: keep ?? t("cameras.credentials_hint"),
  });
  const decimal = { inputmode: "decimal", autocomplete: "off" };
  form.text("lon", t("cameras.lon"), { ...decimal, value: v0.lon, hint: t("cameras.lon_hint") });
  form.text("lat", t("cameras.lat"), { ...decimal, value: v0.lat, hint: t("cameras.lat_hint") });
  form.text("fov_bearing", t("cameras.fov_bearing"), {
    ...decimal,
    value: v0.fov_bearing,
    hint: t("cameras.fov_bearing_hint"),
  });
  form.text("fov_angle", t("cameras.fov_angle"), {
    ...decimal,
    value: v0.fov_angle,
    hint: t("cameras.fov_angle_hint"),
  });
  form.text("fov_range_m", t("cameras.fov_range"), {
    ...decimal,
    value: v0.fov_range_m,
    hint: t("cameras.fov_range_hint"),
  });
  form.text("tags", t("cameras.tags"), { value: v0.tags, hint: t("cameras.tags_hint") });
  form.checks(
    "shared_unit_ids",
    t("cameras.shared"),
    units.map((u) => ({ value: String(u.id), label: unitName(u) })),
    { values: (cam?.shared_unit_ids || []).map(String), hint: t("cameras.shared_hint") },
  );
  form.toggle("key_camera", t("cameras.key_camera"), t("cameras.key_camera_hint"), {
    checked: cam?.key_camera ?? false,
  });
  form.toggle("enabled", t("cameras.enabled"), t("cameras.enabled_hint"), {
    checked: cam?.enabled ?? true,
  });
  if (editing && cam.sub_url) {
    form.toggle("clear_sub", t("cameras.sub_url"), t("cameras.clear_sub"), { checked: false });
  }
  return formDialog({
    title: editing ? t("cameras.edit_named", { id: cam.id }) : t("cameras.create"),
    form,
    submitLabel: editing ? t("action.save") : t("action.create"),
    testid: "camera-dialog",
    conflictField: "id",
    onSubmit: async (v) => {
      if (!v.owner_unit_id) throw new FieldError("owner_unit_id", t("validation.missing"));
      const body = cameraBody(v);
      if (!editing) {
        return api("POST", "/api/cameras", { body: { id: v.id.trim(), ...body } });
      }
      const patch = cameraPatch(cam, body, { clearSub: Boolean(v.clear_sub) });
      if (!Object.keys(patch).length) return cam;
      try {
        return await api("PATCH", `/api/cameras/${encodeURIComponent(cam.id)}`, {
          body: patch,
          query: { version: cam.version },
        });
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 412 || !err.problem.current) throw err;
        // Someone saved first: show their version so the user decides again.
        cam = err.problem.current;
        fill(form, cam);
        onStale?.(cam);
        throw new StaleError();
      }
    },
  });
}

/** A short "lon, lat" text. */
export function where(cam) {
  if (cam.lon === null || cam.lon === undefined) return "";
  return `${Number(cam.lon).toFixed(5)}, ${Number(cam.lat).toFixed(5)}`;
}
