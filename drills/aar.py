"""After-action report (HSEEP AAR/IP plus Chinese drill summary report fields)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from drills.conduct import Measures
from drills.errors import DrillError
from drills.models import DayBounded


class Rating(StrEnum):
    """HSEEP objective ratings."""

    P = "P"  # performed without challenges
    S = "S"  # performed with some challenges
    M = "M"  # performed with major challenges
    U = "U"  # unable to be performed


class ObjectiveRating(BaseModel):
    """Rating of one plan objective."""

    model_config = ConfigDict(extra="forbid")
    objective_id: str = Field(min_length=1, max_length=64, description="Plan objective id")
    rating: Rating = Field(description="P/S/M/U")
    strengths: list[str] = Field(default_factory=list, max_length=50)
    areas_for_improvement: list[str] = Field(default_factory=list, max_length=50)


class CorrectiveAction(BaseModel):
    """An improvement-plan item tracked to closure."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=64, description="Action id")
    text: str = Field(min_length=1, max_length=2000, description="What will be done")
    owner_unit_id: int = Field(ge=1, le=2**63 - 1, description="Responsible unit")
    due: DayBounded = Field(description="Due date")
    status: Literal["open", "closed"] = Field(default="open", description="open or closed")
    closed_at: datetime | None = Field(default=None, description="When closed, if closed")

    def is_overdue(self, today: date) -> bool:
        """Open and past its due date."""
        return self.status == "open" and today > self.due


class AfterActionReport(BaseModel):
    """AAR/IP with the fields of a 演练总结报告."""

    model_config = ConfigDict(extra="forbid")
    drill_id: str = Field(min_length=1, max_length=64)
    purpose: str = Field(default="", max_length=5000, description="演练目的")
    time_and_place: str = Field(default="", max_length=1000, description="演练时间和地点")
    participants: str = Field(default="", max_length=5000, description="参演单位和人员")
    plan_summary: str = Field(default="", max_length=10_000, description="演练方案概要")
    problems_and_causes: str = Field(default="", max_length=10_000, description="发现的问题与原因")
    lessons: str = Field(default="", max_length=10_000, description="经验和教训")
    recommendations: str = Field(default="", max_length=10_000, description="改进建议")
    ratings: list[ObjectiveRating] = Field(default_factory=list, max_length=50)
    actions: list[CorrectiveAction] = Field(default_factory=list, max_length=200)
    report_date: DayBounded | None = Field(default=None, description="报告日期 (default: today)")
    prepared_by: str = Field(default="", max_length=200, description="编制: who wrote it")
    reviewed_by: str = Field(default="", max_length=200, description="审核: who reviewed it")
    issued_by: str = Field(default="", max_length=200, description="签发: who approved it")
    measures: Measures | None = Field(default=None, description="Figures from the timeline")
    reviewed: bool = Field(default=False, description="Locked once the drill is reviewed")


def update_report(current: AfterActionReport, changes: dict[str, object]) -> AfterActionReport:
    """Apply field changes, re-validating; refuse once reviewed (closing actions still allowed)."""
    if current.reviewed and set(changes) - {"actions"}:
        raise DrillError("report_reviewed", tuple(sorted(set(changes) - {"actions"})))
    if current.reviewed and "actions" in changes:
        _only_closures(current, changes["actions"])
    data = current.model_dump()
    data.update(changes)
    return AfterActionReport.model_validate(data)


def _only_closures(current: AfterActionReport, new: object) -> None:
    # After review only the closure of existing actions may change (improvement tracking).
    if not isinstance(new, list):
        raise DrillError("report_reviewed", ("actions",))
    new_actions = [CorrectiveAction.model_validate(a) for a in new]
    old = {a.id: a for a in current.actions}
    for i, a in enumerate(new_actions):
        prev = old.get(a.id)
        closing = {"status": a.status, "closed_at": a.closed_at}
        if prev is None or prev.model_copy(update=closing) != a:
            raise DrillError("report_reviewed", ("actions", i))


def overdue_actions(report: AfterActionReport, today: date) -> list[CorrectiveAction]:
    """Open corrective actions past their due date."""
    return [a for a in report.actions if a.is_overdue(today)]


def check_ratings(report: AfterActionReport, objective_ids: list[str]) -> list[DrillError]:
    """Errors for ratings of unknown objectives and for unrated objectives."""
    errs = [
        DrillError("unknown_objective", ("ratings", i, "objective_id"), id=r.objective_id)
        for i, r in enumerate(report.ratings)
        if r.objective_id not in objective_ids
    ]
    rated = {r.objective_id for r in report.ratings}
    errs += [
        DrillError("objective_unrated", ("ratings",), id=o) for o in objective_ids if o not in rated
    ]
    return errs
