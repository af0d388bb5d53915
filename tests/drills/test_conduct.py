from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from drills.conduct import EntryKind, TimelineEntry, append_entry, measure
from drills.errors import DrillError
from tests.drills.factory import SH

T0 = datetime(2026, 5, 12, 9, 0, tzinfo=SH)
NOW = T0 + timedelta(hours=2)


def e(kind: str, minutes: float, **kw: object) -> TimelineEntry:
    return TimelineEntry.model_validate(
        {"kind": kind, "at": T0 + timedelta(minutes=minutes), "author_id": "u1", **kw}
    )


def run(*entries: TimelineEntry) -> list[TimelineEntry]:
    tl: list[TimelineEntry] = []
    for x in entries:
        tl = append_entry(tl, x, NOW)
    return tl


def test_measures() -> None:
    tl = run(
        e("alarm_sounded", 0),
        e("evacuation_started", 1),
        e("note", 2, text="stairs blocked"),
        e("incident", 5, text="twisted ankle"),
        e("assembly_complete", 12.5),
        e("head_count", 13, count=300),
        e("head_count", 20, count=342),
        e("all_clear", 40),
    )
    m = measure(tl, expected_residents=400)
    assert m.evacuation_seconds == 750.0
    assert m.all_clear_seconds == 2400.0
    assert m.head_count == 342 and m.participation_rate == 0.855
    assert m.incidents == 1


def test_partial_timeline_measures() -> None:
    m = measure(run(e("alarm_sounded", 0)), expected_residents=0)
    assert m.evacuation_seconds is None and m.participation_rate is None


def test_future_entry_refused_small_skew_allowed() -> None:
    run(TimelineEntry(kind=EntryKind.note, at=NOW + timedelta(seconds=10), author_id="o"))
    with pytest.raises(DrillError) as ex:
        run(TimelineEntry(kind=EntryKind.note, at=NOW + timedelta(minutes=5), author_id="o"))
    assert ex.value.code == "entry_in_future" and ex.value.loc == ("at",)


def test_out_of_order_missing_and_repeated_milestones() -> None:
    with pytest.raises(DrillError) as ex:
        run(e("alarm_sounded", 10), e("evacuation_started", 5))
    assert ex.value.code == "milestone_out_of_order"
    with pytest.raises(DrillError) as ex:
        run(e("assembly_complete", 10))
    assert ex.value.code == "milestone_missing" and ex.value.params["missing"] == "alarm_sounded"
    with pytest.raises(DrillError) as ex:
        run(e("alarm_sounded", 0), e("alarm_sounded", 1))
    assert ex.value.code == "milestone_repeated"
    # Notes may be back-dated; the timeline stays sorted.
    tl = run(e("alarm_sounded", 5), e("note", 1))
    assert [x.kind for x in tl] == [EntryKind.note, EntryKind.alarm_sounded]


def test_entry_validation() -> None:
    with pytest.raises(ValidationError, match="count_mismatch"):
        e("head_count", 1)
    with pytest.raises(ValidationError, match="count_mismatch"):
        e("note", 1, count=3)
    with pytest.raises(ValidationError, match="naive_datetime"):
        TimelineEntry.model_validate({"kind": "note", "at": datetime(2026, 1, 1), "author_id": "u"})
    with pytest.raises(ValidationError) as ex:
        e("note", 1, text="x" * 4001)
    assert ex.value.errors()[0]["loc"] == ("text",)
