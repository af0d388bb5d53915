"""Static checks of the UI's words: every catalogue call in web/js passes exactly the
{placeholders} its message uses (in both languages), every key the code uses exists, and every
value of the enumerations that keys are built from (fault names, capabilities, audit actions,
permissions, drill types, layers, holidays, readiness inputs, ...) has its entry."""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path
from typing import get_args

import pytest

from tests.core.jsscan import HOLE, Call, array_literal, key_calls, tokenize

REPO = Path(__file__).resolve().parents[2]
WEB = REPO / "web"
LOCALES = ("en", "zh-CN")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
FILE_NAME = re.compile(r"\.(csv|geojson|json|js|png|svg|pdf|ics)$")

# Template keys that pass parameters: the values their ${hole} takes.
PARTIAL_HOLES: dict[str, list[str]] = {
    "drills.reminder.lead_{}": ["1h", "24h"],
    "health.{}_title": ["ack", "close"],
    "health.{}_many_title": ["ack", "close"],
    "health.{}_done": ["ack", "close"],
    "map.import_{}": ["repairs", "skipped", "notes"],
    "readiness.w.kit_{}": ["standard", "elderly", "infant", "disabled"],
    "ops.feed.incident_{}": ["opened", "updated", "closed"],
    "ops.intake.outcome_{}": ["new", "applied", "duplicate", "stale"],
}
# Audit actions built with an f-string: the values of the part the code fills in.
DYNAMIC_ACTIONS: dict[str, list[str]] = {
    "incident.{}": ["note", "decision"],
    "incident.autowall.{}": ["pin", "dismiss", "clear"],
    "alert.{}": ["ack", "close"],
    "gis.feature.{}": ["create", "update", "delete"],
}
# Parameters the client derives before formatting a server message (drills/common.js).
CLIENT_DERIVED = {"gap": "gap_hours", "min_gap": "min_gap_hours"}


@cache
def catalogue(locale: str) -> dict[str, str]:
    data = json.loads((WEB / "i18n" / f"{locale}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def placeholders(key: str, locale: str = "en") -> set[str]:
    return set(PLACEHOLDER.findall(catalogue(locale)[key]))


@cache
def sources() -> dict[str, str]:
    return {
        str(p.relative_to(WEB)): p.read_text(encoding="utf-8")
        for p in sorted((WEB / "js").rglob("*.js"))
    }


@cache
def calls() -> list[Call]:
    return [c for name, src in sources().items() for c in key_calls(name, src)]


def absent_from(keys: list[str]) -> list[str]:
    """Keys absent from either catalogue."""
    return sorted({k for k in keys for loc in LOCALES if k not in catalogue(loc)})


def missing(keys: list[str]) -> list[str]:
    """Keys absent from either catalogue, or (built from an enumeration) with placeholders."""
    gone = set(absent_from(keys))
    odd = {f"{k} has placeholders" for k in set(keys) - gone if placeholders(k)}
    return sorted(gone | odd)


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    """Both catalogues have the same keys, no empty message, and the same placeholders per key."""
    en, zh = catalogue("en"), catalogue("zh-CN")
    assert sorted(set(en) ^ set(zh)) == []
    for key in en:
        assert en[key].strip() and zh[key].strip(), f"empty message {key}"
        assert sorted(PLACEHOLDER.findall(en[key])) == sorted(PLACEHOLDER.findall(zh[key])), key
        for text in (en[key], zh[key]):
            # A brace that is not a {placeholder} is a typo ("{n" or "{ n }").
            assert text.count("{") == text.count("}") == len(PLACEHOLDER.findall(text)), key


def test_the_scanner_sees_the_calls() -> None:
    """The tokenizer finds the calls it is meant to judge (guards against a silent scan)."""
    found = calls()
    assert len(found) > 500
    health = [c for c in found if c.file == "js/ui/duration.js"]
    assert {frozenset(c.params or ()) for c in health} >= {frozenset({"n"}), frozenset({"h", "m"})}
    sample = 'x = t(a ? "k.one" : `k.${b}.two`, { n, m: f(1, 2), "q": 3 });'
    (call,) = key_calls("sample.js", sample)
    assert call.keys == [re.escape("k.one"), rf"k\.{HOLE}\.two"]
    assert call.params == frozenset({"n", "m", "q"})


def _check(call: Call, keys: list[str]) -> list[str]:
    if call.params is None:
        return []
    problems = []
    for key in keys:
        for loc in LOCALES:
            want = set(PLACEHOLDER.findall(catalogue(loc).get(key, "")))
            if want != set(call.params) and not (call.shared and want <= call.params):
                problems.append(
                    f"{call.file}:{call.line} {key} [{loc}] uses {sorted(want)}, "
                    f"the code passes {sorted(call.params)}"
                )
    return problems


def test_every_call_passes_the_placeholders_of_its_message() -> None:
    """t("key", {a, b}) passes exactly the placeholders "key" uses, in both languages."""
    problems: list[str] = []
    absent: list[str] = []
    for call in calls():
        for pattern in call.keys or []:
            if HOLE not in pattern:
                key = re.sub(r"\\(.)", r"\1", pattern)
                if key not in catalogue("en") or key not in catalogue("zh-CN"):
                    absent.append(f"{call.file}:{call.line} {key}")
                    continue
                problems += _check(call, [key])
                continue
            matched = [k for k in catalogue("en") if re.fullmatch(pattern, k)]
            if not matched:
                absent.append(f"{call.file}:{call.line} {pattern}")
                continue
            if call.params:
                # A template with parameters: the test knows the values its ${hole} takes.
                readable = re.sub(r"\\(.)", r"\1", pattern.replace(HOLE, "{}"))
                values = PARTIAL_HOLES.get(readable)
                assert values is not None, f"{call.file}:{call.line}: list the values of {readable}"
                expanded = [readable.replace("{}", v) for v in values]
                absent += [f"{call.file}:{call.line} {k}" for k in absent_from(expanded)]
                problems += _check(call, [k for k in expanded if k in catalogue("en")])
            # Without parameters: the enumeration tests below check each family's members.
    assert absent == [], "keys missing from the catalogues:\n" + "\n".join(absent)
    assert problems == [], "placeholders do not match:\n" + "\n".join(problems)


@cache
def server_event_types() -> set[str]:
    """Every event type the server publishes (bus.publish("type", ...) in the packages)."""
    found: set[str] = set()
    for pkg in ("console", "streams", "gis", "drills"):
        for path in (REPO / pkg).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            found |= set(re.findall(r"publish\(\s*(?:[\w.]+,\s*)?\"([a-z0-9_.]+)\"", text))
    assert {"drill.status", "readiness.score.changed"} <= found
    return found


def test_every_key_like_string_in_the_code_exists() -> None:
    """Keys handed around as strings (column lists, messagePanel, has()) exist in both."""
    permissions = _permissions()
    spaces = "|".join(sorted({k.split(".")[0] for k in catalogue("en")}))
    key_like = re.compile(rf"^(?:{spaces})\.[a-z0-9_.]*[a-z0-9_]$")
    absent = []
    for name, src in sources().items():
        toks = tokenize(src)
        for i, tok in enumerate(toks):
            if tok.kind != "str" or not key_like.match(tok.text) or FILE_NAME.search(tok.text):
                continue
            if i >= 2 and toks[i - 1].text == "(" and toks[i - 2].text == "onEvent":
                continue  # an event type, not a message
            if tok.text in server_event_types():
                continue  # compared with an event's type or handed to a feed
            if tok.text in permissions:
                continue  # can("drills.write")
            if tok.text not in catalogue("en") or tok.text not in catalogue("zh-CN"):
                absent.append(f"{name}:{tok.line} {tok.text}")
    assert absent == []


# ---- enumerations the code builds keys from ------------------------------------------------


def _py(path: str) -> ast.Module:
    return ast.parse((REPO / path).read_text(encoding="utf-8"))


def _strings(node: ast.AST) -> list[str]:
    return [
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def test_fault_names_and_scores_are_translated() -> None:
    """Every fault the diagnosis and packet health raise, and every score they report."""
    from streams.diagnosis import FAULTS

    health_src = (REPO / "streams/health.py").read_text(encoding="utf-8")
    packet_faults = re.findall(r"faults\.append\(\"(\w+)\"\)", health_src)
    assert {"low_fps", "stalls"} <= set(packet_faults)
    reasons = {*FAULTS, *packet_faults, "offline", "degraded"}
    assert missing([f"health.reason.{r}" for r in reasons]) == []
    offered = array_literal(sources()["js/pages/health/common.js"], "REASONS")
    assert reasons <= set(offered), "the fault filter must offer every fault"
    from streams.features import SCALARS

    scores: set[str] = set(SCALARS)  # what Features.scores() reports
    diagnosis = (REPO / "streams/diagnosis.py").read_text(encoding="utf-8")
    scores |= set(re.findall(r"last_scores\[\"(\w+)\"\]", diagnosis))
    assert {"brightness", "motion"} <= scores
    assert missing([f"health.score.{s}" for s in scores]) == []


def test_capabilities_drill_enums_and_layers_are_translated() -> None:
    """HSEEP capabilities, drill types, statuses, timeline kinds, ratings, conflicts, layers."""
    from console.api.schemas import UnitKind
    from console.auth.policy import Role
    from console.cameras.schemas import WatchMode
    from console.gis.router import LayerName
    from drills.aar import Rating
    from drills.conduct import EntryKind
    from drills.models import DrillType
    from drills.workflow import Status
    from gis.synth import KINDS

    capabilities = array_literal(sources()["js/pages/drills/capabilities.js"], "CAPABILITIES")
    demo = re.findall(r"\"capability\": \"(\w+)\"", (REPO / "console/drills/demo.py").read_text())
    assert demo and set(demo) <= set(capabilities)
    assert set(array_literal(sources()["js/pages/drills/common.js"], "TYPES")) == set(DrillType)
    layers = re.findall(r"id: \"(\w+)\"", sources()["js/pages/map/layers.js"])
    assert set(get_args(LayerName)) | {"cameras"} == set(layers)
    keys = [f"drills.capability.{c}" for c in capabilities]
    keys += [f"drills.type.{x}" for x in DrillType] + [f"drills.status.{x}" for x in Status]
    keys += [f"drills.kind.{x}" for x in EntryKind] + [f"drills.rating.{x}" for x in Rating]
    keys += [f"map.layer_{x}" for x in layers] + [f"map.kind_{x}" for x in KINDS]
    keys += [f"role.{r}" for r in Role] + [f"unit_kind.{k}" for k in get_args(UnitKind)]
    keys += [f"cameras.mode.{m}" for m in get_args(WatchMode)]
    assert missing(keys) == []
    conflicts = re.findall(
        r"\"(drills\.conflict\.\w+)\"", (REPO / "drills/schedule.py").read_text()
    )
    assert len(conflicts) >= 5 and absent_from(conflicts) == []


def test_server_conflict_parameters_fill_their_messages() -> None:
    """Each scheduling conflict the server explains carries the parameters its message needs."""
    found = 0
    for node in ast.walk(_py("drills/schedule.py")):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Conflict"):
            continue
        key = node.args[2]
        params = node.args[3]
        assert isinstance(key, ast.Constant) and isinstance(params, ast.Dict)
        given = {k.value for k in params.keys if isinstance(k, ast.Constant)}
        if any(k is None for k in params.keys):
            given.add("holiday")  # **_holiday(...)
        given |= {d for d, src in CLIENT_DERIVED.items() if src in given}
        for variant in (key.value, f"{key.value}_holiday"):
            if variant in catalogue("en"):
                need = placeholders(variant)
                if variant.endswith("_holiday") or "holiday" not in need:
                    assert need <= given, f"{variant} needs {sorted(need - given)}"
        found += 1
    assert found >= 5


def _audit_actions() -> set[str]:
    """Every action the server writes to the audit log (literals and f-strings expanded)."""
    actions: set[str] = set()
    name = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
    for path in sorted((REPO / "console").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if (
                node.func.attr not in ("record", "add")
                or "audit" not in ast.unparse(node.func.value).lower()
            ):
                continue
            for arg in node.args[:3]:
                if (
                    isinstance(arg, ast.Constant)
                    and isinstance(arg.value, str)
                    and name.match(arg.value)
                ):
                    actions.add(arg.value)
                elif isinstance(arg, ast.JoinedStr):
                    pattern = "".join(
                        v.value if isinstance(v, ast.Constant) else "{}" for v in arg.values
                    )
                    values = DYNAMIC_ACTIONS.get(pattern)
                    assert values is not None, f"{path}:{node.lineno}: list the values of {pattern}"
                    actions |= {pattern.replace("{}", v) for v in values}
    return actions


@cache
def _permissions() -> frozenset[str]:
    """Every permission the server knows (core, feature modules)."""
    import console.app  # noqa: F401  (registers the core routers' permissions)
    from console.auth.policy import RIGHTS
    from console.modules import installed_modules

    installed_modules()
    return frozenset(RIGHTS)


def test_audit_actions_and_permissions_are_translated() -> None:
    """Audit rows show actions in words; refusals (action = permission) name the permission."""
    permissions = _permissions()
    actions = _audit_actions()
    assert {
        "auth.login",
        "live.start",
        "drill.create",
        "alert.ack",
        "gis.feature.delete",
    } <= actions
    assert missing([f"audit.action.{a}" for a in actions]) == []
    assert {"cameras.status", "people.read", "walls.share"} <= permissions
    assert missing([f"perm.{p}" for p in permissions]) == []


def test_holiday_names_have_entries_in_both_languages() -> None:
    """Every holiday the server names (drills.holidays.NAMES, sent as holiday_key) shows in
    the UI language, not as the data spells it."""
    from drills.holidays import NAMES

    assert NAMES
    assert missing([f"drills.holiday.{key}" for key in NAMES]) == []


def test_readiness_inputs_are_written_in_words() -> None:
    """Every input behind a readiness component is covered by a sentence or has a label."""
    from gis.readiness import COMPONENTS, KIT_CATEGORIES

    words = sources()["js/pages/readiness/words.js"]
    covered = {
        comp: set(re.findall(r"\"(\w+)\"", body))
        for comp, body in re.findall(r"^  (\w+): \[(.*?)\],?$", words, re.M | re.S)
    }
    assert set(covered) == set(COMPONENTS)
    assert array_literal(words, "KIT_CATEGORIES") == list(KIT_CATEGORIES)
    explain = next(
        n
        for n in ast.walk(_py("gis/readiness.py"))
        if isinstance(n, ast.FunctionDef) and n.name == "explain"
    )
    parts = next(
        n.value
        for n in ast.walk(explain)
        if isinstance(n, ast.AnnAssign) and getattr(n.target, "id", "") == "parts"
    )
    assert isinstance(parts, ast.Dict)
    for comp_key, value in zip(parts.keys, parts.values, strict=True):
        assert isinstance(comp_key, ast.Constant) and isinstance(value, ast.Tuple)
        inputs = value.elts[1]
        assert isinstance(inputs, ast.Dict)
        names = {k.value for k in inputs.keys if isinstance(k, ast.Constant)}
        uncovered = names - covered[comp_key.value]
        assert missing([f"readiness.in.{n}" for n in uncovered]) == [], comp_key.value
    keys = [f"readiness.c_{c}" for c in COMPONENTS] + [f"readiness.s_{c}" for c in COMPONENTS]
    keys += [f"readiness.w.kind_{c}" for c in KIT_CATEGORIES]
    assert missing(keys) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_durations_never_read_in_raw_hours(locale: str) -> None:
    """The duration messages say days in both languages (the class of "336 小时")."""
    assert "{n}" in catalogue(locale)["dur.d"] and "{d}" in catalogue(locale)["dur.dh"]
    used = [c for c in calls() if c.keys and any("health.dur_" in k for k in c.keys)]
    assert used == [], "durations go through web/js/ui/duration.js"
