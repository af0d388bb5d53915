"""Drill persistence helpers: row <-> domain, unit scoping, validation, conflicts, workflow."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console.audit import Actor
from console.auth.policy import Principal, Resource, authorize
from console.deps import absent, check
from console.drills import refs
from console.drills.models import DrillRow
from console.drills.schemas import ConflictOut, DrillOut
from console.errors import ProblemError, format_loc
from console.events import Audience
from console.services import Services
from console.store.models import AuditEntry
from drills.errors import DrillError
from drills.models import Drill, DrillPlan
from drills.schedule import Expansion, ScheduleRules, describe, expand, find_conflicts
from drills.workflow import Status, allowed_from, check_transition

ACTIVE = {"draft", "submitted", "approved", "scheduled", "in_progress"}


def resource(row: DrillRow, author: int | None = None) -> Resource:
    """The drill as an authorization resource: organiser owns, participants share."""
    return Resource(
        "drill",
        row.id,
        row.organising_unit_id,
        frozenset(row.participating_unit_ids),
        author_user_id=author,
    )


def units(row: DrillRow) -> frozenset[int]:
    """Every unit in the drill."""
    return frozenset({row.organising_unit_id, *row.participating_unit_ids})


def audience(row: DrillRow) -> Audience:
    """Users who may see the drill: drills.read in one of its units."""
    return Audience("drills.read", units(row))


def visible(row: DrillRow, scope: frozenset[int]) -> bool:
    """Whether a caller with this unit scope may see the drill."""
    return row.organising_unit_id in scope or bool(scope.intersection(row.participating_unit_ids))


def field_path(prefix: str, *parts: str | int) -> str:
    """A field path such as body.plan.actions[1].owner_unit_id."""
    return format_loc([*prefix.split("."), *parts])


def domain_problem(exc: DrillError, prefix: str = "body") -> ProblemError:
    """A DrillError as a 422 problem with its field path."""
    loc = field_path(prefix, *exc.loc)
    return ProblemError(
        422,
        f"{loc}: {exc.code} {exc.params}" if exc.params else f"{loc}: {exc.code}",
        code="validation",
        errors=[{"loc": loc, "msg": str(exc), "type": exc.code, **exc.params}],
    )


async def load(
    services: Services, db: AsyncSession, principal: Principal, drill_id: str, perm: str
) -> DrillRow:
    """The drill (404) if the caller holds `perm` on it (403, audited)."""
    row = await db.get(DrillRow, drill_id)
    if row is None:
        raise await absent(services, principal, perm, "drill", drill_id)
    await check(services, principal, perm, resource(row))
    return row


def _unit_id(raw: str, loc: str) -> int:
    if not raw.isdigit():
        raise ProblemError(
            422,
            f"{loc}: unit id must be a number",
            code="validation",
            errors=[{"loc": loc, "msg": "unit id must be a number", "type": "unknown_reference"}],
        )
    return int(raw)


def normalise(plan: DrillPlan) -> DrillPlan:
    """Times expressed in the plan's own zone (any offset is accepted on input)."""
    z = plan.zone
    return plan.model_copy(
        update={
            "start": plan.start.astimezone(z),
            "end": plan.end.astimezone(z),
            "exdates": [d.astimezone(z) for d in plan.exdates],
        }
    )


async def validate(
    db: AsyncSession, plan: DrillPlan, prefix: str
) -> tuple[int, list[int], Expansion]:
    """Check references and the RRULE; return organiser, participants and the expansion."""
    org = _unit_id(plan.organising_unit, f"{prefix}.organising_unit")
    parts = [
        _unit_id(u, f"{prefix}.participating_units[{i}]")
        for i, u in enumerate(plan.participating_units)
    ]
    await refs.check(db, plan, prefix)
    try:
        expansion = await asyncio.to_thread(expand, plan)
    except DrillError as exc:
        raise domain_problem(exc, prefix) from exc
    return org, sorted(set(parts) - {org}), expansion


def _conflict_out(c: Any, hidden: bool = False) -> ConflictOut:
    if hidden:
        # Another unit's drill the caller may not open: say what clashes, never which drill.
        params = {k: v for k, v in c.params.items() if k != "title"} | {"title": "", "hidden": True}
        message = describe(c, other="a drill of another unit")
        return ConflictOut(
            kind=c.kind.value,
            message=message,
            other_drill_id=None,
            at=c.params.get("at"),
            message_key=c.message_key,
            params=params,
        )
    return ConflictOut(
        kind=c.kind.value,
        message=describe(c),
        other_drill_id=c.other_drill_id,
        at=c.params.get("at"),
        message_key=c.message_key,
        params=c.params,
    )


def as_drill(row: DrillRow) -> Drill:
    """The domain view of a row."""
    return Drill(id=row.id, plan=DrillPlan.model_validate(row.plan), status=row.status)


async def active_drills(db: AsyncSession) -> list[Drill]:
    """Every drill that still occupies the calendar."""
    rows = await db.scalars(select(DrillRow).where(DrillRow.status.in_(ACTIVE)))
    return [as_drill(r) for r in rows]


async def conflicts(
    db: AsyncSession,
    drill_id: str,
    plan: DrillPlan,
    rules: ScheduleRules,
    viewer: Principal | None = None,
) -> list[ConflictOut]:
    """Conflicts of `plan` against every other active drill (computed off the event loop);
    drills `viewer` may not open are not named."""
    rows = list(await db.scalars(select(DrillRow).where(DrillRow.status.in_(ACTIVE))))
    others = [as_drill(r) for r in rows if r.id != drill_id]
    found = await asyncio.to_thread(find_conflicts, drill_id, plan, others, rules)
    hidden = {
        r.id
        for r in rows
        if viewer is not None and not authorize(viewer, "drills.read", resource(r)).allowed
    }
    return [_conflict_out(c, c.other_drill_id in hidden) for c in found]


def conflicting_ids(drills: Sequence[Drill], rules: ScheduleRules) -> set[str]:
    """Ids of drills with at least one conflict (blocking; run in a thread)."""
    return {d.id for d in drills if find_conflicts(d.id, d.plan, drills, rules)}


def to_out(
    row: DrillRow, found: list[ConflictOut] | None = None, expansion: Expansion | None = None
) -> DrillOut:
    """API form of a stored drill."""
    return DrillOut(
        id=row.id,
        plan=DrillPlan.model_validate(row.plan),
        status=row.status,
        version=row.version,
        organising_unit_id=row.organising_unit_id,
        participating_unit_ids=list(row.participating_unit_ids),
        conflicts=found or [],
        occurrence_count=len(expansion.starts) if expansion else 1,
        truncated=expansion.capped if expansion else False,
        cap=expansion.cap if expansion else 0,
    )


def plan_json(plan: DrillPlan) -> dict[str, Any]:
    """The plan as stored JSON."""
    return plan.model_dump(mode="json")


def now() -> datetime:
    """Current aware UTC time."""
    return datetime.now(UTC)


async def publish(services: Services, type_: str, row: DrillRow, out: DrillOut) -> None:
    """Publish a drill event to the users of its units."""
    await services.bus.publish(type_, out.model_dump(mode="json"), audience=audience(row))


async def publish_changed(services: Services, row: DrillRow) -> None:
    """Tell readiness (and pages) that a drill's status or communities changed."""
    await services.bus.publish(
        "drills.drill.changed",
        {"id": row.id, "status": row.status, "community_ids": row.plan.get("community_ids", [])},
        audience=audience(row),
    )


async def submitter(db: AsyncSession, drill_id: str) -> int | None:
    """Who last submitted the drill for approval (from the append-only audit log)."""
    rows = await db.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.action == "drill.transition",
            AuditEntry.target_type == "drill",
            AuditEntry.target_id == drill_id,
            AuditEntry.outcome == "success",
        )
        .order_by(AuditEntry.id.desc())
        .limit(100)
    )
    for entry in rows:
        if (entry.detail or {}).get("to") == Status.submitted.value:
            return entry.actor_id
    return None


async def authorize_step(
    services: Services, db: AsyncSession, principal: Principal, row: DrillRow, to: Status
) -> None:
    """Relation checks a step needs beyond drills.run: approving is not for the submitter
    when separation of duties is on (the `drills.separate_approval` setting)."""
    if to == Status.approved:
        author = None
        if services.settings.drills.separate_approval:
            author = await submitter(db, row.id)
        await check(services, principal, "drills.approve", resource(row, author))


async def transition(
    services: Services, db: AsyncSession, principal: Principal, row: DrillRow, to: Status
) -> DrillOut:
    """Apply one workflow step (409 naming the allowed ones), audit it, publish it."""
    await authorize_step(services, db, principal, row, to)
    try:
        check_transition(row.status, to)
    except DrillError as exc:
        allowed = [s.value for s in allowed_from(Status(row.status))]
        names = ", ".join(allowed) or "none"
        raise ProblemError(
            409,
            f"cannot go from {row.status} to {to.value}; allowed: {names}",
            code="forbidden-transition",
            errors=[{"loc": "body.to", "msg": f"allowed: {allowed}", "type": exc.code}],
            extra={"allowed": allowed},
        ) from exc
    before = row.status
    row.status = to.value
    row.version += 1
    row.plan = {**row.plan, "version": row.version}
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "drill.transition",
        target_type="drill",
        target_id=row.id,
        detail={"from": before, "to": row.status},
    )
    await db.commit()
    await services.audit.announce(entry)
    out = to_out(row)
    await publish(services, "drill.status", row, out)
    await publish_changed(services, row)
    return out
