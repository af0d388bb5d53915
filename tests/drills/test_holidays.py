"""Holidays and working days from the packages; blackouts in the site's zone; provisional years."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from drills.holidays import HolidayCalendar
from drills.schedule import ConflictKind, ScheduleRules, find_conflicts
from tests.conftest import login
from tests.drills.api import plan_body
from tests.drills.factory import SH, plan

BERLIN = ZoneInfo("Europe/Berlin")
CAL = HolidayCalendar(SH)


def test_make_up_working_days_2026() -> None:
    # State Council schedule for 2026: Sunday 20 Sept and Saturday 10 Oct are working days.
    assert CAL.is_workday(date(2026, 9, 20)) and CAL.is_workday(date(2026, 10, 10))
    assert not CAL.is_workday(date(2026, 10, 5))  # a Monday inside the National Day break
    assert not CAL.is_workday(date(2026, 9, 19))  # an ordinary Saturday
    assert CAL.is_workday(date(2026, 10, 8))
    holidays, makeup = CAL.year(2026)
    assert date(2026, 2, 14) in makeup and date(2026, 9, 20) in makeup
    assert {h.key for h in holidays} >= {"spring_festival", "national_day", "mid_autumn_festival"}
    assert not CAL.is_provisional(2026)


def test_years_not_published_are_provisional() -> None:
    assert CAL.is_provisional(2027)
    h = CAL.holiday(date(2027, 10, 1))
    assert h is not None and h.key == "national_day" and h.provisional
    # Spring Festival 2027 falls on 6 February (lunar new year), projected by `holidays`.
    sf = CAL.holiday(date(2027, 2, 6))
    assert sf is not None and sf.key == "spring_festival"
    # A Monday Qingming takes the weekend before it into the break.
    assert CAL.holiday(date(2027, 4, 3)) is not None and CAL.year_info(2027).provisional


def test_site_days_and_no_national_holidays() -> None:
    own = HolidayCalendar(SH, national=False, site_days={date(2027, 3, 1): "校庆"})
    assert own.holiday(date(2026, 10, 1)) is None
    h = own.holiday(date(2027, 3, 1))
    assert h is not None and (h.key, h.name) == ("site", "校庆") and not own.is_workday(h.day)


def _rules() -> ScheduleRules:
    days = CAL.blackouts(range(2026, 2028))
    return ScheduleRules(
        blackout_dates=frozenset(days),
        blackout_names={d: h.name for d, h in days.items()},
        blackout_keys={d: h.key for d, h in days.items()},
        provisional_years=frozenset({2027}),
        zone=SH,
        calendar=CAL,
    )


def test_berlin_drill_on_china_national_day_is_flagged() -> None:
    # 30 Sept 20:00 in Berlin is 1 Oct 02:00 in Shanghai: the site's day is National Day.
    p = plan(start=datetime(2026, 9, 30, 20, tzinfo=BERLIN), timezone="Europe/Berlin")
    (c,) = find_conflicts("d", p, [], _rules())
    assert c.kind == ConflictKind.blackout and c.params["date"] == "2026-10-01"
    assert c.params["holiday_key"] == "national_day" and "provisional" not in c.params
    # And a Berlin morning on 1 Oct 2027 (afternoon in Shanghai), flagged as provisional.
    p = plan(start=datetime(2027, 10, 1, 9, tzinfo=BERLIN), timezone="Europe/Berlin")
    (c,) = find_conflicts("d", p, [], _rules())
    assert c.params["provisional"] is True and "provisional" in c.message_key + str(c.params)


def test_working_days_only_skips_holidays_and_keeps_make_up_days() -> None:
    # Every day from 18 Sept 2026: keeps Sunday 20 Sept (调休) and skips 1-7 Oct.
    p = plan(
        start=datetime(2026, 9, 18, 9, tzinfo=SH),
        rrule="FREQ=DAILY;COUNT=24",
        working_days_only=True,
    )
    from drills.expand import expand

    ex = expand(p, calendar=CAL)
    days = {s.date() for s in ex.starts}
    assert date(2026, 9, 20) in days and date(2026, 9, 19) not in days
    assert not any(date(2026, 10, 1) <= d <= date(2026, 10, 7) for d in days)
    assert date(2026, 10, 10) in days  # Saturday make-up working day
    assert len(ex.starts) + len(ex.skipped) == 24


@pytest.mark.asyncio
async def test_api_working_days_option_and_holiday_list(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    r = await client.post(
        "/api/drills",
        json={
            "id": "h",
            "plan": plan_body(start=datetime(2026, 10, 1, 9, tzinfo=SH), working_days_only=True),
        },
    )
    assert r.status_code == 422
    err = r.json()["errors"][0]
    assert (err["loc"], err["type"], err["holiday_key"]) == (
        "body.plan.start",
        "not_working_day",
        "national_day",
    )
    r = await client.post(
        "/api/drills",
        json={
            "id": "w",
            "plan": plan_body(
                start=datetime(2026, 9, 18, 9, tzinfo=SH),
                rrule="FREQ=DAILY;COUNT=24",
                working_days_only=True,
            ),
        },
    )
    assert r.status_code == 201 and r.json()["occurrence_count"] == 12, r.text
    r = await client.get("/api/drills/holidays?year=2027")
    body = r.json()
    assert body["provisional"] is True and "holidays" in body["source"]
    nd = [h for h in body["holidays"] if h["date"] == "2027-10-01"]
    assert nd[0]["key"] == "national_day" and nd[0]["name_zh"] == "国庆节" and nd[0]["provisional"]
    r = await client.get("/api/drills/holidays?year=2026")
    assert r.json()["provisional"] is False and "2026-09-20" in r.json()["workdays"]
    assert (await client.get("/api/drills/holidays?year=9999")).status_code == 422
