// Camera import dialog: file, format, dry run / partial / upsert; shows the row error report.

import { api, ApiError, problemMessage } from "../../api.js";
import { h, replace } from "../../dom.js";
import { t } from "../../i18n.js";
import { icon } from "../../ui/icons.js";

/** The import format a file name suggests ("" when it does not say). */
export function formatOf(name) {
  const lower = String(name || "").toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".geojson") || lower.endsWith(".json")) return "geojson";
  return "";
}

/** POST the raw file; resolves {ok, report} (ok=false: rejected, nothing imported). */
async function upload(file, params) {
  // The JSON helper cannot send a raw body, so fetch directly with the session's CSRF token.
  const session = await api("GET", "/api/auth/session");
  const qs = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
  let response;
  try {
    response = await fetch(`/api/cameras/import?${qs}`, {
      method: "POST",
      headers: {
        Accept: "application/json, application/problem+json",
        "Content-Type": params.format === "csv" ? "text/csv" : "application/geo+json",
        "X-CSRF-Token": session.csrf_token || "",
      },
      body: file,
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, { detail: t("error.network") });
  }
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : {};
  if (response.ok) return { ok: true, report: data };
  if (response.status === 422 && data.report)
    return { ok: false, report: data.report, problem: data };
  throw new ApiError(response.status, data);
}

/** Open the import dialog; `onEvent` shows progress of big imports. Resolves when closed. */
export function importDialog({ onEvent }) {
  return new Promise((resolve) => {
    const titleId = "camera-import-title";
    const dialog = h("dialog", {
      class: "dialog wide",
      "aria-labelledby": titleId,
      "data-testid": "import-dialog",
    });
    let imported = false;
    // The native picker's button speaks the browser's language; ours speaks the console's.
    const file = h("input", {
      type: "file",
      id: "import-file",
      name: "file",
      class: "visually-hidden",
      "aria-labelledby": "import-file-label",
      accept: ".csv,.geojson,.json,text/csv,application/geo+json",
      "data-testid": "import-file",
    });
    const fileName = h("span", { class: "muted file-name" }, t("cameras.import_no_file_chosen"));
    const picker = h(
      "label",
      { class: "file-pick", for: "import-file" },
      file,
      h("span", { class: "btn btn-sm", "aria-hidden": "true" }, t("cameras.import_choose")),
      fileName,
    );
    const format = h(
      "select",
      { class: "select", id: "import-format", name: "format", "data-testid": "import-format" },
      h("option", { value: "csv" }, t("cameras.format_csv")),
      h("option", { value: "geojson" }, t("cameras.format_geojson")),
    );
    file.addEventListener("change", () => {
      replace(fileName, file.files[0]?.name || t("cameras.import_no_file_chosen"));
      const guess = formatOf(file.files[0]?.name);
      if (guess) format.value = guess;
    });
    const option = (name, checked = false) => {
      const input = h("input", {
        type: "checkbox",
        name,
        checked,
        "data-testid": `import-${name}`,
      });
      return [
        input,
        h(
          "label",
          { class: "switch" },
          input,
          h(
            "span",
            {},
            h("strong", {}, t(`cameras.import_${name}`)),
            " ",
            h("span", { class: "muted" }, t(`cameras.import_${name}_hint`)),
          ),
        ),
      ];
    };
    const [dry, dryLabel] = option("dry_run", true);
    const [partial, partialLabel] = option("partial");
    const [upsert, upsertLabel] = option("upsert");
    const result = h("div", {
      class: "import-result",
      "data-testid": "import-report",
      "aria-live": "polite",
    });
    const progress = h("span", { class: "muted" });
    const submit = h(
      "button",
      { type: "submit", class: "btn btn-primary", "data-testid": "import-submit" },
      t("cameras.import_run"),
    );
    const close = () => dialog.close();
    const form = h(
      "form",
      { novalidate: true },
      h(
        "div",
        { class: "dialog-head" },
        h("h2", { id: titleId }, t("cameras.import")),
        h(
          "button",
          { type: "button", class: "icon-btn", "aria-label": t("action.close"), onclick: close },
          icon("close"),
        ),
      ),
      h(
        "div",
        { class: "dialog-body" },
        h("p", { class: "muted" }, t("cameras.import_intro")),
        h(
          "div",
          { class: "form-grid" },
          h(
            "div",
            { class: "field" },
            h("span", { class: "label", id: "import-file-label" }, t("cameras.import_file")),
            picker,
          ),
          h(
            "div",
            { class: "field" },
            h("label", { for: format.id }, t("cameras.import_format")),
            format,
          ),
          h(
            "fieldset",
            { class: "field span-2 import-options" },
            h("legend", {}, t("cameras.import_options")),
            dryLabel,
            partialLabel,
            upsertLabel,
          ),
        ),
        result,
      ),
      h(
        "div",
        { class: "dialog-foot" },
        progress,
        h("span", { class: "spacer" }),
        h("button", { type: "button", class: "btn", onclick: close }, t("action.close")),
        submit,
      ),
    );

    function report(ok, r, problem) {
      const rows = r.errors || [];
      let summary;
      if (!ok) summary = t("cameras.import_rejected", { count: rows.length });
      else if (r.dry_run)
        summary = t("cameras.import_dry", {
          created: r.created,
          updated: r.updated,
          skipped: r.skipped,
        });
      else
        summary = t("cameras.import_done", {
          created: r.created,
          updated: r.updated,
          skipped: r.skipped,
        });
      replace(
        result,
        h(
          "div",
          {
            class: `alert ${ok && !rows.length ? "info" : ok ? "warn" : ""}`,
            role: "alert",
            "data-testid": "import-summary",
            dataset: { ok: String(ok) },
          },
          summary,
          !ok && problem?.detail ? h("div", { class: "muted small" }, problem.detail) : null,
        ),
        rows.length
          ? h(
              "div",
              { class: "table-wrap import-errors" },
              h(
                "table",
                { class: "data", "data-testid": "import-errors" },
                h(
                  "thead",
                  {},
                  h(
                    "tr",
                    {},
                    ["row", "field", "message"].map((c) =>
                      h("th", { scope: "col" }, t(`cameras.import_col.${c}`)),
                    ),
                  ),
                ),
                h(
                  "tbody",
                  {},
                  rows.map((e) =>
                    h(
                      "tr",
                      { dataset: { row: String(e.row) } },
                      h("td", { class: "mono num" }, String(e.row)),
                      h("td", { class: "mono" }, e.loc || "—"),
                      h("td", { class: "wrap" }, e.msg),
                    ),
                  ),
                ),
              ),
            )
          : null,
      );
    }

    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const chosen = file.files[0];
      if (!chosen) {
        replace(result, h("div", { class: "alert", role: "alert" }, t("cameras.import_no_file")));
        file.focus();
        return;
      }
      submit.disabled = true;
      replace(progress, t("cameras.import_running"));
      try {
        const out = await upload(chosen, {
          format: format.value,
          partial: partial.checked,
          upsert: upsert.checked,
          dry_run: dry.checked,
        });
        report(out.ok, out.report, out.problem);
        if (out.ok && !out.report.dry_run) imported = true;
      } catch (err) {
        replace(result, h("div", { class: "alert", role: "alert" }, problemMessage(err)));
      } finally {
        submit.disabled = false;
        replace(progress);
      }
    });
    const off = onEvent("camera.import.progress", (p) => {
      if (submit.disabled)
        replace(progress, t("cameras.import_progress", { done: p.done, total: p.total }));
    });
    dialog.addEventListener("close", () => {
      off();
      dialog.remove();
      resolve(imported);
    });
    dialog.append(form);
    document.body.append(dialog);
    dialog.showModal();
    file.focus();
  });
}
