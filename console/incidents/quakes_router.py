"""Earthquake intake: manual entry, pushed feeds, the events log and opening an incident."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import select

from console.audit import Actor
from console.bounds import IdPath
from console.deps import DbDep, ServicesDep
from console.errors import ProblemError
from console.gis.router import read_body
from console.incidents import views
from console.incidents.deps import Ingester, Reader, SvcDep, Writer
from console.incidents.models import QuakeEvent, QuakeReportRow
from gis.quake.model import QuakeError, QuakeReport, check
from gis.quake.parsers import parse

router = APIRouter(prefix="/api/quakes", tags=["incidents"])


class ManualQuake(BaseModel):
    """An earthquake entered by an operator."""

    model_config = ConfigDict(extra="forbid")

    lat: float = Field(description="Epicentre latitude (WGS84).")
    lon: float = Field(description="Epicentre longitude (WGS84).")
    depth_km: float = Field(10.0, description="Focal depth in km (-10..800).")
    magnitude: float = Field(description="Magnitude (-2..10).")
    mag_type: str = Field("Ms", max_length=16, description="Magnitude type: Ms, Mw, ML, M...")
    origin_time: AwareDatetime = Field(description="Origin time with its UTC offset.")
    source: str = Field("manual", max_length=64, description="Who reported it (e.g. phone: CENC).")
    place: str = Field("", max_length=300)
    strike_deg: float | None = Field(None, description="Fault strike if known (0..360).")
    event_id: str | None = Field(None, max_length=200, description="Id to revise later.")


def _problem(exc: QuakeError, prefix: str = "body.") -> ProblemError:
    errs = [{**e, "loc": prefix + e["loc"]} for e in exc.errors]
    return ProblemError(422, f"{errs[0]['loc']}: {errs[0]['msg']}", code="validation", errors=errs)


@router.post("", status_code=201)
async def enter_quake(body: ManualQuake, principal: Ingester, svc: SvcDep) -> dict[str, Any]:
    """Enter an earthquake by hand; it is deduplicated against the feeds' reports."""
    rep = QuakeReport(
        source="manual",
        source_id=body.event_id or f"manual-{uuid.uuid4().hex[:12]}",
        origin_time=body.origin_time,
        lat=body.lat,
        lon=body.lon,
        depth_km=body.depth_km,
        magnitude=body.magnitude,
        mag_type=body.mag_type,
        place=body.place,
        status="reviewed",
        updated=datetime.now(UTC),
        strike_deg=body.strike_deg,
        extra={"reported_by": body.source},
    )
    try:
        rep = check(rep)
    except QuakeError as exc:
        raise _problem(exc) from exc
    (out,) = await svc.ingest([rep], Actor.of(principal), via="manual")
    return out


@router.post("/ingest")
async def ingest(
    request: Request,
    principal: Ingester,
    services: ServicesDep,
    svc: SvcDep,
    format: Annotated[Literal["auto", "usgs", "cenc", "quakeml"], Query()] = "auto",
    feed: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """A pushed feed body (USGS GeoJSON, CENC JSON or QuakeML); good entries are filed,
    bad ones listed; a body that is unusable as a whole (HTML, not JSON) is a 422."""
    data = await read_body(request, services.settings.incidents.feed_max_bytes)
    try:
        parsed = await asyncio.to_thread(parse, data, format)
    except QuakeError as exc:
        raise _problem(exc, "") from exc
    source = feed or parsed.format
    outcomes = await svc.ingest(parsed.reports, Actor.of(principal), via=f"push:{source}")
    if feed:
        from console.incidents.feeds import mark_feed

        await mark_feed(services, feed, None)
    return {
        "format": parsed.format,
        "received": len(parsed.reports),
        "filed": outcomes,
        "errors": parsed.errors,
        "ignored": parsed.ignored,
    }


@router.get("")
async def list_events(
    principal: Reader,
    db: DbDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    exercise: bool | None = None,
    status: Literal["logged", "opened"] | None = None,
) -> dict[str, Any]:
    """The events log: every earthquake received, opened or logged only, newest first."""
    stmt = select(QuakeEvent).order_by(QuakeEvent.origin_time.desc()).limit(limit)
    if exercise is not None:
        stmt = stmt.where(QuakeEvent.is_exercise.is_(exercise))
    if status is not None:
        stmt = stmt.where(QuakeEvent.status == status)
    return {"items": [views.event_dict(e) for e in await db.scalars(stmt)]}


@router.get("/{event_id}")
async def get_event(event_id: IdPath, principal: Reader, db: DbDep) -> dict[str, Any]:
    """One event with every report received for it (revisions, sources, stale ones)."""
    ev = await db.get(QuakeEvent, event_id)
    if ev is None:
        raise ProblemError(404, f"earthquake event {event_id} not found", code="not-found")
    rows = await db.scalars(
        select(QuakeReportRow)
        .where(QuakeReportRow.event_id == ev.id, QuakeReportRow.is_exercise.is_(ev.is_exercise))
        .order_by(QuakeReportRow.id)
    )
    reports = [
        {
            "id": r.id,
            "source": r.source,
            "source_id": r.source_id,
            "revised_at": r.revised_at.isoformat(),
            "received_at": r.received_at.isoformat(),
            "outcome": r.outcome,
            "changes": r.changes,
            "report": r.report,
        }
        for r in rows
    ]
    return views.event_dict(ev) | {"reports": reports}


@router.post("/{event_id}/open")
async def open_incident(
    event_id: IdPath, principal: Writer, svc: SvcDep, response: Response
) -> dict[str, Any]:
    """Open the event's incident by hand; opening it again returns the same incident."""
    async with svc.services.store.session() as db:
        ev = await db.get(QuakeEvent, event_id)
    if ev is None:
        raise ProblemError(404, f"earthquake event {event_id} not found", code="not-found")
    existed = ev.incident_id is not None
    inc = await svc.open(event_id, Actor.of(principal))
    response.status_code = 200 if existed else 201
    return views.incident_dict(inc) | {"already_open": existed}
