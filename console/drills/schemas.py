"""API shapes for drills."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from drills.conduct import Measures, TimelineEntry
from drills.models import DrillPlan, Ident
from drills.workflow import Status


class DrillCreate(BaseModel):
    """A new drill: id and plan."""

    model_config = ConfigDict(extra="forbid")
    id: Ident = Field(description="Drill id")
    plan: DrillPlan = Field(description="The plan")


class ConflictOut(BaseModel):
    """One scheduling conflict with its explanation."""

    kind: str
    other_drill_id: str | None
    message_key: str
    params: dict[str, Any]


class DrillOut(BaseModel):
    """A drill as the API returns it."""

    id: str
    plan: DrillPlan
    status: str
    version: int
    organising_unit_id: int
    participating_unit_ids: list[int]
    conflicts: list[ConflictOut] = Field(default_factory=list)


class DrillPage(BaseModel):
    """Drills visible to the caller."""

    items: list[DrillOut]
    total: int


class TransitionIn(BaseModel):
    """Move a drill to another status."""

    model_config = ConfigDict(extra="forbid")
    to: Status = Field(description="Target status")


class TimelineIn(BaseModel):
    """A timeline entry as logged from a browser (author comes from the session)."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(max_length=32)
    at: Any = Field(description="When, time-zone aware (ISO 8601)")
    count: int | None = Field(default=None, ge=0, le=1_000_000)
    text: str = Field(default="", max_length=4000)


class TimelineOut(BaseModel):
    """A drill's timeline and the figures computed from it."""

    items: list[TimelineEntry]
    measures: Measures
