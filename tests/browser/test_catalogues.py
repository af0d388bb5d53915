"""The zh-CN and en message catalogues cover every key the front end uses, with equal params."""

from __future__ import annotations

import json
import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"
LOCALES = ("zh-CN", "en")
KEY_PREFIXES = (
    "account|action|admin|app|audit|conn|error|login|nav|notify|ops|outcome|page|problem|role"
    "|shell|table|tokens|unit_kind|units|users|validation"
)
KEY_LITERAL = re.compile(rf"""["']((?:{KEY_PREFIXES})\.[a-z0-9_.-]+)["']""")
EVENT_LITERAL = re.compile(r"""onEvent\(\s*["']([^"']+)["']""")
# Permission names (nav `perms: [...]`, can("...")) look like keys but are not messages.
PERMS_ARRAY = re.compile(r"perms:\s*\[([^\]]*)\]")
PERM_CALL = re.compile(r"""\b(?:can|canAny|ifCan|hasPermission)\(\s*["']([^"']+)["']""")
FILE_NAME = re.compile(r"\.(csv|js|json|png|svg)$")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _catalogue(locale: str) -> dict[str, str]:
    data = json.loads((WEB / "i18n" / f"{locale}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _sources() -> dict[str, str]:
    return {str(p.relative_to(WEB)): p.read_text(encoding="utf-8") for p in WEB.rglob("*.js")}


def _js_array(source: str, name: str) -> list[str]:
    match = re.search(rf"{name}\s*=\s*\[(.*?)\]", source, re.DOTALL)
    assert match, f"{name} not found"
    return re.findall(r"""["']([^"']+)["']""", match.group(1))


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    """Every key exists in both languages, non-empty, with the same {placeholders}."""
    zh, en = (_catalogue(loc) for loc in LOCALES)
    assert sorted(set(zh) ^ set(en)) == []
    for key in en:
        assert zh[key].strip() and en[key].strip(), f"empty message {key}"
        assert set(PLACEHOLDER.findall(zh[key])) == set(PLACEHOLDER.findall(en[key])), key
    assert zh["app.name"] == "EOC 应急指挥平台"
    assert en["app.name"] == "EOC Console"


def test_every_key_used_in_the_code_is_translated() -> None:
    """Static keys in the JS and the keys built from enumerations all exist."""
    sources = _sources()
    events = {e for src in sources.values() for e in EVENT_LITERAL.findall(src)}
    for src in sources.values():
        events |= set(PERM_CALL.findall(src))
        for group in PERMS_ARRAY.findall(src):
            events |= set(re.findall(r"""["']([^"']+)["']""", group))
    used: dict[str, str] = {}
    for name, src in sources.items():
        for key in KEY_LITERAL.findall(src):
            if key not in events and not FILE_NAME.search(key):
                used.setdefault(key, name)
    assert len(used) > 100, "the key scan found suspiciously few keys"
    common = sources["js/pages/admin/common.js"]
    dynamic = [f"role.{r}" for r in _js_array(common, "ROLES")]
    dynamic += [f"unit_kind.{k}" for k in _js_array(common, "UNIT_KINDS")]
    dynamic += [f"outcome.{o}" for o in _js_array(sources["js/pages/admin/audit.js"], "OUTCOMES")]
    dynamic += [f"admin.{s}" for s in _js_array(sources["js/pages/admin.js"], "SECTIONS")]
    pages = re.findall(r"""id:\s*["'](\w+)["']""", sources["js/nav.js"])
    assert {"wall", "map", "drills", "health", "readiness", "admin"} <= set(pages)
    dynamic += [f"nav.{p}" for p in pages]
    for state in ("connected", "reconnecting", "offline"):
        dynamic += [f"conn.{state}", f"conn.{state}.hint"]
    dynamic += [f"tokens.{s}" for s in ("active", "revoked", "expired")]
    dynamic += ["shell.theme_dark", "shell.theme_light"]
    forms = sources["js/pages/admin/notify_forms.js"]
    dynamic += [f"notify.kind.{k}" for k in _js_array(forms, "KINDS")]
    dynamic += [f"notify.severity.{s}" for s in _js_array(forms, "SEVERITIES")]
    dynamic += [f"notify.delivery.{s}" for s in _js_array(forms, "STATUSES")]
    dynamic += [f"notify.exercise.{e}" for e in _js_array(forms, "EXERCISE")]
    dynamic += [f"notify.kindname.{k}" for k in _js_array(forms, "KIND_PRESETS")]
    dynamic += [f"notify.security.{s}" for s in ("starttls", "ssl", "none")]
    # Reasons a new password is refused (error types from console.auth.password_policy).
    dynamic += [
        f"validation.password_{r}" for r in ("too_short", "has_username", "common", "guessable")
    ]
    for locale in LOCALES:
        catalogue = _catalogue(locale)
        missing = sorted(k for k in [*used, *dynamic] if k not in catalogue)
        assert missing == [], f"{locale} lacks {missing}"


def test_no_chinese_strings_outside_the_catalogues() -> None:
    """Page modules render text through t(): no CJK literals hide in the JS."""
    cjk = re.compile(r"[\u4e00-\u9fff]")
    # boot failure text, the language names
    allowed = {"js/main.js", "js/ui/widgets.js"}
    offenders = [n for n, s in _sources().items() if cjk.search(s) and n not in allowed]
    assert offenders == [], f"Chinese text outside the catalogues in {offenders}"
