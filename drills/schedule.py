"""Scheduling: conflict detection, RRULE recurrence, calendar queries, reminders."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from drills.errors import DrillError
from drills.expand import (
    MAX_OCCURRENCES,
    Expansion,
    WorkCalendar,
    between,
    days_of,
    expand,
    occurrences,
)
from drills.models import Drill, DrillPlan
from drills.workflow import Status

log = logging.getLogger(__name__)

__all__ = ["MAX_OCCURRENCES", "Expansion", "expand", "occurrences"]
INACTIVE = {Status.cancelled.value, Status.draft.value, Status.aborted.value}


class ConflictKind(StrEnum):
    """Kinds of scheduling conflict."""

    venue = "venue"
    team = "team"
    evaluator = "evaluator"
    community = "community_too_close"
    blackout = "blackout"


@dataclass(frozen=True)
class Conflict:
    """One conflict: kind, other drill (if any), message key and parameters."""

    kind: ConflictKind
    other_drill_id: str | None
    message_key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScheduleRules:
    """Configurable scheduling rules."""

    community_gap: timedelta = timedelta(days=14)
    blackout_dates: frozenset[date] = frozenset()
    # Optional names of blackout days (e.g. the holiday), quoted in explanations.
    blackout_names: dict[date, str] = field(default_factory=dict)
    # Translation keys of the holidays (drills.holiday.<key>) and years still provisional.
    blackout_keys: dict[date, str] = field(default_factory=dict)
    provisional_years: frozenset[int] = frozenset()
    # Blackout days are the site's days: judged in this zone (None: each plan's own zone).
    zone: ZoneInfo | None = None
    # Working days for plans that ask for them (None: every day counts).
    calendar: WorkCalendar | None = None


Span = tuple[datetime, datetime]


def _nearest(a: list[Span], b: list[Span]) -> tuple[timedelta, datetime | None]:
    """Smallest gap between any span of `a` and of `b` (zero when they overlap), and where."""
    best, at = timedelta.max, None
    i = j = 0
    # Both lists are sorted by start; a merge sweep finds the closest pair in O(n + m).
    while i < len(a) and j < len(b):
        (s1, e1), (s2, e2) = a[i], b[j]
        gap = max(s2 - e1, s1 - e2, timedelta(0))
        if gap < best:
            best, at = gap, s1
        if e1 < e2:
            i += 1
        else:
            j += 1
    return best, at


def _shares(plan: DrillPlan, o: DrillPlan) -> bool:
    return bool(
        plan.venue_shelter_id == o.venue_shelter_id
        or set(plan.team_ids) & set(o.team_ids)
        or set(plan.evaluator_ids) & set(o.evaluator_ids)
        or set(plan.community_ids) & set(o.community_ids)
    )


def _near(a: list[Span], b: list[Span], gap: timedelta) -> bool:
    # Cheap bounds test before any pairwise sweep: far-apart programmes never conflict.
    return bool(a and b) and a[0][0] - gap < b[-1][1] and b[0][0] - gap < a[-1][1]


def find_conflicts(
    drill_id: str, plan: DrillPlan, others: Iterable[Drill], rules: ScheduleRules
) -> list[Conflict]:
    """Explain every conflict of `plan` (all occurrences) against other active drills."""
    out: list[Conflict] = []
    mine = occurrences(plan, calendar=rules.calendar)
    for day in sorted(days_of(mine, rules.zone or plan.zone) & rules.blackout_dates):
        out.append(
            Conflict(
                ConflictKind.blackout,
                None,
                "drills.conflict.blackout",
                {"date": day.isoformat(), **_holiday(rules, day)},
            )
        )
    for other in others:
        if other.id == drill_id or other.status in INACTIVE or not _shares(plan, other.plan):
            continue
        o = other.plan
        try:
            theirs = occurrences(o, calendar=rules.calendar)
        except DrillError as exc:
            log.warning("drill %s skipped in conflict checks: %s", other.id, exc.message)
            continue
        if not _near(mine, theirs, max(rules.community_gap, timedelta(0))):
            continue
        out += _pair(plan, other, mine, theirs, rules)
    return out


def _pair(
    plan: DrillPlan, other: Drill, mine: list[Span], theirs: list[Span], rules: ScheduleRules
) -> list[Conflict]:
    out: list[Conflict] = []
    o = other.plan
    gap, at = _nearest(mine, theirs)
    when = at.isoformat() if at else None
    if gap == timedelta(0) and at is not None and _overlaps(mine, theirs):
        if plan.venue_shelter_id == o.venue_shelter_id:
            out.append(
                Conflict(
                    ConflictKind.venue,
                    other.id,
                    "drills.conflict.venue",
                    {"shelter_id": plan.venue_shelter_id, "title": o.title, "at": when},
                )
            )
        for team in sorted(set(plan.team_ids) & set(o.team_ids)):
            out.append(
                Conflict(
                    ConflictKind.team,
                    other.id,
                    "drills.conflict.team",
                    {"team_id": team, "title": o.title, "at": when},
                )
            )
        for ev in sorted(set(plan.evaluator_ids) & set(o.evaluator_ids)):
            out.append(
                Conflict(
                    ConflictKind.evaluator,
                    other.id,
                    "drills.conflict.evaluator",
                    {"evaluator_id": ev, "title": o.title, "at": when},
                )
            )
    if gap < rules.community_gap:
        for c in sorted(set(plan.community_ids) & set(o.community_ids)):
            out.append(
                Conflict(
                    ConflictKind.community,
                    other.id,
                    "drills.conflict.community",
                    {
                        "community_id": c,
                        "title": o.title,
                        "at": when,
                        "gap_hours": round(gap.total_seconds() / 3600, 1),
                        "min_gap_hours": rules.community_gap.total_seconds() / 3600,
                    },
                )
            )
    return out


def _holiday(rules: ScheduleRules, day: date) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if name := rules.blackout_names.get(day):
        out["holiday"] = name
    if key := rules.blackout_keys.get(day):
        out["holiday_key"] = key
    if day.year in rules.provisional_years:
        out["provisional"] = True
    return out


def _overlaps(a: list[Span], b: list[Span]) -> bool:
    """True when some span of `a` strictly overlaps a span of `b` (touching ends do not)."""
    i = j = 0
    while i < len(a) and j < len(b):
        (s1, e1), (s2, e2) = a[i], b[j]
        if s1 < e2 and s2 < e1:
            return True
        if e1 <= e2:
            i += 1
        else:
            j += 1
    return False


def in_range(
    drills: Sequence[Drill],
    start: datetime,
    end: datetime,
    *,
    unit: str | None = None,
    community: str | None = None,
    type_: str | None = None,
    calendar: WorkCalendar | None = None,
) -> list[tuple[Drill, datetime]]:
    """Drill occurrences overlapping [start, end) with optional unit/community/type filters.

    Cancelled drills and drills whose stored bounds miss the window are not expanded; a drill
    whose stored rule cannot be read is left out with a log line.
    """
    hits: list[tuple[Drill, datetime]] = []
    for d in drills:
        p = d.plan
        if d.status == Status.cancelled.value or not d.may_overlap(start, end):
            continue
        if unit and unit != p.organising_unit and unit not in p.participating_units:
            continue
        if community and community not in p.community_ids:
            continue
        if type_ and type_ != p.type.value:
            continue
        try:
            hits += [(d, s) for s in between(p, start, end, calendar)]
        except DrillError as exc:
            log.warning("drill %s left out of the calendar: %s", d.id, exc.message)
    return sorted(hits, key=lambda h: h[1])


def month_view(
    drills: Sequence[Drill],
    year: int,
    month: int,
    tz: str = "Asia/Shanghai",
    *,
    unit: str | None = None,
    community: str | None = None,
    type_: str | None = None,
) -> list[tuple[Drill, datetime]]:
    """Occurrences in a calendar month in zone `tz`."""
    from zoneinfo import ZoneInfo

    z = ZoneInfo(tz)
    first = datetime(year, month, 1, tzinfo=z)
    nxt = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=z)
    return in_range(drills, first, nxt, unit=unit, community=community, type_=type_)


def week_view(
    drills: Sequence[Drill],
    monday: date,
    tz: str = "Asia/Shanghai",
    *,
    unit: str | None = None,
    community: str | None = None,
    type_: str | None = None,
) -> list[tuple[Drill, datetime]]:
    """Occurrences in the ISO week starting on `monday` in zone `tz`."""
    from zoneinfo import ZoneInfo

    z = ZoneInfo(tz)
    first = datetime(monday.year, monday.month, monday.day, tzinfo=z)
    end = first + timedelta(days=7)
    return in_range(drills, first, end, unit=unit, community=community, type_=type_)


def reminders_due(
    drills: Sequence[Drill],
    now: datetime,
    within: timedelta,
    already_sent: set[tuple[str, str]],
    calendar: WorkCalendar | None = None,
) -> list[tuple[str, datetime]]:
    """(drill id, occurrence start) pairs starting within `within` not yet in `already_sent`.

    `already_sent` holds (drill id, start isoformat) keys; the caller persists the returned keys.
    """
    if now.tzinfo is None:
        raise DrillError("naive_datetime", ("now",))
    due: list[tuple[str, datetime]] = []
    for d in drills:
        if d.status not in {Status.scheduled.value, Status.approved.value}:
            continue
        if not d.may_overlap(now, now + within + (d.plan.end - d.plan.start)):
            continue
        try:
            starts = expand(d.plan, calendar=calendar).starts
        except DrillError as exc:
            log.warning("no reminders for drill %s: %s", d.id, exc.message)
            continue
        for s in starts:
            if now <= s <= now + within and (d.id, s.isoformat()) not in already_sent:
                due.append((d.id, s))
    return due


def describe(c: Conflict, other: str | None = None) -> str:
    """A plain English explanation of a conflict (the UI translates `message_key`); `other`
    replaces the other drill's title and id (e.g. when the reader may not see that drill)."""
    p = c.params
    if other is None:
        other = f"'{p.get('title')}' ({c.other_drill_id})" if c.other_drill_id else ""
    if c.kind == ConflictKind.venue:
        return f"shelter {p['shelter_id']} is already used by {other} at {p['at']}"
    if c.kind == ConflictKind.team:
        return f"team {p['team_id']} is already booked for {other} at {p['at']}"
    if c.kind == ConflictKind.evaluator:
        return f"evaluator {p['evaluator_id']} is already booked for {other} at {p['at']}"
    if c.kind == ConflictKind.community:
        return (
            f"community {p['community_id']} has {other} only {p['gap_hours']} h away "
            f"(minimum gap {p['min_gap_hours']:.0f} h)"
        )
    name = f" ({p['holiday']})" if p.get("holiday") else ""
    note = " - holiday dates for that year are provisional" if p.get("provisional") else ""
    return f"{p['date']} is a blackout date{name}{note}"
