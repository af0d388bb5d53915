from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar

from drills.ical import feed
from drills.models import Drill
from tests.drills.factory import SH, plan

NY = ZoneInfo("America/New_York")


def test_feed_parses_back() -> None:
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
    raw = feed([a, b], "Unit u-eq", now=datetime(2026, 5, 1, tzinfo=ZoneInfo("UTC")))
    cal = Calendar.from_ical(raw)
    tzids = {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}
    assert tzids == {"Asia/Shanghai", "America/New_York"}
    # icalendar's property unions are too wide to index; the assertions check the values.
    ev: dict[str, Any] = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert set(ev) == {"drill-d1@eoc.local", "drill-d2@eoc.local"}
    e1, e2 = ev["drill-d1@eoc.local"], ev["drill-d2@eoc.local"]
    assert str(e1["SUMMARY"]) == "Drill <A>, 社区疏散"
    assert int(e1["SEQUENCE"]) == 3
    assert str(e1["STATUS"]) == "CONFIRMED" and str(e2["STATUS"]) == "CANCELLED"
    start = e1.decoded("DTSTART")
    assert start == datetime(2026, 5, 12, 9, tzinfo=SH) and start.utcoffset() == timedelta(hours=8)
    assert e1["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert e1["RRULE"]["FREQ"] == ["WEEKLY"] and e1["RRULE"]["COUNT"] == [4]
    ex = e1["EXDATE"]
    ex_dts = [d.dt for d in (ex if isinstance(ex, list) else [ex])[0].dts]
    assert ex_dts == [datetime(2026, 5, 19, 9, tzinfo=SH)]
    assert e2.decoded("DTSTART").utcoffset() == timedelta(hours=-5)
    assert b"\r\n" in raw
