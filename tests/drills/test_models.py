from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from drills.models import DrillPlan, check_references
from tests.drills.factory import SH, plan


def _err(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return str(exc.value)


def test_valid_plan_defaults_to_shanghai() -> None:
    p = plan(objectives=[{"id": "o1", "text": "Evacuate in 15 min", "capability": "evacuation"}])
    assert p.timezone == "Asia/Shanghai"
    assert p.local_start().utcoffset() == timedelta(hours=8)


def test_end_before_start_refused() -> None:
    with pytest.raises(ValidationError) as e:
        plan(hours=-1)
    assert "end_before_start" in _err(e)


def test_zero_length_refused() -> None:
    with pytest.raises(ValidationError) as e:
        plan(hours=0)
    assert "end_before_start" in _err(e)


def test_too_short_and_absurdly_long_refused() -> None:
    with pytest.raises(ValidationError, match="too_short"):
        plan(hours=0.05)
    with pytest.raises(ValidationError, match="too_long"):
        plan(hours=24 * 30)


def test_naive_datetime_refused_with_field() -> None:
    with pytest.raises(ValidationError) as e:
        plan(start=datetime(2026, 5, 12, 9, 0))
    errs = e.value.errors()
    assert {err["loc"][0] for err in errs} >= {"start"}
    assert "naive_datetime" in _err(e)


def test_unknown_timezone_refused() -> None:
    with pytest.raises(ValidationError, match="Mars/Olympus"):
        plan(timezone="Mars/Olympus")


def test_huge_text_and_extra_fields_refused() -> None:
    with pytest.raises(ValidationError) as e:
        plan(scenario="x" * 20_001)
    assert e.value.errors()[0]["loc"] == ("scenario",)
    with pytest.raises(ValidationError) as e:
        plan(title="t" * 201)
    assert e.value.errors()[0]["loc"] == ("title",)
    with pytest.raises(ValidationError) as e:
        plan(colour="red")
    assert e.value.errors()[0]["type"] == "extra_forbidden"


def test_inject_after_end_and_duplicate_objectives() -> None:
    with pytest.raises(ValidationError, match="inject_after_end"):
        plan(injects=[{"offset_minutes": 500, "text": "aftershock"}])
    o = {"id": "o1", "text": "x", "capability": "c"}
    with pytest.raises(ValidationError, match="duplicate_objective"):
        plan(objectives=[o, o])


class Lookup:
    def __init__(self, known: set[str]) -> None:
        self.known = known

    def _u(self, ids: list[str]) -> list[str]:
        return [i for i in ids if i not in self.known]

    unknown_communities = unknown_shelters = unknown_routes = _u
    unknown_teams = unknown_units = _u


def test_reference_check_names_unknown_ids() -> None:
    p = plan(community_ids=["c-1", "c-9"], team_ids=["t-1", "t-x"], route_ids=["r-1"])
    errs = check_references(p, Lookup({"c-1", "s-1", "u-eq", "t-1", "r-1"}))
    assert [(e.loc, e.params["ids"]) for e in errs] == [
        (("community_ids",), ["c-9"]),
        (("team_ids",), ["t-x"]),
    ]
    assert check_references(p, Lookup({"c-1", "c-9", "s-1", "u-eq", "t-1", "t-x", "r-1"})) == []
    bad = check_references(p, Lookup({"c-1", "c-9", "u-eq", "t-1", "t-x", "r-1"}))
    assert bad[0].loc == ("venue_shelter_id",) and bad[0].code == "unknown_reference"


def test_roundtrip_json() -> None:
    p = plan(start=datetime(2026, 1, 1, 10, tzinfo=SH))
    assert DrillPlan.model_validate_json(p.model_dump_json()) == p
