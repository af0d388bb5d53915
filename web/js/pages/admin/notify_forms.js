// Admin > Notifications: the channel and rule dialogs (secrets are write-only: never shown).

import { api, ApiError } from "../../api.js";
import { t } from "../../i18n.js";
import { formDialog } from "../../ui/dialog.js";
import { Form } from "../../ui/form.js";
import { subtreeIds, unitOptions } from "./common.js";

export const KINDS = ["webhook", "email", "wecom", "dingtalk", "feishu"];
export const SEVERITIES = ["info", "warning", "major", "critical"];
export const STATUSES = ["pending", "sent", "retrying", "failed", "suppressed"];
export const EXERCISE = ["include", "exclude", "only"];
export const KIND_PRESETS = ["camera.fault", "camera.recovered", "incident.*", "drill.*"];
const ROBOTS = new Set(["wecom", "dingtalk", "feishu"]);
const DEFAULT_RATE = { webhook: 60, email: 30, wecom: 20, dingtalk: 20, feishu: 100 };
const EMAIL_FIELDS = ["host", "port", "security", "verify_tls", "username", "from_addr", "from_name", "to"];

/** Split "a, b,c" into ["a", "b", "c"]. */
export function splitList(text) {
  return String(text || "")
    .split(/[,，\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

// Nested SMTP errors (body.email.host) belong to the flat form fields (email_host).
function flattenLocs(err) {
  if (err instanceof ApiError) {
    for (const item of err.fieldErrors) {
      item.loc = String(item.loc || "").replace(/^body\.email\.(\w+)/, "body.email_$1");
    }
  }
  return err;
}

function numberOrNull(value) {
  return value === "" || value === undefined ? null : Number(value);
}

/** The create/edit dialog of a channel; resolves with the saved channel or null. */
export function channelDialog({ channel = null, units }) {
  const editing = Boolean(channel);
  const email = channel?.email || {};
  const form = new Form();
  form.text("name", t("notify.name"), { required: true, value: channel?.name || "" });
  form.select("unit_id", t("notify.unit"), unitOptions(units), {
    value: channel?.unit_id ?? units[0]?.id,
  });
  const kind = form.select(
    "kind",
    t("notify.kind"),
    KINDS.map((k) => ({ value: k, label: t(`notify.kind.${k}`) })),
    { value: channel?.kind || "webhook" },
  );
  if (editing) kind.disabled = true;
  form.select(
    "locale",
    t("notify.locale"),
    [
      { value: "zh-CN", label: t("notify.locale.zh-CN") },
      { value: "en", label: t("notify.locale.en") },
    ],
    { value: channel?.locale || "zh-CN" },
  );
  form.text("url", t("notify.url"), {
    span: true,
    autocomplete: "off",
    placeholder: channel?.url_masked || "https://",
    hint: editing ? t("notify.keep_hint") : t("notify.url_hint"),
  });
  form.text("secret", t("notify.secret"), {
    type: "password",
    autocomplete: "new-password",
    placeholder: channel?.has_secret ? t("notify.secret_set") : "",
    hint: t("notify.secret_hint"),
  });
  form.select(
    "format",
    t("notify.format"),
    [
      { value: "markdown", label: t("notify.format.markdown") },
      { value: "text", label: t("notify.format.text") },
    ],
    { value: channel?.format || "markdown" },
  );
  form.text("email_host", t("notify.email_host"), { value: email.host || "" });
  form.text("email_port", t("notify.email_port"), {
    type: "number",
    min: "1",
    max: "65535",
    value: email.port ?? 587,
  });
  form.select(
    "email_security",
    t("notify.email_security"),
    ["starttls", "ssl", "none"].map((s) => ({ value: s, label: t(`notify.security.${s}`) })),
    { value: email.security || "starttls" },
  );
  form.text("email_username", t("notify.email_username"), {
    value: email.username || "",
    autocomplete: "off",
  });
  form.text("password", t("notify.password"), {
    type: "password",
    autocomplete: "new-password",
    placeholder: channel?.has_password ? t("notify.secret_set") : "",
  });
  form.text("email_from_addr", t("notify.email_from"), { value: email.from_addr || "" });
  form.text("email_from_name", t("notify.email_from_name"), { value: email.from_name || "" });
  form.text("email_to", t("notify.email_to"), {
    span: true,
    value: (email.to || []).join(", "),
    hint: t("notify.list_hint"),
  });
  form.toggle("email_verify_tls", t("notify.email_verify_tls"), t("notify.email_verify_tls_text"), {
    checked: email.verify_tls ?? true,
  });
  form.text("rate_per_minute", t("notify.rate"), {
    type: "number",
    min: "1",
    value: channel?.rate_per_minute ?? "",
  });
  form.text("digest_threshold", t("notify.digest_threshold"), {
    type: "number",
    min: "1",
    max: "1000",
    value: channel?.digest_threshold ?? "",
    hint: t("notify.digest_hint"),
  });
  form.text("digest_window_s", t("notify.digest_window"), {
    type: "number",
    min: "1",
    max: "3600",
    value: channel?.digest_window_s ?? "",
  });
  form.toggle("enabled", t("notify.status"), t("notify.enabled_text"), {
    checked: channel?.enabled ?? true,
  });

  const show = () => {
    const k = kind.value;
    const isEmail = k === "email";
    for (const [name, field] of form.fields) {
      let visible = true;
      if (name.startsWith("email_") || name === "password") visible = isEmail;
      if (name === "url") visible = !isEmail;
      if (name === "secret") visible = !isEmail && k !== "wecom";
      if (name === "format") visible = ROBOTS.has(k);
      field.wrapper.hidden = !visible;
    }
    const rate = form.fields.get("rate_per_minute").control;
    rate.placeholder = String(DEFAULT_RATE[k]);
    if (ROBOTS.has(k)) rate.max = String(DEFAULT_RATE[k]);
    else rate.removeAttribute("max");
  };
  kind.addEventListener("change", show);
  show();

  const submit = async (v) => {
    const body = {
      name: v.name.trim(),
      unit_id: Number(v.unit_id),
      locale: v.locale,
      enabled: v.enabled,
      rate_per_minute: numberOrNull(v.rate_per_minute),
      digest_threshold: numberOrNull(v.digest_threshold),
      digest_window_s: numberOrNull(v.digest_window_s),
    };
    const k = v.kind;
    if (!editing) body.kind = k;
    if (k === "email") {
      body.email = {
        host: v.email_host.trim(),
        port: Number(v.email_port || 587),
        security: v.email_security,
        verify_tls: v.email_verify_tls,
        username: v.email_username.trim(),
        from_addr: v.email_from_addr.trim(),
        from_name: v.email_from_name.trim(),
        to: splitList(v.email_to),
      };
      if (v.password) body.password = v.password;
    } else {
      if (v.url.trim() || !editing) body.url = v.url.trim() || null;
      if (v.secret) body.secret = v.secret;
      if (ROBOTS.has(k)) body.format = v.format;
    }
    if (editing && body.rate_per_minute === null) delete body.rate_per_minute;
    try {
      if (editing) {
        return await api("PATCH", `/api/notify/channels/${channel.id}`, {
          body,
          headers: { "If-Match": `"${channel.version}"` },
        });
      }
      return await api("POST", "/api/notify/channels", { body });
    } catch (err) {
      throw flattenLocs(err);
    }
  };
  return formDialog({
    title: editing ? t("notify.edit_channel", { name: channel.name }) : t("notify.new_channel"),
    form,
    submitLabel: editing ? t("action.save") : t("action.create"),
    testid: "channel-dialog",
    onSubmit: submit,
  });
}

/** The create/edit dialog of a rule for `channel`; resolves with the saved rule or null. */
export function ruleDialog({ channel, rule = null, units }) {
  const editing = Boolean(rule);
  const form = new Form();
  form.text("name", t("notify.name"), { required: true, value: rule?.name || t("notify.rule_default") });
  const kinds = rule?.kinds || ["camera.fault", "camera.recovered"];
  form.checks(
    "kinds",
    t("notify.kinds"),
    KIND_PRESETS.map((k) => ({ value: k, label: `${t(`notify.kindname.${k}`)} (${k})` })),
    { values: kinds.filter((k) => KIND_PRESETS.includes(k)), hint: t("notify.kinds_hint") },
  );
  form.text("other_kinds", t("notify.other_kinds"), {
    span: true,
    value: kinds.filter((k) => !KIND_PRESETS.includes(k)).join(", "),
    hint: t("notify.list_hint"),
  });
  form.select(
    "min_severity",
    t("notify.min_severity"),
    SEVERITIES.map((s) => ({ value: s, label: t(`notify.severity.${s}`) })),
    { value: rule?.min_severity || "warning" },
  );
  form.select(
    "exercise",
    t("notify.exercise"),
    EXERCISE.map((e) => ({ value: e, label: t(`notify.exercise.${e}`) })),
    { value: rule?.exercise || "include" },
  );
  form.text("tags", t("notify.tags"), {
    span: true,
    value: (rule?.tags || []).join(", "),
    hint: t("notify.tags_hint"),
  });
  const scope = subtreeIds(units, channel.unit_id);
  form.checks(
    "unit_ids",
    t("notify.units"),
    unitOptions(units.filter((u) => scope.has(u.id))).map((o) => ({
      value: String(o.value),
      label: o.label.trim(),
    })),
    { values: (rule?.unit_ids || []).map(String), hint: t("notify.units_hint") },
  );
  form.toggle("enabled", t("notify.status"), t("notify.enabled_text"), {
    checked: rule?.enabled ?? true,
  });
  const submit = (v) => {
    const body = {
      name: v.name.trim(),
      kinds: [...v.kinds, ...splitList(v.other_kinds)],
      min_severity: v.min_severity,
      exercise: v.exercise,
      tags: splitList(v.tags),
      unit_ids: v.unit_ids.map(Number),
      enabled: v.enabled,
    };
    if (editing) {
      return api("PATCH", `/api/notify/rules/${rule.id}`, {
        body,
        headers: { "If-Match": `"${rule.version}"` },
      });
    }
    return api("POST", "/api/notify/rules", { body: { ...body, channel_id: channel.id } });
  };
  return formDialog({
    title: editing ? t("notify.edit_rule") : t("notify.new_rule", { name: channel.name }),
    form,
    submitLabel: editing ? t("action.save") : t("action.create"),
    testid: "rule-dialog",
    onSubmit: submit,
  });
}
