"""Drill requirement rules and per-community compliance."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from drills.models import Drill, DrillType
from drills.workflow import Status

DONE = {Status.completed.value, Status.reviewed.value}


class Requirement(BaseModel):
    """E.g. every community holds >= 1 community_evacuation drill per 365 days."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(default="annual_evacuation", max_length=64, description="Rule id")
    types: list[DrillType] = Field(default=[DrillType.community_evacuation], min_length=1)
    min_count: int = Field(default=1, ge=1, le=100, description="Drills required per period")
    period_days: int = Field(default=365, ge=1, le=3660, description="Rolling period length")


class CommunityCompliance(BaseModel):
    """Compliance of one community with one rule."""

    model_config = ConfigDict(extra="forbid")
    community_id: str
    requirement_id: str
    last_drill: datetime | None = Field(description="End of the last completed qualifying drill")
    drills_in_period: int = Field(description="Completed qualifying drills in the period")
    drills_past_12_months: int = Field(description="Completed drills of any type, last 365 days")
    compliant: bool
    overdue_since: datetime | None = Field(description="When the last drill fell out of period")


def evaluate(
    communities: Iterable[str], drills: Sequence[Drill], rule: Requirement, now: datetime
) -> list[CommunityCompliance]:
    """Per-community compliance with `rule` as of `now` (completed/reviewed drills count)."""
    period = timedelta(days=rule.period_days)
    year_ago = now - timedelta(days=365)
    done = [d for d in drills if d.status in DONE and d.plan.end <= now]
    out = []
    for c in communities:
        mine = [d for d in done if c in d.plan.community_ids]
        qual = sorted((d.plan.end for d in mine if d.plan.type in rule.types), reverse=True)
        in_period = [t for t in qual if t > now - period]
        ok = len(in_period) >= rule.min_count
        overdue = None
        if not ok:
            # The period lapsed when the min_count-th most recent drill became older than it.
            overdue = qual[rule.min_count - 1] + period if len(qual) >= rule.min_count else None
        out.append(
            CommunityCompliance(
                community_id=c,
                requirement_id=rule.id,
                last_drill=qual[0] if qual else None,
                drills_in_period=len(in_period),
                drills_past_12_months=sum(d.plan.end > year_ago for d in mine),
                compliant=ok,
                overdue_since=overdue,
            )
        )
    return out


def overdue(rows: Iterable[CommunityCompliance]) -> list[CommunityCompliance]:
    """Non-compliant communities, never-drilled first, then longest overdue."""
    bad = [r for r in rows if not r.compliant]
    return sorted(
        bad, key=lambda r: (r.overdue_since is not None, r.overdue_since or r.community_id)
    )
