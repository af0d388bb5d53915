"""iCalendar (RFC 5545) feed of drills for calendar subscribers (Outlook, Google, Apple, ...).

Each drill is one VEVENT: UID, a DTSTAMP that only moves when the drill changes, SEQUENCE,
STATUS (submitted drills are TENTATIVE), LOCATION with GEO, a URL back to the console, VALARM
reminders, and the recurrence exactly as the console expands it (the cap becomes an UNTIL,
skipped non-working days become EXDATEs). Time zones are VTIMEZONEs with yearly RRULEs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event, vRecur

from drills.expand import Expansion, rule_of
from drills.models import Drill
from drills.vtimezone import UnsupportedZone, vtimezone
from drills.workflow import Status

log = logging.getLogger(__name__)
PRODID = "-//EOC Console//Drills//EN"
STATUS = {
    Status.submitted.value: "TENTATIVE",
    Status.cancelled.value: "CANCELLED",
    Status.aborted.value: "CANCELLED",
}


@dataclass(frozen=True)
class Venue:
    """Where a drill takes place: the shelter's name, address and position."""

    name: str
    address: str = ""
    lat: float | None = None
    lon: float | None = None

    def location(self) -> str:
        """The LOCATION text: name and address."""
        return f"{self.name}, {self.address}" if self.address else self.name


@dataclass(frozen=True)
class FeedItem:
    """A drill with what the feed says about it beyond the plan."""

    drill: Drill
    updated: datetime
    expansion: Expansion
    url: str | None = None
    venue: Venue | None = None
    reminders: tuple[timedelta, ...] = field(default=(timedelta(hours=24), timedelta(hours=1)))


def _rule_text(item: FeedItem) -> str | None:
    rule = rule_of(item.drill.plan)
    if rule is None:
        return None
    last = item.expansion.last
    if (item.expansion.capped or rule.count is not None) and last is not None:
        # The console stops at its cap (or horizon), and counts DTSTART in COUNT (RFC 5545)
        # where dateutil-based readers do not: an UNTIL at the last start means the same to all.
        rule = replace(rule, count=None, until=last.astimezone(UTC))
    return rule.text()


def drill_event(item: FeedItem, domain: str) -> Event:
    """One VEVENT for a drill; times carry the TZID of the plan's zone."""
    d, p = item.drill, item.drill.plan
    z = p.zone
    ev = Event()
    ev.add("uid", f"drill-{d.id}@{domain}")
    ev.add("dtstamp", item.updated.astimezone(UTC))
    ev.add("last-modified", item.updated.astimezone(UTC))
    ev.add("summary", p.title)
    ev.add("dtstart", p.start.astimezone(z))
    ev.add("dtend", p.end.astimezone(z))
    ev.add("sequence", p.version)
    ev.add("categories", [p.type.value])
    ev.add("status", STATUS.get(d.status, "CONFIRMED"))
    if item.venue is not None:
        ev.add("location", item.venue.location())
        if item.venue.lat is not None and item.venue.lon is not None:
            ev.add("geo", (item.venue.lat, item.venue.lon))
    else:
        ev.add("location", p.venue_shelter_id)
    if item.url:
        ev.add("url", item.url)
    text = "\n\n".join(x for x in (p.scenario, item.url or "") if x)
    if text:
        ev.add("description", text)
    if text_rule := _rule_text(item):
        ev.add("rrule", vRecur.from_ical(text_rule))
        for ex in sorted({*p.exdates, *item.expansion.skipped}):
            ev.add("exdate", ex.astimezone(z))
    if ev["status"] != "CANCELLED":
        for lead in item.reminders:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", p.title)
            alarm.add("trigger", -lead)
            ev.add_component(alarm)
    return ev


def feed(items: Sequence[FeedItem], name: str, domain: str = "eoc.local") -> bytes:
    """Serialise drills as a subscribable calendar (bytes, CRLF line endings)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    zones: set[str] = set()
    for item in items:
        cal.add_component(drill_event(item, domain))
        zones.add(item.drill.plan.timezone)
    missing = False
    for zone in sorted(zones):
        try:
            cal.add_component(vtimezone(zone))
        except (UnsupportedZone, OSError) as exc:
            log.info("VTIMEZONE %s from transitions instead of rules: %s", zone, exc)
            missing = True
    if missing:
        cal.add_missing_timezones()
    return bytes(cal.to_ical())
