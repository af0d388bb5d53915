"""Improvement plan: corrective actions across drills, and closing one."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from sqlalchemy import select

from console.audit import Actor
from console.auth.policy import Principal, Resource
from console.bounds import id_query
from console.deps import DbDep, ServicesDep, absent, check_any, require
from console.drills import service
from console.drills.models import DrillReportRow, DrillRow
from console.drills.reports import today
from console.drills.schemas import ActionOut, ActionPage, ActionRow
from console.errors import ProblemError
from drills.aar import AfterActionReport

router = APIRouter(prefix="/api/drills", tags=["drills"])
Reader = Annotated[Principal, Depends(require("drills.read"))]
Writer = Annotated[Principal, Depends(require("drills.write"))]


@router.get("/actions", response_model=ActionPage)
async def improvement_plan(
    principal: Reader,
    services: ServicesDep,
    db: DbDep,
    status: Literal["open", "closed"] | None = None,
    overdue: bool | None = None,
    unit: Annotated[int | None, id_query("Owner unit")] = None,
) -> ActionPage:
    """Corrective actions across the drills the caller sees or whose owner unit is theirs."""
    day = today(services)
    drills = {r.id: r for r in await db.scalars(select(DrillRow))}
    items: list[ActionRow] = []
    for rep in await db.scalars(select(DrillReportRow).order_by(DrillReportRow.drill_id)):
        row = drills.get(rep.drill_id)
        if row is None:
            continue
        report = AfterActionReport.model_validate(rep.report)
        for a in report.actions:
            if not (
                service.visible(row, principal.unit_scope)
                or a.owner_unit_id in principal.unit_scope
            ):
                continue
            late = a.is_overdue(day)
            if (status and a.status != status) or (overdue is not None and late != overdue):
                continue
            if unit is not None and a.owner_unit_id != unit:
                continue
            items.append(
                ActionRow(
                    **a.model_dump(),
                    overdue=late,
                    drill_id=row.id,
                    drill_title=str(row.plan.get("title", "")),
                )
            )
    items.sort(key=lambda a: (a.status != "open", a.due))
    return ActionPage(items=items, total=len(items))


@router.post("/{drill_id}/report/actions/{action_id}/close", response_model=ActionOut)
async def close_action(
    drill_id: str, action_id: str, principal: Writer, services: ServicesDep, db: DbDep
) -> ActionOut:
    """Close a corrective action (also after review); the drill's or the owner unit's writers."""
    row = await db.get(DrillRow, drill_id)
    if row is None:
        raise await absent(services, principal, "drills.write", "drill", drill_id)
    stored = await db.get(DrillReportRow, row.id)
    report = AfterActionReport.model_validate(stored.report) if stored else None
    found = [a for a in report.actions if a.id == action_id] if report else []
    # The drill's organiser, or the unit that owns the action (and the units above them).
    res = service.resource(row)
    owned = [
        Resource("drill", row.id, a.owner_unit_id, res.shared_unit_ids | {row.organising_unit_id})
        for a in found
    ]
    await check_any(services, principal, "drills.write", [res, *owned])
    if stored is None or report is None or not found:
        raise ProblemError(
            404, f"action {action_id} not found in drill {drill_id}", code="not-found"
        )
    action = found[0]
    if action.status != "closed":
        action = action.model_copy(update={"status": "closed", "closed_at": service.now()})
        actions = [action if a.id == action_id else a for a in report.actions]
        report = report.model_copy(update={"actions": actions})
        stored.report = report.model_dump(mode="json", exclude={"measures", "reviewed"})
        stored.version += 1
        entry = services.audit.add(
            db,
            Actor.of(principal),
            "drill.action.close",
            target_type="drill",
            target_id=row.id,
            detail={"action_id": action_id},
        )
        await db.commit()
        await services.audit.announce(entry)
        await services.bus.publish(
            "drills.action.closed",
            {"drill_id": row.id, "action_id": action_id, "version": stored.version},
            audience=service.audience(row),
        )
        await service.publish_changed(services, row)
    return ActionOut(**action.model_dump(), overdue=action.is_overdue(today(services)))
