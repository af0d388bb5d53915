"""Live drill timeline: validated entries and measured times/rates."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from drills.errors import DrillError

MAX_SKEW = timedelta(seconds=60)


class EntryKind(StrEnum):
    """Timeline entry kinds."""

    alarm_sounded = "alarm_sounded"
    evacuation_started = "evacuation_started"
    assembly_complete = "assembly_complete"
    head_count = "head_count"
    all_clear = "all_clear"
    incident = "incident"
    note = "note"


# Milestones must appear in this order; the others may come at any time.
MILESTONES = [
    EntryKind.alarm_sounded,
    EntryKind.evacuation_started,
    EntryKind.assembly_complete,
    EntryKind.all_clear,
]


class TimelineEntry(BaseModel):
    """One logged event during a live drill."""

    model_config = ConfigDict(extra="forbid")
    kind: EntryKind = Field(description="What happened")
    at: datetime = Field(description="When, time-zone aware")
    author_id: str = Field(min_length=1, max_length=64, description="User who logged it")
    count: int | None = Field(default=None, ge=0, le=1_000_000, description="Head count")
    text: str = Field(default="", max_length=4000, description="Note or incident details")

    @field_validator("at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError("datetime must carry a time zone offset (naive_datetime)")
        return v

    @model_validator(mode="after")
    def _count(self) -> TimelineEntry:
        # A head count without a number (or a number on another kind) is a logging mistake.
        if (self.kind == EntryKind.head_count) != (self.count is not None):
            raise ValueError("count is required for head_count and only for it (count_mismatch)")
        return self


def occurrence_to_run(
    starts: list[datetime], duration: timedelta, now: datetime, early: timedelta, late: timedelta
) -> datetime:
    """The occurrence a drill started at `now` runs (the latest whose start window holds now).

    A drill may start from `early` before an occurrence until `late` after it ends; otherwise
    DrillError names the next occurrence and when it may start, or the last one missed.
    """
    for s in reversed(starts):
        if s - early <= now <= s + duration + late:
            return s
    upcoming = [s for s in starts if s - early > now]
    if upcoming:
        raise DrillError(
            "start_too_early",
            ("to",),
            next=upcoming[0].isoformat(),
            opens_at=(upcoming[0] - early).isoformat(),
        )
    raise DrillError("start_too_late", ("to",), last=starts[-1].isoformat() if starts else "")


def append_entry(
    timeline: list[TimelineEntry],
    entry: TimelineEntry,
    now: datetime,
    not_before: datetime | None = None,
) -> list[TimelineEntry]:
    """Return a new timeline with `entry` added, refusing future, early or out-of-order ones."""
    if entry.at > now + MAX_SKEW:
        raise DrillError("entry_in_future", ("at",), at=entry.at.isoformat(), now=now.isoformat())
    if not_before is not None and entry.at < not_before:
        raise DrillError(
            "entry_before_start",
            ("at",),
            at=entry.at.isoformat(),
            not_before=not_before.isoformat(),
        )
    if entry.kind in MILESTONES:
        idx = MILESTONES.index(entry.kind)
        seen = {e.kind: e for e in timeline if e.kind in MILESTONES}
        if entry.kind in seen:
            raise DrillError("milestone_repeated", ("kind",), kind=entry.kind.value)
        for earlier in MILESTONES[:idx]:
            if earlier not in seen:
                raise DrillError(
                    "milestone_missing", ("kind",), kind=entry.kind.value, missing=earlier.value
                )
            if seen[earlier].at > entry.at:
                raise DrillError(
                    "milestone_out_of_order", ("at",), kind=entry.kind.value, after=earlier.value
                )
    return sorted([*timeline, entry], key=lambda e: e.at)


class Measures(BaseModel):
    """Figures computed from the timeline."""

    model_config = ConfigDict(extra="forbid")
    evacuation_seconds: float | None = Field(description="Alarm sounded to assembly complete")
    all_clear_seconds: float | None = Field(description="Alarm sounded to all clear")
    head_count: int | None = Field(description="Latest head count")
    participation_rate: float | None = Field(description="Head count / expected residents")
    incidents: int = Field(description="Number of incidents logged")
    expected_residents: int = Field(default=0, description="Expected turnout from the plan")
    over_expected: bool = Field(
        default=False, description="More people counted than expected (check the plan or count)"
    )


def measure(timeline: list[TimelineEntry], expected_residents: int) -> Measures:
    """Compute evacuation time, time to all clear and participation rate."""
    first: dict[EntryKind, datetime] = {}
    for e in sorted(timeline, key=lambda e: e.at):
        first.setdefault(e.kind, e.at)
    alarm = first.get(EntryKind.alarm_sounded)

    def since_alarm(kind: EntryKind) -> float | None:
        t = first.get(kind)
        return (t - alarm).total_seconds() if alarm and t else None

    counts = [e for e in sorted(timeline, key=lambda e: e.at) if e.kind == EntryKind.head_count]
    hc = counts[-1].count if counts else None
    rate = round(hc / expected_residents, 4) if hc is not None and expected_residents else None
    return Measures(
        evacuation_seconds=since_alarm(EntryKind.assembly_complete),
        all_clear_seconds=since_alarm(EntryKind.all_clear),
        head_count=hc,
        participation_rate=rate,
        incidents=sum(e.kind == EntryKind.incident for e in timeline),
        expected_residents=expected_residents,
        over_expected=bool(hc is not None and expected_residents and hc > expected_residents),
    )
