"""Scheduling: conflict detection, RRULE recurrence, calendar queries, reminders."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from dateutil.rrule import rrulestr

from drills.errors import DrillError
from drills.models import Drill, DrillPlan
from drills.workflow import Status

log = logging.getLogger(__name__)

MAX_OCCURRENCES = 366
INACTIVE = {Status.cancelled.value, Status.draft.value}


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


def find_conflicts(
    drill_id: str, plan: DrillPlan, others: Iterable[Drill], rules: ScheduleRules
) -> list[Conflict]:
    """Explain every conflict of `plan` (all occurrences) against other active drills."""
    out: list[Conflict] = []
    zone = plan.zone
    mine = occurrences(plan)
    days: set[date] = set()
    for s, e in mine:
        day, last = s.date(), e.astimezone(zone).date()
        while day <= last:
            days.add(day)
            day += timedelta(days=1)
    for day in sorted(days & rules.blackout_dates):
        out.append(
            Conflict(
                ConflictKind.blackout,
                None,
                "drills.conflict.blackout",
                {"date": day.isoformat(), **_holiday(rules, day)},
            )
        )
    for other in others:
        if other.id == drill_id or other.status in INACTIVE:
            continue
        o = other.plan
        theirs = occurrences(o)
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


def _holiday(rules: ScheduleRules, day: date) -> dict[str, str]:
    name = rules.blackout_names.get(day)
    return {"holiday": name} if name else {}


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


@dataclass(frozen=True)
class Expansion:
    """Occurrence start times; `capped` is True when the rule produced more than the cap."""

    starts: list[datetime]
    capped: bool
    cap: int


def expand(plan: DrillPlan, cap: int = MAX_OCCURRENCES, until: datetime | None = None) -> Expansion:
    """Expand the plan's RRULE in its own zone (wall-clock stable across DST), minus EXDATEs."""
    zone = plan.zone
    dtstart = plan.start.astimezone(zone)
    if not plan.rrule:
        return Expansion([dtstart], False, cap)
    try:
        rule = rrulestr(plan.rrule, dtstart=dtstart.replace(tzinfo=None), forceset=False)
    except (ValueError, TypeError) as exc:
        raise DrillError("bad_rrule", ("rrule",), reason=str(exc)) from exc
    # Expand naively in local wall time, then attach the zone so 09:00 stays 09:00 across DST.
    excluded = {d.astimezone(zone).replace(tzinfo=None) for d in plan.exdates}
    limit = until.astimezone(zone).replace(tzinfo=None) if until else None
    starts: list[datetime] = []
    capped = False
    for occ in rule:
        if limit is not None and occ > limit:
            break
        if occ in excluded:
            continue
        if len(starts) >= cap:
            capped = True
            log.info("rrule expansion capped at %s occurrences", cap)
            break
        starts.append(occ.replace(tzinfo=zone))
    return Expansion(starts, capped, cap)


def occurrences(plan: DrillPlan, cap: int = MAX_OCCURRENCES) -> list[tuple[datetime, datetime]]:
    """(start, end) pairs of each occurrence, keeping the plan's duration in wall time."""
    dur = plan.end - plan.start
    return [(s, s + dur) for s in expand(plan, cap).starts]


def in_range(
    drills: Sequence[Drill],
    start: datetime,
    end: datetime,
    *,
    unit: str | None = None,
    community: str | None = None,
    type_: str | None = None,
) -> list[tuple[Drill, datetime]]:
    """Drill occurrences starting in [start, end) with optional unit/community/type filters."""
    hits: list[tuple[Drill, datetime]] = []
    for d in drills:
        p = d.plan
        if unit and unit != p.organising_unit and unit not in p.participating_units:
            continue
        if community and community not in p.community_ids:
            continue
        if type_ and type_ != p.type.value:
            continue
        dur = p.end - p.start
        hits += [(d, s) for s in expand(p, until=end).starts if s < end and s + dur > start]
    return sorted(hits, key=lambda h: h[1])


def month_view(
    drills: Sequence[Drill], year: int, month: int, tz: str = "Asia/Shanghai", **filters: str | None
) -> list[tuple[Drill, datetime]]:
    """Occurrences in a calendar month in zone `tz`."""
    from zoneinfo import ZoneInfo

    z = ZoneInfo(tz)
    first = datetime(year, month, 1, tzinfo=z)
    nxt = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=z)
    return in_range(drills, first, nxt, **filters)


def week_view(
    drills: Sequence[Drill], monday: date, tz: str = "Asia/Shanghai", **filters: str | None
) -> list[tuple[Drill, datetime]]:
    """Occurrences in the ISO week starting on `monday` in zone `tz`."""
    from zoneinfo import ZoneInfo

    z = ZoneInfo(tz)
    first = datetime(monday.year, monday.month, monday.day, tzinfo=z)
    return in_range(drills, first, first + timedelta(days=7), **filters)


def reminders_due(
    drills: Sequence[Drill], now: datetime, within: timedelta, already_sent: set[tuple[str, str]]
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
        for s in expand(d.plan, until=now + within).starts:
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
    return f"{p['date']} is a blackout date{name}"
