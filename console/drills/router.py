"""Drill plans: list, create, read, update (If-Match) and workflow transitions."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response
from sqlalchemy import select

from console.audit import Actor
from console.auth.policy import Principal, Resource
from console.deps import DbDep, ServicesDep, check, require
from console.drills import service
from console.drills.config import config
from console.drills.models import DrillRow
from console.drills.schemas import DrillCreate, DrillOut, DrillPage, TransitionIn
from console.errors import ProblemError
from console.preconditions import check_if_match, etag
from drills.models import DrillPlan
from drills.schedule import expand
from drills.workflow import Status

router = APIRouter(prefix="/api/drills", tags=["drills"])
Reader = Annotated[Principal, Depends(require("drills.read"))]
Writer = Annotated[Principal, Depends(require("drills.write"))]
Runner = Annotated[Principal, Depends(require("drills.run"))]
LOCKED = {Status.reviewed.value, Status.cancelled.value, Status.completed.value}


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
    plan = service.normalise(body.plan)
    org, parts, expansion = await service.validate(db, plan, "body.plan")
    await check(services, principal, "drills.write", Resource.unit(org))
    if await db.get(DrillRow, body.id) is not None:
        raise ProblemError(
            409,
            f"drill id {body.id!r} exists",
            code="duplicate",
            errors=[{"loc": "body.id", "msg": "already exists", "type": "duplicate"}],
        )
    found = await service.conflicts(db, body.id, plan, config(services).rules, principal)
    plan = plan.model_copy(update={"version": 1})
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
    out = service.to_out(row, found, expansion)
    response.headers["ETag"] = etag(row.version)
    await service.publish(services, "drill.created", row, out)
    await service.publish_changed(services, row)
    return out


@router.get("/{drill_id}", response_model=DrillOut)
async def get_drill(
    drill_id: str, principal: Reader, services: ServicesDep, db: DbDep, response: Response
) -> DrillOut:
    """One drill with its current conflicts; the ETag is its version."""
    row = await service.load(services, db, principal, drill_id, "drills.read")
    plan = DrillPlan.model_validate(row.plan)
    found = []
    if row.status in service.ACTIVE:
        found = await service.conflicts(db, row.id, plan, config(services).rules, principal)
    response.headers["ETag"] = etag(row.version)
    return service.to_out(row, found, await asyncio.to_thread(expand, plan))


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
    row = await service.load(services, db, principal, drill_id, "drills.write")
    check_if_match(if_match, row.version, "drill", service.to_out(row).model_dump(mode="json"))
    if row.status in LOCKED:
        raise ProblemError(409, f"a {row.status} drill cannot be edited", code="locked")
    plan = service.normalise(body)
    org, parts, expansion = await service.validate(db, plan, "body")
    if org != row.organising_unit_id:
        await check(services, principal, "drills.write", Resource.unit(org))
    found = await service.conflicts(db, row.id, plan, config(services).rules, principal)
    row.version += 1
    row.plan = service.plan_json(plan.model_copy(update={"version": row.version}))
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
    out = service.to_out(row, found, expansion)
    response.headers["ETag"] = etag(row.version)
    await service.publish(services, "drill.updated", row, out)
    await service.publish_changed(services, row)
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
    row = await service.load(services, db, principal, drill_id, "drills.run")
    out = await service.transition(services, db, principal, row, body.to)
    response.headers["ETag"] = etag(row.version)
    return out
