"""Drill plans: list, create, read, update (If-Match) and workflow transitions."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Response
from sqlalchemy import select

from console.audit import Actor
from console.auth.policy import Principal, Resource
from console.deps import DbDep, ServicesDep, check, require
from console.drills import service, transitions
from console.drills.config import config
from console.drills.models import DrillRow
from console.drills.schemas import DrillCreate, DrillOut, DrillPage, SentBack, TransitionIn
from console.errors import ProblemError
from console.preconditions import check_if_match, etag
from drills.models import DrillPlan
from drills.workflow import DELETABLE, NEEDS_REAPPROVAL, Status, changed_for_approval

router = APIRouter(prefix="/api/drills", tags=["drills"])
Reader = Annotated[Principal, Depends(require("drills.read"))]
Writer = Annotated[Principal, Depends(require("drills.write"))]
Runner = Annotated[Principal, Depends(require("drills.run"))]
# Cancelled drills stay editable (and deletable) so a bad stored plan can always be mended.
LOCKED = {Status.reviewed.value, Status.completed.value, Status.aborted.value}
IfMatch = Annotated[str | None, Header(description="Version from the ETag.")]


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
    cfg = config(services)
    plan = service.normalise(body.plan)
    org, parts, expansion = await service.validate(db, plan, "body.plan", cfg)
    await check(services, principal, "drills.write", Resource.unit(org))
    if await db.get(DrillRow, body.id) is not None:
        raise ProblemError(
            409,
            f"drill id {body.id!r} exists",
            code="duplicate",
            errors=[{"loc": "body.id", "msg": "already exists", "type": "duplicate"}],
        )
    found = await service.conflicts(db, body.id, plan, cfg.rules, principal)
    plan = plan.model_copy(update={"version": 1})
    row = DrillRow(
        id=body.id,
        organising_unit_id=org,
        participating_unit_ids=parts,
        plan=service.plan_json(plan),
        status=Status.draft.value,
        version=1,
        status_reason="",
    )
    service.set_bounds(row, plan, cfg)
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
    cfg = config(services)
    plan = service.stored_plan(row)
    response.headers["ETag"] = etag(row.version)
    error = await asyncio.to_thread(service.plan_error, plan, cfg)
    if error is not None:
        # A legacy rule that cannot be read: show the drill so it can be mended or deleted.
        return service.to_out(row, error=error)
    found = []
    if row.status in service.ACTIVE:
        found = await service.conflicts(db, row.id, plan, cfg.rules, principal)
    expansion = await asyncio.to_thread(service.expansion, plan, cfg)
    return service.to_out(row, found, expansion)


@router.put("/{drill_id}", response_model=DrillOut)
async def update_drill(
    drill_id: str,
    body: DrillPlan,
    principal: Writer,
    services: ServicesDep,
    db: DbDep,
    response: Response,
    if_match: IfMatch = None,
) -> DrillOut:
    """Replace the plan (If-Match: 428 without, 412 if stale).

    Changing the time, venue or communities of an approved or scheduled drill sends it back
    to submitted for approval; the response's `sent_back` and the audit entry say so.
    """
    row = await service.load(services, db, principal, drill_id, "drills.write")
    check_if_match(if_match, row.version, "drill", service.to_out(row).model_dump(mode="json"))
    if row.status in LOCKED:
        raise ProblemError(409, f"a {row.status} drill cannot be edited", code="locked")
    cfg = config(services)
    plan = service.normalise(body)
    org, parts, expansion = await service.validate(db, plan, "body", cfg)
    if org != row.organising_unit_id:
        await check(services, principal, "drills.write", Resource.unit(org))
    found = await service.conflicts(db, row.id, plan, cfg.rules, principal)
    new_json = service.plan_json(plan)
    sent_back = None
    if Status(row.status) in NEEDS_REAPPROVAL:
        changed = changed_for_approval(row.plan, new_json)
        if changed:
            sent_back = SentBack(from_status=row.status, fields=changed)
            row.status = Status.submitted.value
    row.version += 1
    row.plan = {**new_json, "version": row.version}
    row.organising_unit_id, row.participating_unit_ids = org, parts
    service.set_bounds(row, plan, cfg)
    detail: dict[str, Any] = {"version": row.version}
    if sent_back is not None:
        detail["sent_back"] = sent_back.model_dump()
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "drill.update",
        target_type="drill",
        target_id=row.id,
        detail=detail,
    )
    await db.commit()
    await services.audit.announce(entry)
    out = service.to_out(row, found, expansion, sent_back)
    response.headers["ETag"] = etag(row.version)
    await service.publish(services, "drill.updated", row, out)
    if sent_back is not None:
        await service.publish(services, "drill.status", row, out)
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
    if_match: IfMatch = None,
) -> DrillOut:
    """Move the drill along its workflow: If-Match, the roles of that step, its rules; audited.

    409 names the allowed targets; `reviewed` needs a filed report with every objective
    rated; `aborted` needs a reason; `in_progress` only near an occurrence.
    """
    row = await service.load(services, db, principal, drill_id, "drills.read")
    out = await transitions.transition(
        services, db, principal, row, body.to, if_match=if_match, reason=body.reason
    )
    response.headers["ETag"] = etag(row.version)
    return out


@router.delete("/{drill_id}", status_code=204)
async def delete_drill(
    drill_id: str,
    principal: Writer,
    services: ServicesDep,
    db: DbDep,
    if_match: IfMatch = None,
) -> Response:
    """Delete a draft or cancelled drill (If-Match); the audit log keeps its last plan."""
    row = await service.load(services, db, principal, drill_id, "drills.write")
    check_if_match(if_match, row.version, "drill", service.to_out(row).model_dump(mode="json"))
    if Status(row.status) not in DELETABLE:
        allowed = sorted(s.value for s in DELETABLE)
        raise ProblemError(
            409,
            f"a {row.status} drill cannot be deleted (only {', '.join(allowed)}); cancel it first",
            code="not-deletable",
            extra={"deletable": allowed},
        )
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "drill.delete",
        target_type="drill",
        target_id=row.id,
        detail={"status": row.status, "version": row.version, "plan": row.plan},
    )
    audience = service.audience(row)
    await db.delete(row)
    await db.commit()
    await services.audit.announce(entry)
    await services.bus.publish(
        "drill.deleted", {"id": drill_id, "status": row.status}, audience=audience
    )
    await services.bus.publish(
        "drills.drill.changed",
        {"id": drill_id, "status": "deleted", "community_ids": row.plan.get("community_ids", [])},
        audience=audience,
    )
    return Response(status_code=204)
