// The signed-in user's own account: changing the password (the current one is required).

import { api } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { setSession } from "./session.js";
import { formDialog } from "./ui/dialog.js";
import { Form, FieldError } from "./ui/form.js";
import { toast } from "./ui/toast.js";

/** Open the "change my password" dialog; resolves true once the password was changed. */
export function changePasswordDialog() {
  const form = new Form({ columns: 1 });
  form.text("current_password", t("account.current_password"), {
    type: "password",
    required: true,
    autocomplete: "current-password",
  });
  form.text("new_password", t("account.new_password"), {
    type: "password",
    required: true,
    autocomplete: "new-password",
    hint: t("account.password_rules"),
  });
  form.text("confirm", t("account.confirm_password"), {
    type: "password",
    required: true,
    autocomplete: "new-password",
  });
  return formDialog({
    title: t("account.change_password"),
    intro: h("p", { class: "muted" }, t("account.change_hint")),
    form,
    narrow: true,
    submitLabel: t("account.change_password"),
    testid: "own-password-dialog",
    onSubmit: async (v) => {
      if (!v.current_password) throw new FieldError("current_password", t("validation.missing"));
      if (v.new_password !== v.confirm) {
        throw new FieldError("confirm", t("validation.mismatch"));
      }
      const session = await api("POST", "/api/auth/password", {
        body: { current_password: v.current_password, new_password: v.new_password },
      });
      setSession(session);
      toast(t("account.password_changed"));
      return true;
    },
  });
}
