"""After-action reports: read, edit (If-Match), printable HTML and PDF."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console.audit import Actor
from console.auth.policy import Principal
from console.deps import DbDep, ServicesDep, require
from console.drills import pdf, reports, service
from console.drills.models import DrillReportRow
from console.drills.schemas import (
    ReportIn,
    ReportOut,
)
from console.errors import ProblemError
from console.preconditions import check_if_match, etag
from console.store.models import Unit
from drills.aar import AfterActionReport, check_ratings
from drills.models import DrillPlan
from drills.report_doc import build
from drills.report_html import render_html
from drills.workflow import Status

router = APIRouter(prefix="/api/drills", tags=["drills"])
Reader = Annotated[Principal, Depends(require("drills.read"))]
Writer = Annotated[Principal, Depends(require("drills.write"))]
EDITABLE = {Status.in_progress.value, Status.completed.value, Status.aborted.value}
Lang = Literal["zh-CN", "en"]


@router.get("/{drill_id}/report", response_model=ReportOut)
async def get_report(
    drill_id: str, principal: Reader, services: ServicesDep, db: DbDep, response: Response
) -> ReportOut:
    """The after-action report; version 0 is an unsaved draft prefilled from the plan."""
    row = await service.load(services, db, principal, drill_id, "drills.read")
    report, version = await reports.load_report(db, row)
    response.headers["ETag"] = etag(version)
    return reports.to_out(report, version, reports.today(services))


def _bad(loc: str, msg: str, type_: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg, "type": type_}


async def _validate(db: AsyncSession, body: ReportIn, plan: DrillPlan) -> None:
    draft = AfterActionReport(drill_id="x", ratings=body.ratings)
    errors = [
        _bad(service.field_path("body", *e.loc), f"unknown objective {e.params['id']}", e.code)
        for e in check_ratings(draft, [o.id for o in plan.objectives])
        if e.code == "unknown_objective"
    ]
    known = set((await db.scalars(select(Unit.id))).all())
    seen: set[str] = set()
    for i, a in enumerate(body.actions):
        if a.id in seen:
            errors.append(_bad(f"body.actions[{i}].id", f"duplicate action id {a.id}", "duplicate"))
        seen.add(a.id)
        if a.owner_unit_id not in known:
            errors.append(
                _bad(
                    f"body.actions[{i}].owner_unit_id",
                    f"unit {a.owner_unit_id} does not exist",
                    "unknown_reference",
                )
            )
    if errors:
        detail = "; ".join(f"{e['loc']}: {e['msg']}" for e in errors)
        raise ProblemError(422, detail, code="validation", errors=errors)


@router.put("/{drill_id}/report", response_model=ReportOut)
async def put_report(
    drill_id: str,
    body: ReportIn,
    principal: Writer,
    services: ServicesDep,
    db: DbDep,
    response: Response,
    if_match: Annotated[str | None, Header(description="Report version from the ETag")] = None,
) -> ReportOut:
    """Save the report (If-Match; 409 once the drill is reviewed or before it has run)."""
    row = await service.load(services, db, principal, drill_id, "drills.write")
    if row.status == Status.reviewed.value:
        raise ProblemError(
            409,
            "the drill is reviewed: its report is locked (actions can still be closed)",
            code="report-locked",
        )
    if row.status not in EDITABLE:
        raise ProblemError(
            409,
            f"a report is written once the drill runs; the drill is {row.status}",
            code="report-not-open",
        )
    stored = await db.get(DrillReportRow, row.id)
    version = stored.version if stored else 0
    current = None
    if stored is not None:
        rep, _ = await reports.load_report(db, row)
        current = reports.to_out(rep, version, reports.today(services)).model_dump(mode="json")
    check_if_match(if_match, version, "report", current)
    await _validate(db, body, service.stored_plan(row))
    now = service.now()
    actions = [
        a.model_copy(update={"closed_at": (a.closed_at or now) if a.status == "closed" else None})
        for a in body.actions
    ]
    report = AfterActionReport(
        drill_id=row.id, **body.model_dump(exclude={"actions"}), actions=actions
    )
    data = report.model_dump(mode="json", exclude={"measures", "reviewed"})
    if stored is None:
        stored = DrillReportRow(
            drill_id=row.id, report=data, version=1, updated_by=principal.username
        )
        db.add(stored)
    else:
        stored.report, stored.version = data, stored.version + 1
        stored.updated_by = principal.username
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "drill.report.update",
        target_type="drill",
        target_id=row.id,
        detail={"version": stored.version},
    )
    await db.commit()
    await services.audit.announce(entry)
    await services.bus.publish(
        "drills.report.updated",
        {"drill_id": row.id, "version": stored.version},
        audience=service.audience(row),
    )
    await service.publish_changed(services, row)
    rep, ver = await reports.load_report(db, row)
    response.headers["ETag"] = etag(ver)
    return reports.to_out(rep, ver, reports.today(services))


@router.get("/{drill_id}/report.html", response_class=HTMLResponse)
async def report_html(
    drill_id: str, principal: Reader, services: ServicesDep, db: DbDep, lang: Lang = "zh-CN"
) -> HTMLResponse:
    """Printable report page (all text escaped)."""
    row = await service.load(services, db, principal, drill_id, "drills.read")
    report, _ = await reports.load_report(db, row)
    plan = service.stored_plan(row)
    html = render_html(report, plan, lang, await reports.context(services, db, row))
    return HTMLResponse(
        html, headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
    )


@router.get("/{drill_id}/report.pdf", response_class=Response)
async def report_pdf(
    drill_id: str, principal: Reader, services: ServicesDep, db: DbDep, lang: Lang = "zh-CN"
) -> Response:
    """The report as PDF with a CJK font (503 naming the missing package without one)."""
    row = await service.load(services, db, principal, drill_id, "drills.read")
    font = pdf.check_available()
    report, _ = await reports.load_report(db, row)
    plan = service.stored_plan(row)
    blocks = build(report, plan, await reports.context(services, db, row), lang)
    body = await asyncio.to_thread(pdf.render, blocks, plan.title, lang, font)
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="drill-{row.id}-report.pdf"'},
    )
