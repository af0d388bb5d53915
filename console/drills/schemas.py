"""API shapes for drills."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from console.bounds import INT64_MAX
from drills.aar import CorrectiveAction, ObjectiveRating
from drills.conduct import EntryKind, Measures
from drills.models import AwareBounded, DayBounded, DrillPlan, Ident
from drills.workflow import Status


class DrillCreate(BaseModel):
    """A new drill: id and plan."""

    model_config = ConfigDict(extra="forbid")
    id: Ident = Field(description="Drill id")
    plan: DrillPlan = Field(description="The plan")


class ConflictOut(BaseModel):
    """One scheduling conflict with its explanation."""

    kind: str = Field(description="venue, team, evaluator, community_too_close or blackout")
    message: str = Field(description="English explanation")
    other_drill_id: str | None
    at: str | None = Field(default=None, description="Start of the overlapping occurrence")
    message_key: str = Field(description="Translation key for the UI")
    params: dict[str, Any]


class SentBack(BaseModel):
    """An approved or scheduled drill whose time, venue or communities changed."""

    from_status: str = Field(description="Status before the change")
    fields: list[str] = Field(description="Plan fields that changed")


class DrillOut(BaseModel):
    """A drill as the API returns it."""

    id: str
    plan: DrillPlan
    status: str
    status_reason: str = Field(default="", description="Why it was cancelled or aborted")
    version: int
    organising_unit_id: int
    participating_unit_ids: list[int]
    conflicts: list[ConflictOut] = Field(default_factory=list)
    occurrence_count: int = Field(default=1, description="Occurrences of the recurrence")
    truncated: bool = Field(default=False, description="RRULE expansion stopped at the cap")
    cap: int = Field(default=0, description="Most occurrences expanded")
    first_start: datetime | None = Field(default=None, description="First occurrence start")
    last_end: datetime | None = Field(default=None, description="Last occurrence end")
    run_start: datetime | None = Field(default=None, description="Occurrence being run")
    sent_back: SentBack | None = Field(
        default=None, description="Set when this change sent the drill back for approval"
    )
    plan_error: dict[str, str] | None = Field(
        default=None, description="Why a stored recurrence cannot be read (fix or delete it)"
    )


class DrillPage(BaseModel):
    """Drills visible to the caller."""

    items: list[DrillOut]
    total: int


class TransitionIn(BaseModel):
    """Move a drill to another status."""

    model_config = ConfigDict(extra="forbid")
    to: Status = Field(description="Target status")
    reason: str = Field(
        default="", max_length=2000, description="Why (required to abort a running drill)"
    )


class CheckOut(BaseModel):
    """Conflicts of a plan and how its recurrence expands."""

    conflicts: list[ConflictOut]
    occurrence_count: int
    truncated: bool
    cap: int


class Occurrence(BaseModel):
    """One drill occurrence in a calendar view."""

    drill_id: str
    title: str
    type: str
    start: datetime
    end: datetime
    status: str
    community_ids: list[str]
    venue_shelter_id: str
    organising_unit_id: int
    conflict: bool = Field(description="The drill has at least one scheduling conflict")


class CalendarOut(BaseModel):
    """A month or week of occurrences in zone `tz`."""

    view: Literal["month", "week"]
    start: datetime
    end: datetime
    tz: str
    items: list[Occurrence]


class HolidayOut(BaseModel):
    """One public holiday (or site blackout day)."""

    date: date
    key: str = Field(description="Translation key: drills.holiday.<key>")
    name: str
    name_zh: str
    provisional: bool = Field(description="Projected: the year's schedule is not published yet")


class HolidaysOut(BaseModel):
    """A year's holidays and make-up working days (调休)."""

    year: int
    provisional: bool
    source: str = Field(description="Where the dates come from")
    holidays: list[HolidayOut]
    workdays: list[date] = Field(description="Weekend days that are working days")


class FeedIn(BaseModel):
    """Create a calendar feed for yourself or for one of your units."""

    model_config = ConfigDict(extra="forbid")
    scope: Literal["user", "unit"]
    unit_id: int | None = Field(
        default=None, ge=1, le=INT64_MAX, description="Required for scope=unit"
    )


class FeedOut(BaseModel):
    """A feed; `url` (with its secret token) is only returned when it is created."""

    id: int
    scope: str
    unit_id: int | None
    created_at: datetime
    revoked: bool
    url: str | None = None


class FeedPage(BaseModel):
    """The caller's feeds."""

    items: list[FeedOut]


class TimelineIn(BaseModel):
    """A timeline entry as logged from a browser (author comes from the session)."""

    model_config = ConfigDict(extra="forbid")
    kind: EntryKind = Field(description="What happened")
    at: AwareBounded | None = Field(default=None, description="When (time-zone aware); default now")
    count: int | None = Field(default=None, ge=0, le=1_000_000, description="Head count")
    note: str = Field(default="", max_length=4000, description="Note or incident details")


class TimelineItem(BaseModel):
    """A stored timeline entry."""

    id: int
    kind: str
    at: datetime
    count: int | None
    note: str
    author: str


class CameraOut(BaseModel):
    """A camera covering the venue or a route (never its stream URL)."""

    id: str
    name: str
    status: str
    covers: list[str] = Field(description="What it covers: venue and/or route ids")


class LiveOut(BaseModel):
    """The live control view of a drill."""

    id: str
    plan: DrillPlan
    status: str
    status_reason: str = Field(default="", description="Why it was aborted")
    version: int
    run_start: datetime | None = Field(default=None, description="Occurrence being run")
    timeline: list[TimelineItem]
    measures: Measures
    cameras: list[CameraOut]


class ReportIn(BaseModel):
    """The editable part of an after-action report."""

    model_config = ConfigDict(extra="forbid")
    purpose: str = Field(default="", max_length=5000)
    time_and_place: str = Field(default="", max_length=1000)
    participants: str = Field(default="", max_length=5000)
    plan_summary: str = Field(default="", max_length=10_000)
    problems_and_causes: str = Field(default="", max_length=10_000)
    lessons: str = Field(default="", max_length=10_000)
    recommendations: str = Field(default="", max_length=10_000)
    ratings: list[ObjectiveRating] = Field(default_factory=list, max_length=50)
    actions: list[CorrectiveAction] = Field(default_factory=list, max_length=200)
    report_date: DayBounded | None = Field(default=None, description="报告日期; default today")
    prepared_by: str = Field(default="", max_length=200, description="编制")
    reviewed_by: str = Field(default="", max_length=200, description="审核")
    issued_by: str = Field(default="", max_length=200, description="签发")


class ActionOut(CorrectiveAction):
    """A corrective action with its overdue flag."""

    overdue: bool


class ReportOut(BaseModel):
    """An after-action report with measures from the timeline."""

    drill_id: str
    version: int = Field(description="0 until the report is first saved")
    locked: bool = Field(description="The drill is reviewed: only actions may be closed")
    purpose: str
    time_and_place: str
    participants: str
    plan_summary: str
    problems_and_causes: str
    lessons: str
    recommendations: str
    ratings: list[ObjectiveRating]
    actions: list[ActionOut]
    report_date: date | None
    prepared_by: str
    reviewed_by: str
    issued_by: str
    measures: Measures


class ActionRow(ActionOut):
    """A corrective action in the improvement plan across drills."""

    drill_id: str
    drill_title: str


class ActionPage(BaseModel):
    """Improvement-plan items."""

    items: list[ActionRow]
    total: int


class ComplianceRow(BaseModel):
    """One community's compliance with one requirement."""

    community_id: str
    name: str
    requirement_id: str
    drills_held: int = Field(description="Completed qualifying drills in the rule's period")
    drills_in_year: int = Field(description="Completed qualifying drills in the asked year")
    drills_past_12_months: int
    last_drill: datetime | None
    compliant: bool
    overdue: bool
    overdue_since: datetime | None


class ComplianceOut(BaseModel):
    """Compliance per community."""

    year: int
    as_of: date
    items: list[ComplianceRow]
