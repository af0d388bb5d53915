"""iCalendar (RFC 5545) feed for a list of drills, with VTIMEZONE, UID, SEQUENCE, RRULE."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from icalendar import Calendar, Event, vRecur

from drills.models import Drill
from drills.workflow import Status

PRODID = "-//EOC Console//Drills//EN"


def drill_event(drill: Drill, domain: str, stamp: datetime) -> Event:
    """One VEVENT for a drill; times carry TZID of the plan's zone."""
    p = drill.plan
    z = p.zone
    ev = Event()
    ev.add("uid", f"drill-{drill.id}@{domain}")
    ev.add("dtstamp", stamp.astimezone(UTC))
    ev.add("summary", p.title)
    ev.add("dtstart", p.start.astimezone(z))
    ev.add("dtend", p.end.astimezone(z))
    ev.add("sequence", p.version)
    ev.add("location", p.venue_shelter_id)
    ev.add("categories", [p.type.value])
    if p.scenario:
        ev.add("description", p.scenario)
    ev.add("status", "CANCELLED" if drill.status == Status.cancelled else "CONFIRMED")
    if p.rrule:
        ev.add("rrule", vRecur.from_ical(p.rrule.removeprefix("RRULE:")))
        for ex in p.exdates:
            ev.add("exdate", ex.astimezone(z))
    return ev


def feed(
    drills: Sequence[Drill], name: str, domain: str = "eoc.local", now: datetime | None = None
) -> bytes:
    """Serialise drills as a subscribable calendar (bytes, CRLF line endings)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    stamp = now or datetime.now(UTC)
    for d in drills:
        cal.add_component(drill_event(d, domain, stamp))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
