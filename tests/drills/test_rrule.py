"""One RRULE line: what is refused and why, UNTIL forms, bounded work, and dateutil agreement."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr

from drills import rrule as rr
from drills.errors import DrillError
from drills.expand import MAX_OCCURRENCES, expand
from tests.drills.factory import SH, plan

T0 = datetime(2027, 3, 3, 9, 0, tzinfo=SH)  # a Wednesday


def refused(text: str, start: datetime = T0) -> DrillError:
    with pytest.raises(DrillError) as e:
        rr.parse(text, start, start.tzinfo)  # type: ignore[arg-type]
    assert e.value.loc == ("rrule",)
    return e.value


@pytest.mark.parametrize(
    "text,code",
    [
        # Two lines: the shapes that once broke every feed.
        ("FREQ=WEEKLY;COUNT=3\nRDATE:20270310T090000", "rrule_multiline"),
        ("FREQ=WEEKLY;COUNT=3\r\nRDATE:20270310T090000", "rrule_multiline"),
        ("DTSTART:20270303T090000\nRRULE:FREQ=WEEKLY", "rrule_multiline"),
        ("FREQ=WEEKLY;COUNT=3\r", "rrule_multiline"),
        ("DTSTART:20270303T090000;FREQ=WEEKLY", "rrule_not_one_rule"),
        ("RDATE:20270310T090000", "rrule_not_one_rule"),
        ("EXDATE:20270310T090000", "rrule_not_one_rule"),
        # Sub-daily and per-hour parts.
        ("FREQ=HOURLY;COUNT=3", "rrule_subdaily"),
        ("FREQ=MINUTELY", "rrule_subdaily"),
        ("FREQ=SECONDLY;INTERVAL=30", "rrule_subdaily"),
        ("FREQ=DAILY;BYHOUR=9,15", "rrule_unsupported"),
        ("FREQ=DAILY;BYMINUTE=0", "rrule_unsupported"),
        ("FREQ=YEARLY;BYWEEKNO=20", "rrule_unsupported"),
        ("FREQ=YEARLY;BYYEARDAY=100", "rrule_unsupported"),
        # COUNT with UNTIL, and rules that never occur.
        ("FREQ=DAILY;COUNT=3;UNTIL=20270401T000000Z", "rrule_count_and_until"),
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "rrule_no_occurrence"),
        ("FREQ=MONTHLY;BYMONTH=4,6,9,11;BYMONTHDAY=31", "rrule_no_occurrence"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-30", "rrule_no_occurrence"),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6", "rrule_no_occurrence"),
        ("FREQ=WEEKLY;BYDAY=SA;UNTIL=20270305", "rrule_no_occurrence"),
        # Malformed.
        ("FREQ=SOMETIMES", "rrule_value"),
        ("COUNT=3", "rrule_freq_missing"),
        ("FREQ=DAILY;FREQ=WEEKLY", "rrule_duplicate"),
        ("FREQ=DAILY;COLOR=RED", "rrule_part"),
        ("FREQ=DAILY;;COUNT", "rrule_part"),
        ("FREQ=DAILY;COUNT=0", "rrule_value"),
        ("FREQ=DAILY;COUNT=1,2", "rrule_value"),
        ("FREQ=DAILY;INTERVAL=-1", "rrule_value"),
        ("FREQ=WEEKLY;BYDAY=XX", "rrule_value"),
        ("FREQ=WEEKLY;BYDAY=2MO", "rrule_value"),
        ("FREQ=WEEKLY;BYMONTHDAY=1", "rrule_value"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "rrule_value"),
        ("FREQ=MONTHLY;BYMONTH=13", "rrule_value"),
        ("FREQ=MONTHLY;BYSETPOS=1", "rrule_value"),
        ("FREQ=DAILY;WKST=XX", "rrule_value"),
        ("FREQ=DAILY;UNTIL=2027-04-01", "rrule_until"),
        ("FREQ=DAILY;UNTIL=20270230", "rrule_until"),
        ("FREQ=DAILY;UNTIL=20270201T090000Z", "rrule_until_before_start"),
        ("FREQ=YEARLY;UNTIL=99991231T000000Z", "date_out_of_range"),
    ],
)
def test_refused_with_a_code_and_a_sentence(text: str, code: str) -> None:
    err = refused(text)
    assert err.code == code, err
    assert not err.message.startswith(code), "every code has a sentence"


def test_until_forms_are_normalised_to_utc() -> None:
    # What the recurrence picker builds: local end of day, in UTC (RFC 5545 with a TZID start).
    ui = rr.parse("FREQ=WEEKLY;UNTIL=20270630T155959Z", T0, SH)
    assert ui.until == datetime(2027, 6, 30, 15, 59, 59, tzinfo=UTC)
    # A bare date means that whole day in the plan's zone; a floating time is the plan's zone.
    day = rr.parse("FREQ=WEEKLY;UNTIL=20270630", T0, SH)
    floating = rr.parse("RRULE:freq=weekly;until=20270630T235959", T0, SH)
    assert day.until == floating.until == ui.until
    assert day.text() == "FREQ=WEEKLY;UNTIL=20270630T155959Z"
    # The old picker's form (23:59:59 UTC) is accepted too.
    assert rr.parse("FREQ=WEEKLY;UNTIL=20270630T235959Z", T0, SH).until is not None
    # The last Wednesday before 1 July is 30 June: included.
    days = [s.date().isoformat() for s in expand(plan(start=T0, rrule=day.text())).starts]
    assert days[-1] == "2027-06-30" and len(days) == 18


def test_plan_stores_the_normalised_rule() -> None:
    p = plan(start=T0, rrule=" rrule:byday=we,mo;freq=weekly;until=20270331 ")
    assert p.rrule == "FREQ=WEEKLY;UNTIL=20270331T155959Z;BYDAY=MO,WE"


def test_dtstart_is_the_first_occurrence_and_counts() -> None:
    # Wednesday start, Monday rule: DTSTART plus two Mondays (RFC 5545 3.8.5.3).
    starts = expand(plan(start=T0, rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=3")).starts
    assert [s.day for s in starts] == [3, 8, 15]
    # A matching DTSTART is not doubled.
    starts = expand(plan(start=T0, rrule="FREQ=WEEKLY;BYDAY=WE;COUNT=3")).starts
    assert [s.day for s in starts] == [3, 10, 17]


def test_cap_and_horizon() -> None:
    weekdays = expand(plan(start=T0, rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"))
    assert weekdays.capped and len(weekdays.starts) == MAX_OCCURRENCES
    yearly = expand(plan(start=T0, rrule="FREQ=YEARLY"))
    assert yearly.capped and len(yearly.starts) == rr.HORIZON_YEARS + 1
    assert not expand(plan(start=T0, rrule="FREQ=YEARLY;COUNT=5")).capped
    assert not expand(plan(start=T0, rrule="FREQ=YEARLY;UNTIL=20300101")).capped


def test_impossible_rule_costs_a_bounded_number_of_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    # 30 February once walked to the year 9999 (19-25 s); now it stops at the horizon.
    calls = 0
    real = rr._period

    def counting(*a: object) -> object:
        nonlocal calls
        calls += 1
        return real(*a)  # type: ignore[arg-type]

    monkeypatch.setattr(rr, "_period", counting)
    refused("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30")
    assert calls <= 366 * rr.HORIZON_YEARS + 3
    calls = 0
    refused("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;UNTIL=20270401")
    assert calls <= 40, "UNTIL bounds the walk even when nothing matches"


def _random_rule(rnd: random.Random) -> str:
    freq = rnd.choice(rr.FREQS)
    parts = [f"FREQ={freq}"]
    if rnd.random() < 0.4:
        parts.append(f"INTERVAL={rnd.randint(1, 4)}")
    if rnd.random() < 0.5:
        days = rnd.sample(rr.DAYS, rnd.randint(1, 3))
        if freq in ("MONTHLY", "YEARLY") and rnd.random() < 0.5:
            days = [f"{rnd.choice([1, 2, 3, -1, -2, 4])}{d}" for d in days]
        parts.append("BYDAY=" + ",".join(days))
    if freq != "WEEKLY" and rnd.random() < 0.4:
        vals = [
            rnd.choice([1, 2, 13, 15, 28, 29, 30, 31, -1, -2]) for _ in range(rnd.randint(1, 2))
        ]
        parts.append("BYMONTHDAY=" + ",".join(map(str, vals)))
    if rnd.random() < 0.3:
        parts.append("BYMONTH=" + ",".join(str(rnd.randint(1, 12)) for _ in range(2)))
    if rnd.random() < 0.2 and len(parts) > 1:
        parts.append(f"BYSETPOS={rnd.choice([1, -1, 2])}")
    if freq == "WEEKLY" and rnd.random() < 0.3:
        parts.append(f"WKST={rnd.choice(rr.DAYS)}")
    parts.append(f"COUNT={rnd.randint(1, 30)}")
    return ";".join(parts)


def test_agrees_with_dateutil_on_random_rules() -> None:
    """An independent expander (dateutil, what vobject and many clients use) on 600 rules."""
    rnd = random.Random(20261207)
    zone = ZoneInfo("Europe/Berlin")
    checked = 0
    while checked < 600:
        text = _random_rule(rnd)
        start = datetime(rnd.randint(2026, 2030), rnd.randint(1, 12), rnd.randint(1, 28), 9)
        try:
            rule = rr.parse(text, start.replace(tzinfo=zone), zone)
        except DrillError:
            continue
        checked += 1
        mine = list(rr.occurrences(rule, start, zone))
        without_count = ";".join(p for p in text.split(";") if not p.startswith("COUNT"))
        theirs = rrulestr(without_count, dtstart=start).between(start, rr.horizon(start), inc=True)
        ref = [start, *[d for d in theirs if d != start]][: rule.count]
        assert mine == ref, (text, start)


def test_expansion_across_dst_keeps_wall_clock() -> None:
    ber = ZoneInfo("Europe/Berlin")
    p = plan(
        start=datetime(2027, 3, 24, 9, tzinfo=ber),
        timezone="Europe/Berlin",
        rrule="FREQ=WEEKLY;COUNT=2",
    )
    assert [s.utcoffset() for s in expand(p).starts] == [timedelta(hours=1), timedelta(hours=2)]
