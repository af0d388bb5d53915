"""Occurrences of a drill plan: the one expansion calendar, conflicts, reminders and feeds share.

Every caller goes through `expand`, so they agree on the cap (`MAX_OCCURRENCES`), on DTSTART
being the first occurrence (RFC 5545) and on exceptions and skipped non-working days. Results
are cached per plan content, and the work per plan is bounded by `drills.rrule`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from drills import rrule
from drills.errors import DrillError
from drills.models import DrillPlan

log = logging.getLogger(__name__)

MAX_OCCURRENCES = 366


class WorkCalendar(Protocol):
    """Which days are working days, judged in the calendar's own zone."""

    def is_workday_at(self, at: datetime) -> bool:
        """Whether the instant falls on a working day where the calendar applies."""
        ...

    def __hash__(self) -> int:
        """Expansions are cached per calendar."""
        ...


@dataclass(frozen=True)
class Expansion:
    """Occurrence starts; `capped` is True when the rule goes on after the last one listed."""

    starts: list[datetime]
    capped: bool
    cap: int
    skipped: tuple[datetime, ...] = ()

    @property
    def last(self) -> datetime | None:
        """The last listed start (None if every occurrence was excluded)."""
        return self.starts[-1] if self.starts else None


def rule_of(plan: DrillPlan) -> rrule.Rule | None:
    """The plan's parsed rule (None without one); DrillError if the stored text is bad."""
    if not plan.rrule:
        return None
    return rrule.parse(plan.rrule, plan.start, plan.zone)


def expand(
    plan: DrillPlan, cap: int = MAX_OCCURRENCES, calendar: WorkCalendar | None = None
) -> Expansion:
    """Occurrences in the plan's zone (wall clock kept across DST), minus exceptions."""
    zone = plan.zone
    local = plan.start.astimezone(zone).replace(tzinfo=None)
    ex = tuple(sorted(d.astimezone(zone).replace(tzinfo=None) for d in plan.exdates))
    cal = calendar if plan.working_days_only else None
    found = _cached(plan.rrule or "", local, plan.timezone, ex, cap, cal)
    if isinstance(found, DrillError):
        raise DrillError(found.code, found.loc, **found.params)
    starts, capped, skipped = found
    return Expansion(list(starts), capped, cap, skipped)


@functools.lru_cache(maxsize=2048)
def _cached(
    text: str,
    local: datetime,
    tz: str,
    excluded: tuple[datetime, ...],
    cap: int,
    calendar: WorkCalendar | None,
) -> tuple[tuple[datetime, ...], bool, tuple[datetime, ...]] | DrillError:
    # A stored rule that cannot be read is cached too: a broken legacy row costs once.
    zone = ZoneInfo(tz)
    if not text:
        return (local.replace(tzinfo=zone),), False, ()
    try:
        rule = rrule.parse(text, local.replace(tzinfo=zone), zone)
    except DrillError as exc:
        return exc
    ex = set(excluded)
    starts: list[datetime] = []
    skipped: list[datetime] = []
    gen = rrule.occurrences(rule, local, zone)
    for occ in gen:
        if occ in ex:
            continue
        at = occ.replace(tzinfo=zone)
        if calendar is not None and occ != local and not calendar.is_workday_at(at):
            skipped.append(at)
            continue
        if len(starts) >= cap:
            log.info("rrule expansion capped at %s occurrences", cap)
            return tuple(starts), True, tuple(skipped)
        starts.append(at)
    # Stopped by COUNT or UNTIL: complete. Stopped by the horizon: the rule goes on.
    bounded = rule.count is not None or (
        rule.until is not None and rule.until <= rrule.horizon(local).replace(tzinfo=zone)
    )
    return tuple(starts), not bounded, tuple(skipped)


def occurrences(
    plan: DrillPlan, cap: int = MAX_OCCURRENCES, calendar: WorkCalendar | None = None
) -> list[tuple[datetime, datetime]]:
    """(start, end) pairs of each occurrence, keeping the plan's duration in wall time."""
    dur = plan.end - plan.start
    return [(s, s + dur) for s in expand(plan, cap, calendar).starts]


def bounds(plan: DrillPlan, calendar: WorkCalendar | None = None) -> tuple[datetime, datetime]:
    """First start and last end of the plan's occurrences (stored to skip far-off drills)."""
    spans = occurrences(plan, calendar=calendar)
    if not spans:
        return plan.start, plan.end
    return spans[0][0], spans[-1][1]


def between(
    plan: DrillPlan,
    start: datetime,
    end: datetime,
    calendar: WorkCalendar | None = None,
) -> list[datetime]:
    """Starts of the occurrences overlapping [start, end)."""
    dur = plan.end - plan.start
    return [s for s in expand(plan, calendar=calendar).starts if s < end and s + dur > start]


def days_of(spans: Sequence[tuple[datetime, datetime]], zone: ZoneInfo) -> set[date]:
    """Calendar days in `zone` that the spans touch."""
    days: set[date] = set()
    for s, e in spans:
        day, last = (
            s.astimezone(zone).date(),
            (e - timedelta(microseconds=1)).astimezone(zone).date(),
        )
        while day <= last:
            days.add(day)
            day += timedelta(days=1)
    return days
