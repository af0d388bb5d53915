"""One event from many reports: matching, revision order, the preferred solution, what changed.

Matching, first rule that fits:

1. the same id: a report's `source:source_id` or one of its alternative ids (USGS lists
   the ids other networks gave the event) is already known for an event;
2. origin time and epicentre within the tolerance of the larger magnitude (below) and
   magnitudes within MAX_DMAG of each other.

An exercise report never matches a real event and a real report never matches an
exercise (the flag is part of every comparison).

Revisions: per source only the newest revision counts (by the source's revision time, then
arrival order); an older revision arriving late is kept in the history but changes
nothing ("stale"). The event's solution is the newest revision of the highest-priority
source that reported it (operators' manual entries first by default).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gis.quake.model import QuakeReport

EARTH_KM = 6371.0088
MAX_DMAG = 1.0
DEFAULT_PRIORITY = ("manual", "exercise", "cenc", "quakeml", "usgs")
COMPARED = ("magnitude", "mag_type", "lat", "lon", "depth_km", "origin_time", "status", "place")


@dataclass(frozen=True)
class Tolerance:
    """Matching window for events of at least `min_mag`."""

    min_mag: float
    seconds: float
    km: float


# Larger events: agencies' origin times and epicentres differ more (longer ruptures).
TOLERANCES = (
    Tolerance(-9.0, 10.0, 50.0),
    Tolerance(4.0, 16.0, 100.0),
    Tolerance(6.0, 30.0, 150.0),
    Tolerance(7.0, 60.0, 250.0),
)


def tolerance_for(mag: float, table: Sequence[Tolerance] = TOLERANCES) -> Tolerance:
    """The window for an event of this magnitude."""
    best = table[0]
    for t in table:
        if mag >= t.min_mag:
            best = t
    return best


def km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def ids_of(rep: QuakeReport) -> set[str]:
    """Every id a report is known by: its own (source-qualified) and its alternatives."""
    return {f"{rep.source}:{rep.source_id}", *rep.alt_ids, rep.source_id}


@dataclass
class EventRef:
    """What matching needs to know about a stored event."""

    key: str
    solution: QuakeReport
    ids: set[str] = field(default_factory=set)
    is_exercise: bool = False


def closeness(a: QuakeReport, b: QuakeReport, table: Sequence[Tolerance] = TOLERANCES) -> float:
    """0 (identical) .. 1 (edge of the window); inf outside the window."""
    if a.is_exercise != b.is_exercise or abs(a.magnitude - b.magnitude) > MAX_DMAG:
        return math.inf
    tol = tolerance_for(max(a.magnitude, b.magnitude), table)
    dt = abs((a.origin_time - b.origin_time).total_seconds()) / tol.seconds
    dd = km_between(a.lat, a.lon, b.lat, b.lon) / tol.km
    return max(dt, dd) if dt <= 1.0 and dd <= 1.0 else math.inf


def find(
    rep: QuakeReport, events: Iterable[EventRef], table: Sequence[Tolerance] = TOLERANCES
) -> tuple[EventRef | None, str]:
    """The event this report belongs to and why ("id", "near"), or (None, "new")."""
    mine = ids_of(rep)
    near: tuple[float, EventRef] | None = None
    for ev in events:
        if ev.is_exercise != rep.is_exercise:
            continue
        if mine & ev.ids:
            return ev, "id"
        c = closeness(rep, ev.solution, table)
        if c < math.inf and (near is None or c < near[0]):
            near = (c, ev)
    return (near[1], "near") if near else (None, "new")


def _family(source: str) -> str:
    return source.split(":", 1)[0]


def rank(source: str, priority: Sequence[str] = DEFAULT_PRIORITY) -> int:
    """Lower is preferred; unknown sources after the listed ones."""
    fam = _family(source)
    return priority.index(fam) if fam in priority else len(priority)


def newest_per_source(revisions: Iterable[QuakeReport]) -> dict[str, QuakeReport]:
    """The newest revision of each source (later arrival wins a tie)."""
    out: dict[str, QuakeReport] = {}
    for r in revisions:
        cur = out.get(r.source)
        if cur is None or r.revised_at >= cur.revised_at:
            out[r.source] = r
    return out


def preferred(
    revisions: Sequence[QuakeReport], priority: Sequence[str] = DEFAULT_PRIORITY
) -> QuakeReport:
    """The event's solution: newest revision of the highest-priority source."""
    newest = newest_per_source(revisions)
    return min(newest.values(), key=lambda r: (rank(r.source, priority), -r.revised_at.timestamp()))


def is_stale(rep: QuakeReport, revisions: Iterable[QuakeReport]) -> bool:
    """Whether the same source already sent a newer revision."""
    return any(r.source == rep.source and r.revised_at > rep.revised_at for r in revisions)


def is_duplicate(rep: QuakeReport, revisions: Iterable[QuakeReport]) -> bool:
    """Whether this exact revision (same source, revision time and values) is already held."""
    return any(
        r.source == rep.source
        and r.revised_at == rep.revised_at
        and all(getattr(r, f) == getattr(rep, f) for f in COMPARED)
        for r in revisions
    )


def _show(v: Any) -> Any:
    return v.isoformat() if hasattr(v, "isoformat") else v


def changes(old: QuakeReport | None, new: QuakeReport) -> list[dict[str, Any]]:
    """Fields that differ between two solutions: [{field, before, after}]."""
    if old is None:
        return []
    out = []
    for f in COMPARED:
        a, b = getattr(old, f), getattr(new, f)
        if isinstance(a, float) and isinstance(b, float) and abs(a - b) < 1e-9:
            continue
        if a != b:
            out.append({"field": f, "before": _show(a), "after": _show(b)})
    if old.source != new.source:
        out.append({"field": "source", "before": old.source, "after": new.source})
    return out
