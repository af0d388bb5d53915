from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from drills.errors import DrillError
from drills.models import DrillPlan
from drills.schedule import (
    ConflictKind,
    ScheduleRules,
    expand,
    find_conflicts,
    month_view,
    occurrences,
    reminders_due,
    week_view,
)
from tests.drills.factory import SH, drill, plan

T0 = datetime(2026, 5, 12, 9, 0, tzinfo=SH)
RULES = ScheduleRules(
    community_gap=timedelta(days=7), blackout_dates=frozenset({date(2026, 10, 1)})
)


def kinds(cs: list) -> set:  # type: ignore[type-arg]
    return {c.kind for c in cs}


def test_no_conflict_for_distant_separate_drill() -> None:
    other = drill(
        "d2", start=T0 + timedelta(days=30), community_ids=["c-2"], venue_shelter_id="s-2"
    )
    assert find_conflicts("d1", plan(start=T0), [other], RULES) == []


def test_venue_overlap() -> None:
    other = drill("d2", start=T0 + timedelta(hours=1), community_ids=["c-2"])
    cs = find_conflicts("d1", plan(start=T0), [other], RULES)
    assert [(c.kind, c.other_drill_id, c.params["shelter_id"]) for c in cs] == [
        (ConflictKind.venue, "d2", "s-1")
    ]
    # Back-to-back is not an overlap.
    other = drill("d2", start=T0 + timedelta(hours=2), community_ids=["c-2"])
    assert find_conflicts("d1", plan(start=T0), [other], RULES) == []


def test_team_and_evaluator_double_booked() -> None:
    other = drill(
        "d2",
        start=T0,
        community_ids=["c-2"],
        venue_shelter_id="s-2",
        team_ids=["t-1", "t-2"],
        evaluator_ids=["e-1"],
    )
    p = plan(start=T0 + timedelta(minutes=30), team_ids=["t-2"], evaluator_ids=["e-1", "e-3"])
    cs = find_conflicts("d1", p, [other], RULES)
    assert kinds(cs) == {ConflictKind.team, ConflictKind.evaluator}
    assert {c.params.get("team_id") or c.params.get("evaluator_id") for c in cs} == {"t-2", "e-1"}
    assert all(c.message_key.startswith("drills.conflict.") for c in cs)


def test_community_too_close() -> None:
    other = drill("d2", start=T0 + timedelta(days=3), venue_shelter_id="s-2")
    cs = find_conflicts("d1", plan(start=T0), [other], RULES)
    assert kinds(cs) == {ConflictKind.community}
    assert cs[0].params["community_id"] == "c-1" and cs[0].params["min_gap_hours"] == 168
    loose = ScheduleRules(community_gap=timedelta(days=1))
    assert find_conflicts("d1", plan(start=T0), [other], loose) == []


def test_blackout_date_in_plan_zone() -> None:
    # 1 Oct 2026 08:00 Shanghai is still 30 Sep in UTC: blackout is judged in the plan's zone.
    p = plan(start=datetime(2026, 10, 1, 8, tzinfo=SH))
    cs = find_conflicts("d1", p, [], RULES)
    assert [(c.kind, c.other_drill_id, c.params) for c in cs] == [
        (ConflictKind.blackout, None, {"date": "2026-10-01"})
    ]


def test_cancelled_draft_and_self_ignored() -> None:
    others = [
        drill("d1", start=T0),
        drill("d3", status="cancelled", start=T0),
        drill("d4", status="draft", start=T0),
    ]
    assert find_conflicts("d1", plan(start=T0), others, RULES) == []


def test_rrule_across_dst_berlin_keeps_wall_clock() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    p = plan(
        start=datetime(2026, 3, 20, 9, tzinfo=berlin),
        timezone="Europe/Berlin",
        rrule="FREQ=WEEKLY;COUNT=3",
    )
    starts = expand(p).starts
    assert [s.hour for s in starts] == [9, 9, 9]
    # Berlin switches to CEST on 29 March 2026.
    assert [s.utcoffset() for s in starts] == [
        timedelta(hours=1),
        timedelta(hours=1),
        timedelta(hours=2),
    ]
    assert [s.astimezone(ZoneInfo("UTC")).hour for s in starts] == [8, 8, 7]


def test_rrule_new_york_autumn_and_exdate() -> None:
    ny = ZoneInfo("America/New_York")
    p = plan(
        start=datetime(2026, 10, 25, 18, tzinfo=ny),
        timezone="America/New_York",
        rrule="RRULE:FREQ=WEEKLY;COUNT=3",
        exdates=[datetime(2026, 11, 1, 18, tzinfo=ny)],
    )
    starts = expand(p).starts
    assert [s.date() for s in starts] == [date(2026, 10, 25), date(2026, 11, 8)]
    assert [s.utcoffset() for s in starts] == [timedelta(hours=-4), timedelta(hours=-5)]
    occ = occurrences(p)
    assert all(e - s == timedelta(hours=2) for s, e in occ)


def test_rrule_shanghai_monthly_second_tuesday() -> None:
    p = plan(
        start=T0,
        rrule="FREQ=MONTHLY;BYDAY=2TU;COUNT=4",
        exdates=[datetime(2026, 6, 9, 1, tzinfo=ZoneInfo("UTC"))],
    )  # 09:00 Shanghai
    starts = expand(p).starts
    assert [s.date() for s in starts] == [date(2026, 5, 12), date(2026, 7, 14), date(2026, 8, 11)]
    assert all(s.utcoffset() == timedelta(hours=8) and s.hour == 9 for s in starts)


def test_infinite_rrule_capped() -> None:
    p = plan(start=T0, rrule="FREQ=DAILY")
    ex = expand(p, cap=50)
    assert ex.capped and len(ex.starts) == 50
    assert not expand(plan(start=T0, rrule="FREQ=DAILY;COUNT=5")).capped


@pytest.mark.parametrize(
    "bad,code",
    [
        ("FREQ=SOMETIMES", "rrule_value"),
        ("COUNT=3", "rrule_freq_missing"),
        ("FREQ=DAILY;BYHOUR=9", "rrule_unsupported"),
        ("garbage", "rrule_part"),
    ],
)
def test_bad_rrule_refused(bad: str, code: str) -> None:
    with pytest.raises(ValidationError) as v:
        plan(start=T0, rrule=bad)
    assert v.value.errors()[0]["loc"] == ("rrule",) and f"({code})" in str(v.value)
    # A row stored before validation existed is read, and expanding it says what is wrong.
    stored = DrillPlan.model_validate(
        {**plan(start=T0).model_dump(), "rrule": bad}, context={"stored": True}
    )
    with pytest.raises(DrillError) as e:
        expand(stored)
    assert e.value.code == code and e.value.loc == ("rrule",)


def test_month_and_week_views_with_filters() -> None:
    ds = [
        drill("a", start=T0, rrule="FREQ=WEEKLY;COUNT=10"),
        drill("b", start=T0 + timedelta(days=1), type="tabletop", community_ids=["c-2"]),
        drill("c", start=datetime(2026, 6, 1, 0, 30, tzinfo=SH), organising_unit="u-other"),
    ]
    may = month_view(ds, 2026, 5)
    assert [(d.id, s.day) for d, s in may] == [("a", 12), ("b", 13), ("a", 19), ("a", 26)]
    assert [d.id for d, _ in month_view(ds, 2026, 5, community="c-2")] == ["b"]
    assert [d.id for d, _ in month_view(ds, 2026, 5, type_="tabletop")] == ["b"]
    june = month_view(ds, 2026, 6, unit="u-other")
    assert [d.id for d, _ in june] == ["c"]
    assert [d.id for d, _ in month_view(ds, 2026, 12)] == []
    wk = week_view(ds, date(2026, 5, 11))
    assert [(d.id, s.day) for d, s in wk] == [("a", 12), ("b", 13)]


def test_reminders_once() -> None:
    ds = [
        drill("a", start=T0),
        drill("b", start=T0 + timedelta(days=2)),
        drill("c", status="cancelled", start=T0),
    ]
    now = T0 - timedelta(hours=3)
    due = reminders_due(ds, now, timedelta(hours=24), set())
    assert due == [("a", T0)]
    sent = {(i, s.isoformat()) for i, s in due}
    assert reminders_due(ds, now + timedelta(hours=1), timedelta(hours=24), sent) == []
    with pytest.raises(DrillError):
        reminders_due(ds, datetime(2026, 5, 12), timedelta(hours=1), set())


def test_conflict_found_on_a_later_occurrence() -> None:
    weekly = drill("d2", start=T0, rrule="FREQ=WEEKLY;COUNT=4", community_ids=["c-2"])
    p = plan(start=T0 + timedelta(days=14, minutes=30), community_ids=["c-3"])
    cs = find_conflicts("d1", p, [weekly], RULES)
    assert [(c.kind, c.params["at"]) for c in cs] == [(ConflictKind.venue, p.start.isoformat())]
    assert (
        find_conflicts(
            "d1",
            p.model_copy(
                update={"start": T0 + timedelta(days=15), "end": T0 + timedelta(days=15, hours=1)}
            ),
            [weekly],
            RULES,
        )
        == []
    )
    # A recurring plan is checked for blackout days on every occurrence.
    rec = plan(start=datetime(2026, 9, 17, 9, tzinfo=SH), rrule="FREQ=WEEKLY;COUNT=3")
    assert [c.params["date"] for c in find_conflicts("d1", rec, [], RULES)] == ["2026-10-01"]
