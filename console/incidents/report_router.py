"""The incident report as an HTML print view and as PDF (zh-CN or en)."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from console.bounds import IdPath
from console.deps import DbDep, ServicesDep
from console.drills.pdf import check_available
from console.incidents import views
from console.incidents.deps import Reader, SvcDep, load
from console.incidents.models import IncidentShelter, TimelineEntry
from console.incidents.report import render_html, render_pdf
from gis.quake import assess

router = APIRouter(prefix="/api/incidents/{inc_id}", tags=["incidents"])
Lang = Literal["zh-CN", "en"]
TOP = 100


async def _doc(
    services: ServicesDep, svc: SvcDep, principal: Any, db: DbDep, inc_id: IdPath
) -> dict[str, Any]:
    inc = await load(services, svc, principal, inc_id, "incidents.read")
    ev = await svc.event_of(inc)
    a, p = await svc.assessor.assessment(inc, ev)
    st = await svc.assessor.readiness.current()
    names = {c["code"]: c.get("name") for c in st.communities}

    def build() -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
        return (
            assess.community_rows(a, p.exposure),
            assess.shelter_rows(a, p.exposure),
            assess.totals(a, p.exposure),
        )

    rows, shelters, totals = await asyncio.to_thread(build)
    rows.sort(key=lambda r: (-r["intensity"], r["code"]))
    states = {
        s.fid: s.status
        for s in await db.scalars(
            select(IncidentShelter).where(
                IncidentShelter.incident_id == inc.id,
                IncidentShelter.is_exercise.is_(inc.is_exercise),
            )
        )
    }
    timeline = [
        views.entry_dict(e)
        for e in await db.scalars(
            select(TimelineEntry)
            .where(
                TimelineEntry.incident_id == inc.id, TimelineEntry.is_exercise.is_(inc.is_exercise)
            )
            .order_by(TimelineEntry.id)
        )
    ]
    return {
        "incident": views.incident_dict(inc),
        "event": views.event_dict(ev),
        "totals": totals,
        "communities": [r | {"name": names.get(r["code"])} for r in rows[:TOP]],
        "shelters": [s | {"status": states.get(s["id"], "unset")} for s in shelters[:TOP]],
        "timeline": timeline,
    }


@router.get("/report", response_class=HTMLResponse)
async def report_html(
    inc_id: IdPath,
    principal: Reader,
    services: ServicesDep,
    svc: SvcDep,
    db: DbDep,
    lang: Lang = "zh-CN",
) -> HTMLResponse:
    """Printable report."""
    doc = await _doc(services, svc, principal, db, inc_id)
    return HTMLResponse(render_html(doc, lang))


@router.get("/report.pdf")
async def report_pdf(
    inc_id: IdPath,
    principal: Reader,
    services: ServicesDep,
    svc: SvcDep,
    db: DbDep,
    lang: Lang = "zh-CN",
) -> Response:
    """The report as PDF."""
    font = check_available()
    doc = await _doc(services, svc, principal, db, inc_id)
    data = await asyncio.to_thread(render_pdf, doc, lang, font)
    name = f"incident-{inc_id}{'-exercise' if doc['incident']['is_exercise'] else ''}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
