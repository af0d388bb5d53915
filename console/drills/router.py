"""Drills API: CRUD with If-Match versions, workflow transitions, conflicts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response
from sqlalchemy import select

from console.audit import Actor
from console.auth.policy import Principal, Resource
from console.deps import DbDep, ServicesDep, check, require
from console.drills import service
from console.drills.models import DrillRow
from console.drills.schemas import DrillCreate, DrillOut, DrillPage, TransitionIn
from console.errors import ProblemError
from console.events import Audience
from console.services import Services
from drills.errors import DrillError
from drills.models import DrillPlan
from drills.schedule import ScheduleRules
from drills.workflow import Status, allowed_from, check_transition

router = APIRouter(prefix="/api/drills", tags=["drills"])
Reader = Annotated[Principal, Depends(require("drills.read"))]
Writer = Annotated[Principal, Depends(require("drills.write"))]
Runner = Annotated[Principal, Depends(require("drills.run"))]
RULES = ScheduleRules()


def _etag(row: DrillRow) -> str:
    return f'"{row.version}"'


async def _load(
    services: Services, db: DbDep, principal: Principal, drill_id: str, perm: str
) -> DrillRow:
    row = await db.get(DrillRow, drill_id)
    if row is None:
        raise ProblemError(404, f"drill {drill_id} not found", code="not-found")
    await check(services, principal, perm, service.resource(row))
    return row


async def _publish(services: Services, type_: str, out: DrillOut) -> None:
    units = frozenset({out.organising_unit_id, *out.participating_unit_ids})
    await services.bus.publish(
        type_, out.model_dump(mode="json"), audience=Audience("drills.read", units)
    )


@router.get("", response_model=DrillPage)
async def list_drills(principal: Reader, db: DbDep) -> DrillPage:
    """Drills organised by or shared with the caller's units."""
    rows = await db.scalars(select(DrillRow).order_by(DrillRow.id))
    items = [service.to_out(r) for r in rows if service.visible(r, principal.unit_scope)]
    return DrillPage(items=items, total=len(items))


@router.post("", status_code=201, response_model=DrillOut)
async def create_drill(
    body: DrillCreate, principal: Writer, services: ServicesDep, db: DbDep, response: Response
) -> DrillOut:
    """Create a draft drill for one of the caller's units; conflicts come back with it."""
    org, parts = await service.units_of(db, body.plan)
    await check(services, principal, "drills.write", Resource("unit", str(org), org))
    if await db.get(DrillRow, body.id) is not None:
        raise ProblemError(
            409,
            f"drill id {body.id!r} exists",
            code="duplicate",
            errors=[{"loc": "body.id", "msg": "already exists", "type": "duplicate"}],
        )
    found = await service.conflicts(db, body.id, body.plan, RULES)
    plan = body.plan.model_copy(update={"version": 1})
    row = DrillRow(
        id=body.id,
        organising_unit_id=org,
        participating_unit_ids=parts,
        plan=service.plan_json(plan),
        status=Status.draft.value,
        version=1,
    )
    db.add(row)
    entry = services.audit.add(
        db, Actor.of(principal), "drill.create", target_type="drill", target_id=row.id
    )
    await db.commit()
    await services.audit.announce(entry)
    out = service.to_out(row, found)
    response.headers["ETag"] = _etag(row)
    await _publish(services, "drill.created", out)
    return out


@router.get("/{drill_id}", response_model=DrillOut)
async def get_drill(
    drill_id: str, principal: Reader, services: ServicesDep, db: DbDep, response: Response
) -> DrillOut:
    """One drill with its current conflicts; the ETag is its version."""
    row = await _load(services, db, principal, drill_id, "drills.read")
    plan = DrillPlan.model_validate(row.plan)
    found = await service.conflicts(db, row.id, plan, RULES) if row.status in service.ACTIVE else []
    response.headers["ETag"] = _etag(row)
    return service.to_out(row, found)


@router.put("/{drill_id}", response_model=DrillOut)
async def update_drill(
    drill_id: str,
    body: DrillPlan,
    principal: Writer,
    services: ServicesDep,
    db: DbDep,
    response: Response,
    if_match: Annotated[str | None, Header(description="Version from the ETag.")] = None,
) -> DrillOut:
    """Replace the plan; needs If-Match (428 without, 412 with the current version if stale)."""
    row = await _load(services, db, principal, drill_id, "drills.write")
    if if_match is None:
        raise ProblemError(
            428, "If-Match with the drill's ETag is required", code="precondition-required"
        )
    if if_match.strip().strip('"').removeprefix('W/"') != str(row.version):
        raise ProblemError(
            412,
            f"drill changed since you loaded it; current version is {row.version}",
            code="stale",
            errors=[
                {"loc": "header.if-match", "msg": f"current version {row.version}", "type": "stale"}
            ],
            headers={"ETag": _etag(row)},
        )
    if row.status in {Status.reviewed.value, Status.cancelled.value, Status.completed.value}:
        raise ProblemError(409, f"a {row.status} drill cannot be edited", code="locked")
    org, parts = await service.units_of(db, body)
    if org != row.organising_unit_id:
        await check(services, principal, "drills.write", Resource("unit", str(org), org))
    found = await service.conflicts(db, row.id, body, RULES)
    row.version += 1
    row.plan = service.plan_json(body.model_copy(update={"version": row.version}))
    row.organising_unit_id, row.participating_unit_ids = org, parts
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "drill.update",
        target_type="drill",
        target_id=row.id,
        detail={"version": row.version},
    )
    await db.commit()
    await services.audit.announce(entry)
    out = service.to_out(row, found)
    response.headers["ETag"] = _etag(row)
    await _publish(services, "drill.updated", out)
    return out


@router.post("/{drill_id}/transition", response_model=DrillOut)
async def transition(
    drill_id: str,
    body: TransitionIn,
    principal: Runner,
    services: ServicesDep,
    db: DbDep,
    response: Response,
) -> DrillOut:
    """Move the drill along its workflow (409 naming the allowed targets); audited."""
    row = await _load(services, db, principal, drill_id, "drills.run")
    try:
        check_transition(row.status, body.to)
    except DrillError as exc:
        allowed = [s.value for s in allowed_from(Status(row.status))]
        names = ", ".join(allowed) or "none"
        raise ProblemError(
            409,
            f"cannot go from {row.status} to {body.to.value}; allowed: {names}",
            code="forbidden-transition",
            errors=[{"loc": "body.to", "msg": f"allowed: {allowed}", "type": exc.code}],
        ) from exc
    before = row.status
    row.status = body.to.value
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
    out = service.to_out(row)
    response.headers["ETag"] = _etag(row)
    await _publish(services, "drill.status", out)
    return out
