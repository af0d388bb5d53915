"""The iCalendar feed read back by two independent readers: icalendar and vobject (dateutil)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import vobject
from icalendar import Calendar

from drills.expand import expand
from drills.holidays import HolidayCalendar
from drills.ical import FeedItem, Venue, feed
from drills.models import Drill
from drills.vtimezone import vtimezone
from tests.drills.factory import SH, plan

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
UPDATED = datetime(2026, 4, 30, 8, 15, tzinfo=UTC)


def item(drill: Drill, **kw: Any) -> FeedItem:
    kw.setdefault("updated", UPDATED)
    return FeedItem(drill=drill, expansion=expand(drill.plan, calendar=kw.pop("cal", None)), **kw)


def vobject_starts(raw: bytes, uid: str) -> list[datetime]:
    """Occurrence starts as vobject (dateutil) expands them, in UTC."""
    cal = vobject.readOne(raw.decode())
    (ev,) = [e for e in cal.vevent_list if e.uid.value == uid]
    return [d.astimezone(UTC) for d in ev.getrruleset(addRDate=True)]


def test_feed_fields_for_subscribers() -> None:
    a = Drill(
        id="d1",
        status="scheduled",
        plan=plan(
            title="Drill <A>, 社区疏散",
            version=3,
            scenario="M6.5 quake; aftershocks",
            rrule="FREQ=WEEKLY;COUNT=4",
            exdates=[datetime(2026, 5, 19, 9, tzinfo=SH)],
        ),
    )
    b = Drill(
        id="d2",
        status="cancelled",
        plan=plan(start=datetime(2026, 11, 1, 9, tzinfo=NY), timezone="America/New_York"),
    )
    c = Drill(id="d3", status="submitted", plan=plan(start=datetime(2026, 6, 2, 9, tzinfo=SH)))
    venue = Venue("东山避难场所", "广州市越秀区东山路 1 号", lat=23.1305, lon=113.3005)
    raw = feed(
        [
            item(a, url="https://eoc.example/#/drills/d1", venue=venue),
            item(b),
            item(c, updated=UPDATED + timedelta(days=1)),
        ],
        "Unit u-eq",
    )
    assert raw == feed(
        [
            item(a, url="https://eoc.example/#/drills/d1", venue=venue),
            item(b),
            item(c, updated=UPDATED + timedelta(days=1)),
        ],
        "Unit u-eq",
    ), "the same drills give the same bytes (DTSTAMP does not move between fetches)"
    cal = Calendar.from_ical(raw)
    ev: dict[str, Any] = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    e1, e2, e3 = (ev[f"drill-d{i}@eoc.local"] for i in (1, 2, 3))
    assert e1.decoded("DTSTAMP") == UPDATED and e3.decoded("DTSTAMP") == UPDATED + timedelta(days=1)
    assert str(e1["SUMMARY"]) == "Drill <A>, 社区疏散" and int(e1["SEQUENCE"]) == 3
    assert [str(e["STATUS"]) for e in (e1, e2, e3)] == ["CONFIRMED", "CANCELLED", "TENTATIVE"]
    assert str(e1["LOCATION"]) == "东山避难场所, 广州市越秀区东山路 1 号"
    assert (e1["GEO"].latitude, e1["GEO"].longitude) == (23.1305, 113.3005)
    assert str(e1["URL"]) == "https://eoc.example/#/drills/d1"
    triggers = sorted(a.decoded("TRIGGER") for a in e1.walk("VALARM"))
    assert triggers == [timedelta(hours=-24), timedelta(hours=-1)]
    assert not e2.walk("VALARM"), "no reminders for a cancelled drill"
    start = e1.decoded("DTSTART")
    assert start == datetime(2026, 5, 12, 9, tzinfo=SH) and e1["DTSTART"].params["TZID"] == SH.key
    # COUNT becomes the UNTIL of the last occurrence (9 June 09:00 Shanghai = 01:00 UTC).
    assert e1["RRULE"]["UNTIL"] == [datetime(2026, 6, 2, 1, 0, tzinfo=UTC)]
    assert "COUNT" not in e1["RRULE"]
    # Time zones are rules, not lists of dates.
    zones = {str(tz["TZID"]): tz for tz in cal.walk("VTIMEZONE")}
    assert set(zones) == {"Asia/Shanghai", "America/New_York"}
    ny = zones["America/New_York"]
    assert {str(o.name) for o in ny.subcomponents} == {"STANDARD", "DAYLIGHT"}
    assert all("RRULE" in o and "RDATE" not in o for o in ny.subcomponents)
    assert b"\r\n" in raw
    # vobject reads the same occurrences (the exception removed).
    assert vobject_starts(raw, "drill-d1@eoc.local") == [
        s.astimezone(UTC) for s in expand(a.plan).starts
    ]


def test_berlin_summer_occurrences_keep_their_hour_in_vobject() -> None:
    # Weekly 09:00 Berlin across the March switch: vobject must see 08:00 UTC, then 07:00 UTC.
    d = Drill(
        id="ber",
        status="scheduled",
        plan=plan(
            start=datetime(2027, 3, 10, 9, tzinfo=BERLIN),
            timezone="Europe/Berlin",
            rrule="FREQ=WEEKLY;UNTIL=20271110",
        ),
    )
    raw = feed([item(d)], "Berlin")
    got = vobject_starts(raw, "drill-ber@eoc.local")
    ours = [s.astimezone(UTC) for s in expand(d.plan).starts]
    assert got == ours and len(got) == 36
    assert {s.astimezone(BERLIN).hour for s in got} == {9}
    assert got[0].hour == 8 and got[3].hour == 7 and got[-1].hour == 8  # 31 Mar: CEST
    summer = [s for s in got if s.astimezone(BERLIN).utcoffset() == timedelta(hours=2)]
    assert len(summer) == 31 and all(s.hour == 7 for s in summer)


def test_open_rule_stops_where_the_console_stops() -> None:
    # Weekdays, no end: the console caps at 366; subscribers must get the same 366, not 520.
    d = Drill(
        id="wk",
        status="approved",
        plan=plan(
            start=datetime(2027, 1, 4, 9, tzinfo=SH), rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
        ),
    )
    ours = expand(d.plan)
    assert ours.capped and len(ours.starts) == 366
    raw = feed([item(d)], "cap")
    assert vobject_starts(raw, "drill-wk@eoc.local") == [s.astimezone(UTC) for s in ours.starts]
    cal = Calendar.from_ical(raw)
    (ev,) = cal.walk("VEVENT")
    assert ev["RRULE"]["UNTIL"] == [ours.starts[-1].astimezone(UTC)]


def test_dtstart_off_rule_counts_first_everywhere() -> None:
    # A Wednesday start with a Monday rule: RFC 5545 counts DTSTART as the first of 3.
    d = Drill(
        id="off",
        status="scheduled",
        plan=plan(start=datetime(2027, 3, 3, 9, tzinfo=SH), rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=3"),
    )
    ours = [s.astimezone(UTC) for s in expand(d.plan).starts]
    assert [s.astimezone(SH).day for s in ours] == [3, 8, 15]
    assert vobject_starts(feed([item(d)], "x"), "drill-off@eoc.local") == ours


def test_working_days_only_skips_become_exdates() -> None:
    # Monthly on the 1st from September 2026 (Shanghai): 1 October is National Day.
    cal = HolidayCalendar(SH)
    d = Drill(
        id="wd",
        status="scheduled",
        plan=plan(
            start=datetime(2026, 9, 1, 9, tzinfo=SH),
            rrule="FREQ=MONTHLY;COUNT=6",
            working_days_only=True,
        ),
    )
    ex = expand(d.plan, calendar=cal)
    days = [s.date().isoformat() for s in ex.starts]
    # 1 Nov 2026 is a Sunday, 1 Oct National Day, 1 Jan New Year's Day.
    assert days == ["2026-09-01", "2026-12-01", "2027-02-01"]
    assert [s.date().isoformat() for s in ex.skipped] == ["2026-10-01", "2026-11-01", "2027-01-01"]
    raw = feed([item(d, cal=cal)], "wd")
    assert vobject_starts(raw, "drill-wd@eoc.local") == [s.astimezone(UTC) for s in ex.starts]


@pytest.mark.parametrize(
    "zone",
    ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Shanghai", "Europe/Dublin"],
)
def test_vtimezone_offsets_match_tzdata(zone: str) -> None:
    cal = vobject.readOne(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\n"
        + vtimezone(zone).to_ical().decode()
        + "END:VCALENDAR\r\n"
    )
    tz = cal.vtimezone.gettzinfo()
    ref = ZoneInfo(zone)
    at = datetime(2026, 1, 1, 0, 30)
    while at.year < 2029:
        # Compare wall times that exist unambiguously in the zone.
        aware = at.replace(tzinfo=ref)
        if aware.astimezone(UTC).astimezone(ref).replace(tzinfo=None) == at and not aware.fold:
            other = at.replace(tzinfo=ref, fold=1)
            if other.utcoffset() == aware.utcoffset():
                assert at.replace(tzinfo=tz).utcoffset() == aware.utcoffset(), (zone, at)
        at += timedelta(hours=7)
