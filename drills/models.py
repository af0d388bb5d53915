"""Drill plan model (HSEEP exercise types plus community evacuation drills)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from drills import rrule as rr
from drills.errors import DrillError

DEFAULT_TZ = "Asia/Shanghai"
MIN_DURATION = timedelta(minutes=5)
MAX_DURATION = timedelta(days=7)

Short = Annotated[str, Field(min_length=1, max_length=200)]


def _in_range(d: datetime) -> datetime:
    if d.tzinfo is None or d.utcoffset() is None:
        raise ValueError("datetime must carry a time zone offset (naive_datetime)")
    if not rr.DATE_MIN <= d <= rr.DATE_MAX:
        raise ValueError(
            f"{d.date().isoformat()} is outside {rr.DATE_MIN.year}-{rr.DATE_MAX.year}"
            " (date_out_of_range)"
        )
    return d


def _day_in_range(d: date) -> date:
    if not rr.DATE_MIN.date() <= d <= rr.DATE_MAX.date():
        raise ValueError(
            f"{d.isoformat()} is outside {rr.DATE_MIN.year}-{rr.DATE_MAX.year} (date_out_of_range)"
        )
    return d


# Aware instants and dates within the years the console plans for (2000-2100).
AwareBounded = Annotated[datetime, AfterValidator(_in_range)]
DayBounded = Annotated[date, AfterValidator(_day_in_range)]
Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class DrillType(StrEnum):
    """HSEEP exercise types plus the community evacuation drill."""

    seminar = "seminar"
    workshop = "workshop"
    tabletop = "tabletop"
    game = "game"
    drill = "drill"
    functional = "functional"
    full_scale = "full_scale"
    community_evacuation = "community_evacuation"


class Objective(BaseModel):
    """One exercise objective tied to a core capability."""

    model_config = ConfigDict(extra="forbid")
    id: Ident = Field(description="Objective id, unique in the plan")
    text: str = Field(min_length=1, max_length=1000, description="What should be demonstrated")
    capability: Short = Field(description="Capability exercised, e.g. mass_care, evacuation")


class Inject(BaseModel):
    """A scenario event delivered at an offset from the drill start."""

    model_config = ConfigDict(extra="forbid")
    offset_minutes: int = Field(ge=0, le=3 * 24 * 60, description="Minutes after start")
    text: str = Field(min_length=1, max_length=2000, description="Message delivered to players")
    target_unit: str | None = Field(default=None, max_length=200, description="Who receives it")


class DrillPlan(BaseModel):
    """A drill plan as the coordinator edits it."""

    model_config = ConfigDict(extra="forbid")
    title: Short = Field(description="Drill title")
    type: DrillType = Field(description="Exercise type")
    scenario: str = Field(default="", max_length=20_000, description="Hazard/scenario narrative")
    community_ids: list[Ident] = Field(min_length=1, max_length=50, description="Communities")
    venue_shelter_id: Ident = Field(description="Shelter used as venue/assembly point")
    route_ids: list[Ident] = Field(default_factory=list, max_length=50, description="Routes used")
    timezone: str = Field(default=DEFAULT_TZ, max_length=64, description="IANA time zone")
    start: datetime = Field(description="Start, time-zone aware")
    end: datetime = Field(description="End, time-zone aware, after start")
    organising_unit: Ident = Field(description="Unit organising the drill")
    participating_units: list[Ident] = Field(default_factory=list, max_length=100)
    team_ids: list[Ident] = Field(default_factory=list, max_length=100, description="Teams")
    expected_residents: int = Field(default=0, ge=0, le=1_000_000, description="Expected turnout")
    objectives: list[Objective] = Field(default_factory=list, max_length=50)
    injects: list[Inject] = Field(default_factory=list, max_length=200)
    evaluator_ids: list[Ident] = Field(
        default_factory=list, max_length=50, description="Evaluators"
    )
    rrule: str | None = Field(
        default=None,
        max_length=500,
        description="One RFC 5545 RRULE value (daily to yearly; UNTIL is stored in UTC)",
    )
    working_days_only: bool = Field(
        default=False,
        description="Skip occurrences on non-working days (weekends and public holidays, "
        "with make-up working days counted as working days)",
    )
    exdates: list[datetime] = Field(default_factory=list, max_length=500, description="Exceptions")
    version: int = Field(
        default=1, ge=1, le=2**63 - 1, description="Optimistic-concurrency version"
    )

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {v!r}") from exc
        return v

    @field_validator("rrule", mode="after")
    @classmethod
    def _rule(cls, v: str | None, info: ValidationInfo) -> str | None:
        # Stored rows are read back as they are, so one bad legacy rule cannot break a page;
        # every write validates and stores the normalised rule.
        start, tz = info.data.get("start"), info.data.get("timezone")
        if not v or not v.strip() or (info.context or {}).get("stored"):
            return v.strip() or None if v else None
        if start is None or tz is None:
            return v
        try:
            return rr.parse(v, start, ZoneInfo(tz)).text()
        except DrillError as exc:
            raise ValueError(f"{exc.message} ({exc.code})") from exc

    @field_validator("start", "end", "exdates", mode="after")
    @classmethod
    def _aware(cls, v: datetime | list[datetime]) -> datetime | list[datetime]:
        for d in v if isinstance(v, list) else [v]:
            _in_range(d)
        return v

    @model_validator(mode="after")
    def _span(self) -> DrillPlan:
        if self.end <= self.start:
            raise ValueError("end must be after start (end_before_start)")
        if self.end - self.start < MIN_DURATION:
            raise ValueError(f"drill shorter than {MIN_DURATION} (too_short)")
        if self.end - self.start > MAX_DURATION:
            raise ValueError(f"drill longer than {MAX_DURATION} (too_long)")
        ids = [o.id for o in self.objectives]
        if len(ids) != len(set(ids)):
            raise ValueError("objective ids must be unique (duplicate_objective)")
        span_min = (self.end - self.start).total_seconds() / 60
        for inj in self.injects:
            if inj.offset_minutes > span_min:
                raise ValueError("inject falls after the drill end (inject_after_end)")
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The plan's time zone."""
        return ZoneInfo(self.timezone)

    def local_start(self) -> datetime:
        """Start expressed in the plan's time zone."""
        return self.start.astimezone(self.zone)


class Drill(BaseModel):
    """A stored drill: id, plan, and workflow status (persisted by the console)."""

    model_config = ConfigDict(extra="forbid")
    id: Ident = Field(description="Drill id")
    plan: DrillPlan = Field(description="Current plan")
    status: str = Field(default="draft", description="Workflow status")
    first_start: datetime | None = Field(default=None, description="Stored first start")
    last_end: datetime | None = Field(default=None, description="Stored last end")

    def may_overlap(self, start: datetime, end: datetime) -> bool:
        """False only when the stored bounds prove no occurrence touches [start, end)."""
        if self.first_start is not None and self.first_start >= end:
            return False
        return self.last_end is None or self.last_end > start


class ReferenceLookup(Protocol):
    """Known-id lookup the console implements from its store."""

    def unknown_communities(self, ids: list[str]) -> list[str]:
        """Ids among `ids` that are not known communities."""
        ...

    def unknown_shelters(self, ids: list[str]) -> list[str]:
        """Ids among `ids` that are not known shelters."""
        ...

    def unknown_routes(self, ids: list[str]) -> list[str]:
        """Ids among `ids` that are not known routes."""
        ...

    def unknown_teams(self, ids: list[str]) -> list[str]:
        """Ids among `ids` that are not known teams."""
        ...

    def unknown_units(self, ids: list[str]) -> list[str]:
        """Ids among `ids` that are not known units."""
        ...


def check_references(plan: DrillPlan, lookup: ReferenceLookup) -> list[DrillError]:
    """Return one error per field naming unknown referenced ids (empty when all known)."""
    checks: list[tuple[str, list[str]]] = [
        ("community_ids", lookup.unknown_communities(plan.community_ids)),
        ("venue_shelter_id", lookup.unknown_shelters([plan.venue_shelter_id])),
        ("route_ids", lookup.unknown_routes(plan.route_ids)),
        ("team_ids", lookup.unknown_teams(plan.team_ids)),
        ("organising_unit", lookup.unknown_units([plan.organising_unit])),
        ("participating_units", lookup.unknown_units(plan.participating_units)),
    ]
    return [
        DrillError("unknown_reference", (field,), ids=sorted(bad)) for field, bad in checks if bad
    ]
