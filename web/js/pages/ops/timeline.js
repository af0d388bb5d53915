// The incident timeline (every event, decision and note, live for everyone in the units
// involved), the note/decision entry, kit dispatches and the report links.

import { api, problemMessage } from "../../api.js";
import { h, replace } from "../../dom.js";
import { formatDateTime, has, t } from "../../i18n.js";
import { formDialog } from "../../ui/dialog.js";
import { Form } from "../../ui/form.js";
import { toast } from "../../ui/toast.js";

export const ITEMS = ["kits", "water_l", "food_kcal", "tents", "medical", "other"];

/** Ask for a dispatch (item, quantity, community or shelter, note) and record it. */
export function dispatchDialog(inc, { communities, shelters }) {
  const form = new Form({ columns: 2 });
  form.select("item", t("ops.dispatch.item"), ITEMS.map((v) => ({ value: v, label: t(`ops.dispatch.i_${v}`) })), { required: true });
  form.text("quantity", t("ops.dispatch.quantity"), { type: "number", min: "0", step: "any", required: true });
  form.select("community_code", t("ops.dispatch.community"), [{ value: "", label: "—" }, ...communities.map((c) => ({ value: c.code, label: c.name || c.code }))]);
  form.select("shelter_fid", t("ops.dispatch.shelter"), [{ value: "", label: "—" }, ...shelters.map((s) => ({ value: s.id, label: s.name || s.id }))]);
  form.text("note", t("ops.dispatch.note"), { span: true, maxlength: 2000 });
  return formDialog({
    title: t("ops.dispatch.title"),
    form,
    testid: "ops-dispatch-dialog",
    submitLabel: t("ops.dispatch.submit"),
    onSubmit: (v) =>
      api("POST", `/api/incidents/${inc.id}/dispatches`, {
        body: {
          item: v.item,
          quantity: v.quantity === "" ? null : Number(v.quantity),
          community_code: v.community_code || null,
          shelter_fid: v.shelter_fid || null,
          note: v.note,
        },
      }),
  });
}

export class Timeline {
  constructor(pane, inc, { canWrite, lists }) {
    this.inc = inc;
    this.entries = new Map();
    this.list = h("ol", { class: "ops-timeline", "data-testid": "ops-timeline" });
    const text = h("textarea", { class: "input", rows: "2", maxlength: "5000", placeholder: t("ops.tl.placeholder"), "data-testid": "ops-note-text", "aria-label": t("ops.tl.placeholder") });
    const kind = h("select", { class: "select ops-mini", "data-testid": "ops-note-kind", "aria-label": t("ops.tl.kind") }, ["note", "decision"].map((k) => h("option", { value: k }, t(`ops.tl.${k}`))));
    const add = h("button", { type: "submit", class: "btn btn-sm btn-primary", "data-testid": "ops-note-add" }, t("ops.tl.add"));
    this.text = text;
    const form = h("form", { class: "ops-note-form" }, text, h("div", { class: "ops-row" }, kind, add));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!text.value.trim()) return text.focus();
      add.disabled = true;
      try {
        this.add(await api("POST", `/api/incidents/${inc.id}/timeline`, { body: { kind: kind.value, text: text.value.trim() } }));
        text.value = "";
      } catch (err) {
        toast(problemMessage(err), "error");
      } finally {
        add.disabled = false;
      }
    });
    const lang = document.documentElement.lang === "en" ? "en" : "zh-CN";
    const links = h(
      "div",
      { class: "ops-row" },
      h("a", { class: "btn btn-sm", href: `/api/incidents/${inc.id}/report?lang=${lang}`, target: "_blank", rel: "noopener", "data-testid": "ops-report-html" }, t("ops.report.html")),
      h("a", { class: "btn btn-sm", href: `/api/incidents/${inc.id}/report.pdf?lang=${lang}`, "data-testid": "ops-report-pdf" }, t("ops.report.pdf")),
      canWrite
        ? h("button", {
            type: "button",
            class: "btn btn-sm",
            "data-testid": "ops-dispatch",
            onclick: async () => {
              try {
                const d = await dispatchDialog(inc, lists());
                if (d) toast(t("ops.dispatch.done"), "ok");
              } catch (err) {
                toast(problemMessage(err), "error");
              }
            },
          }, t("ops.dispatch.title"))
        : null,
    );
    replace(
      pane,
      h("div", { class: "ops-pane-head" }, h("h2", { class: "ops-pane-title" }, t("ops.tl.title")), h("span", { class: "spacer" }), links),
      canWrite && inc.status === "open" ? form : null,
      this.list,
    );
  }

  async load() {
    const out = await api("GET", `/api/incidents/${this.inc.id}/timeline`);
    for (const e of out.items) this.entries.set(e.id, e);
    this.render();
  }

  /** A new entry (from the API answer or the live event; repeats are ignored). */
  add(e) {
    if (!e || e.incident_id !== this.inc.id) return;
    this.entries.set(e.id, e);
    this.render();
  }

  focus() {
    this.text?.focus();
  }

  render() {
    const rows = [...this.entries.values()].sort((a, b) => b.id - a.id);
    replace(
      this.list,
      rows.map((e) =>
        h(
          "li",
          { class: `ops-tl kind-${e.kind}`, "data-testid": "ops-tl-entry", dataset: { kind: e.kind, id: String(e.id) } },
          h("time", { class: "mono", datetime: e.at }, formatDateTime(e.at).slice(-8)),
          h("strong", {}, has(`ops.tl.${e.kind}`) ? t(`ops.tl.${e.kind}`) : e.kind),
          h("span", { class: "ops-tl-text" }, e.text),
          h("span", { class: "muted" }, e.actor),
        ),
      ),
    );
  }
}
