"""Workflow steps: roles per transition, If-Match, reasons, the start window, review rules."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from console.audit import Actor
from console.auth.policy import Principal, authorize
from console.deps import check, deny
from console.drills import service
from console.drills.config import config
from console.drills.models import DrillReportRow, DrillRow
from console.drills.schemas import DrillOut
from console.errors import ProblemError
from console.preconditions import check_if_match
from console.services import Services
from drills.aar import AfterActionReport, check_ratings
from drills.conduct import occurrence_to_run
from drills.errors import DrillError
from drills.expand import expand
from drills.workflow import (
    NEEDS_REASON,
    Status,
    allowed_from,
    check_transition,
    role_allowed,
)


def _forbidden_move(row: DrillRow, to: Status, exc: DrillError) -> ProblemError:
    allowed = [s.value for s in allowed_from(Status(row.status))]
    names = ", ".join(allowed) or "none"
    return ProblemError(
        409,
        f"cannot go from {row.status} to {to.value}; allowed: {names}",
        code="forbidden-transition",
        errors=[{"loc": "body.to", "msg": f"allowed: {allowed}", "type": exc.code}],
        extra={"allowed": allowed},
    )


async def authorize_move(
    services: Services, db: AsyncSession, principal: Principal, row: DrillRow, to: Status
) -> None:
    """The role gate, the caller's relation to the drill (the organising unit, or one above
    it, moves it), the step itself (409), the roles of that step (403, audited), and that an
    approver is not the submitter."""
    decision = authorize(principal, "drills.run")
    if not decision.allowed:
        raise await deny(services, principal, "drills.run", f"drill:{row.id}", decision.reason)
    # The relation before the workflow: a participant learns nothing of what a step needs.
    await check(services, principal, "drills.run", service.resource(row))
    try:
        req = check_transition(row.status, to)
    except DrillError as exc:
        raise _forbidden_move(row, to, exc) from exc
    if not role_allowed(row.status, to, {r.value for r in principal.roles}):
        needed = ", ".join(sorted(req.roles))
        raise await deny(
            services,
            principal,
            "drills.run",
            f"drill:{row.id}",
            f"moving a drill from {row.status} to {to.value} needs one of the roles: {needed}",
        )
    await service.authorize_step(services, db, principal, row, to)


async def _report_ready(db: AsyncSession, row: DrillRow) -> None:
    stored = await db.get(DrillReportRow, row.id)
    plan = service.stored_plan(row)
    if stored is None:
        raise ProblemError(
            409,
            "file the after-action report before marking the drill reviewed",
            code="report-missing",
            errors=[{"loc": "report", "msg": "no report saved", "type": "report_missing"}],
        )
    report = AfterActionReport.model_validate(stored.report)
    unrated = [
        e.params["id"]
        for e in check_ratings(report, [o.id for o in plan.objectives])
        if e.code == "objective_unrated"
    ]
    if unrated:
        raise ProblemError(
            409,
            f"rate every objective before review; unrated: {', '.join(unrated)}",
            code="objectives-unrated",
            errors=[
                {
                    "loc": "report.ratings",
                    "msg": f"objective {o} unrated",
                    "type": "unrated",
                    "id": o,
                }
                for o in unrated
            ],
            extra={"unrated": unrated},
        )


async def _start_window(services: Services, row: DrillRow) -> None:
    cfg = config(services)
    plan = service.stored_plan(row)
    try:
        starts = (await asyncio.to_thread(expand, plan, calendar=cfg.calendar)).starts
        row.run_start = occurrence_to_run(
            starts, plan.end - plan.start, service.now(), cfg.start_early, cfg.start_late
        )
    except DrillError as exc:
        raise ProblemError(
            409,
            exc.message,
            code=exc.code.replace("_", "-"),
            errors=[{"loc": "body.to", "msg": exc.message, "type": exc.code, **exc.params}],
            extra=exc.params,
        ) from exc


async def transition(
    services: Services,
    db: AsyncSession,
    principal: Principal,
    row: DrillRow,
    to: Status,
    *,
    if_match: str | None,
    reason: str = "",
) -> DrillOut:
    """Apply one workflow step (If-Match, roles, rules), audit it and publish it."""
    await authorize_move(services, db, principal, row, to)
    check_if_match(if_match, row.version, "drill", service.to_out(row).model_dump(mode="json"))
    if to in NEEDS_REASON and not reason.strip():
        raise ProblemError(
            422,
            f"body.reason: say why the drill is {to.value}",
            code="validation",
            errors=[{"loc": "body.reason", "msg": "a reason is required", "type": "missing"}],
        )
    if to == Status.reviewed:
        await _report_ready(db, row)
    if to == Status.in_progress:
        await _start_window(services, row)
    before = row.status
    row.status = to.value
    if to in (Status.cancelled, Status.aborted) or reason:
        row.status_reason = reason.strip()
    row.version += 1
    row.plan = {**row.plan, "version": row.version}
    detail: dict[str, Any] = {"from": before, "to": row.status}
    if reason:
        detail["reason"] = reason.strip()
    if row.run_start is not None and to == Status.in_progress:
        detail["occurrence"] = row.run_start.isoformat()
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "drill.transition",
        target_type="drill",
        target_id=row.id,
        detail=detail,
    )
    await db.commit()
    await services.audit.announce(entry)
    out = service.to_out(row)
    await service.publish(services, "drill.status", row, out)
    await service.publish_changed(services, row)
    return out
