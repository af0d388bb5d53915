"""Drill persistence helpers: row <-> domain, unit scoping, validation, conflicts, workflow."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console.auth.policy import Principal, Resource, authorize
from console.deps import absent, check
from console.drills import refs
from console.drills.config import DrillsConfig
from console.drills.models import DrillRow
from console.drills.schemas import ConflictOut, DrillOut, SentBack
from console.errors import ProblemError, format_loc
from console.events import Audience
from console.services import Services
from console.store.models import AuditEntry
from drills.errors import DrillError
from drills.expand import bounds, expand
from drills.models import Drill, DrillPlan
from drills.schedule import Expansion, ScheduleRules, describe, find_conflicts
from drills.workflow import Status

log = logging.getLogger(__name__)
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
    db: AsyncSession, plan: DrillPlan, prefix: str, cfg: DrillsConfig
) -> tuple[int, list[int], Expansion]:
    """Check references, the RRULE and working days; return organiser, participants, expansion."""
    org = _unit_id(plan.organising_unit, f"{prefix}.organising_unit")
    parts = [
        _unit_id(u, f"{prefix}.participating_units[{i}]")
        for i, u in enumerate(plan.participating_units)
    ]
    await refs.check(db, plan, prefix)
    if plan.working_days_only and not cfg.calendar.is_workday_at(plan.start):
        day = plan.start.astimezone(cfg.calendar.zone).date()
        h = cfg.calendar.holiday(day)
        raise domain_problem(
            DrillError(
                "not_working_day",
                ("start",),
                date=day.isoformat(),
                **({"holiday": h.name, "holiday_key": h.key} if h else {}),
            ),
            prefix,
        )
    try:
        expansion = await asyncio.to_thread(expand, plan, calendar=cfg.calendar)
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


def stored_plan(row: DrillRow) -> DrillPlan:
    """The stored plan as it is (a legacy bad rule is read, not refused)."""
    return DrillPlan.model_validate(row.plan, context={"stored": True})


def as_drill(row: DrillRow) -> Drill:
    """The domain view of a row, with its stored occurrence bounds."""
    return Drill(
        id=row.id,
        plan=stored_plan(row),
        status=row.status,
        first_start=row.first_start,
        last_end=row.last_end,
    )


def set_bounds(row: DrillRow, plan: DrillPlan, cfg: DrillsConfig) -> None:
    """Store the first start and last end (None when the stored rule cannot be read)."""
    try:
        row.first_start, row.last_end = bounds(plan, cfg.calendar)
    except DrillError as exc:
        log.warning("drill %s: no occurrence bounds: %s", row.id, exc.message)
        row.first_start = row.last_end = None


def expansion(plan: DrillPlan, cfg: DrillsConfig) -> Expansion:
    """The plan's occurrences with the site's working-day calendar (blocking)."""
    return expand(plan, calendar=cfg.calendar)


def plan_error(plan: DrillPlan, cfg: DrillsConfig) -> DrillError | None:
    """Why a stored plan's recurrence cannot be expanded (None when it can)."""
    try:
        expand(plan, calendar=cfg.calendar)
    except DrillError as exc:
        return exc
    return None


async def active_drills(db: AsyncSession) -> list[Drill]:
    """Every drill that still occupies the calendar."""
    rows = await db.scalars(select(DrillRow).where(DrillRow.status.in_(ACTIVE)))
    return [as_drill(r) for r in rows]


async def backfill_bounds(services: Services) -> int:
    """Store occurrence bounds for rows written before they existed; return how many."""
    from console.drills.config import config

    cfg = config(services)
    async with services.store.session() as db:
        rows = list(await db.scalars(select(DrillRow).where(DrillRow.first_start.is_(None))))
        for row in rows:
            await asyncio.to_thread(set_bounds, row, stored_plan(row), cfg)
        await db.commit()
    return len(rows)


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
    try:
        found = await asyncio.to_thread(find_conflicts, drill_id, plan, others, rules)
    except DrillError as exc:
        raise domain_problem(exc, "plan") from exc
    hidden = {
        r.id
        for r in rows
        if viewer is not None and not authorize(viewer, "drills.read", resource(r)).allowed
    }
    return [_conflict_out(c, c.other_drill_id in hidden) for c in found]


def conflicting_ids(
    drills: Sequence[Drill], others: Sequence[Drill], rules: ScheduleRules
) -> set[str]:
    """Ids among `drills` with at least one conflict against `others` (blocking; a thread)."""
    out = set()
    for d in drills:
        try:
            if find_conflicts(d.id, d.plan, others, rules):
                out.add(d.id)
        except DrillError as exc:
            log.warning("drill %s: conflicts not checked: %s", d.id, exc.message)
    return out


def to_out(
    row: DrillRow,
    found: list[ConflictOut] | None = None,
    expansion: Expansion | None = None,
    sent_back: SentBack | None = None,
    error: DrillError | None = None,
) -> DrillOut:
    """API form of a stored drill."""
    return DrillOut(
        id=row.id,
        plan=stored_plan(row),
        status=row.status,
        status_reason=row.status_reason or "",
        version=row.version,
        organising_unit_id=row.organising_unit_id,
        participating_unit_ids=list(row.participating_unit_ids),
        conflicts=found or [],
        occurrence_count=len(expansion.starts) if expansion else 1,
        truncated=expansion.capped if expansion else False,
        cap=expansion.cap if expansion else 0,
        first_start=row.first_start,
        last_end=row.last_end,
        run_start=row.run_start,
        sent_back=sent_back,
        plan_error=(
            {"loc": field_path("plan", *error.loc), "type": error.code, "msg": error.message}
            if error
            else None
        ),
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
