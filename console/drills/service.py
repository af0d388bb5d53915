"""Drill persistence helpers: row <-> domain, unit scoping, conflicts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console.auth.policy import Resource
from console.drills.models import DrillRow
from console.drills.schemas import ConflictOut, DrillOut
from console.errors import ProblemError
from console.store.models import Unit
from drills.errors import DrillError
from drills.models import Drill, DrillPlan
from drills.schedule import ScheduleRules, find_conflicts

ACTIVE = {"draft", "submitted", "approved", "scheduled", "in_progress"}


def resource(row: DrillRow) -> Resource:
    """The drill as an authorization resource: organiser owns, participants share."""
    return Resource("drill", row.id, row.organising_unit_id, frozenset(row.participating_unit_ids))


def visible(row: DrillRow, scope: frozenset[int]) -> bool:
    """Whether a caller with this unit scope may see the drill."""
    return row.organising_unit_id in scope or bool(scope.intersection(row.participating_unit_ids))


def domain_problem(exc: DrillError, prefix: str = "body") -> ProblemError:
    """A DrillError as a 422 problem with its field path."""
    loc = ".".join([prefix, *map(str, exc.loc)])
    return ProblemError(
        422,
        f"{loc}: {exc.code}",
        code="validation",
        errors=[{"loc": loc, "msg": str(exc), "type": exc.code}],
    )


def _unit_id(raw: str, loc: str) -> int:
    if not raw.isdigit():
        raise ProblemError(
            422,
            f"{loc}: unit id must be a number",
            code="validation",
            errors=[{"loc": loc, "msg": "unit id must be a number", "type": "unknown_reference"}],
        )
    return int(raw)


async def units_of(db: AsyncSession, plan: DrillPlan) -> tuple[int, list[int]]:
    """Organising and participating unit ids; every one must exist (422 naming the field)."""
    org = _unit_id(plan.organising_unit, "body.plan.organising_unit")
    parts = [
        _unit_id(u, f"body.plan.participating_units[{i}]")
        for i, u in enumerate(plan.participating_units)
    ]
    found = set((await db.scalars(select(Unit.id).where(Unit.id.in_({org, *parts})))).all())
    for loc, uid in [("body.plan.organising_unit", org)] + [
        (f"body.plan.participating_units[{i}]", u) for i, u in enumerate(parts)
    ]:
        if uid not in found:
            raise ProblemError(
                422,
                f"{loc}: unit {uid} does not exist",
                code="validation",
                errors=[
                    {"loc": loc, "msg": f"unit {uid} does not exist", "type": "unknown_reference"}
                ],
            )
    return org, sorted(set(parts) - {org})


async def conflicts(
    db: AsyncSession, drill_id: str, plan: DrillPlan, rules: ScheduleRules
) -> list[ConflictOut]:
    """Conflicts of `plan` against every other active drill."""
    rows = await db.scalars(select(DrillRow).where(DrillRow.status.in_(ACTIVE)))
    others = [
        Drill(id=r.id, plan=DrillPlan.model_validate(r.plan), status=r.status)
        for r in rows
        if r.id != drill_id
    ]
    found = find_conflicts(drill_id, plan, others, rules)
    return [
        ConflictOut(
            kind=c.kind.value,
            other_drill_id=c.other_drill_id,
            message_key=c.message_key,
            params=c.params,
        )
        for c in found
    ]


def to_out(row: DrillRow, found: list[ConflictOut] | None = None) -> DrillOut:
    """API form of a stored drill."""
    return DrillOut(
        id=row.id,
        plan=DrillPlan.model_validate(row.plan),
        status=row.status,
        version=row.version,
        organising_unit_id=row.organising_unit_id,
        participating_unit_ids=list(row.participating_unit_ids),
        conflicts=found or [],
    )


def plan_json(plan: DrillPlan) -> dict[str, Any]:
    """The plan as stored JSON."""
    return plan.model_dump(mode="json")


def now() -> datetime:
    """Current aware UTC time."""
    return datetime.now(UTC)
