"""Live drill mode: start, the control view (timeline, measures, cameras), timeline entries."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import shapely
from fastapi import APIRouter, Depends, Header, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console.audit import Actor
from console.auth.policy import Principal, visible_to
from console.cameras.models import Camera
from console.deps import DbDep, ServicesDep, check, require
from console.drills import service, timeline, transitions
from console.drills.cameras import CameraPlace, covering
from console.drills.config import config
from console.drills.models import DrillEventRow
from console.drills.schemas import CameraOut, DrillOut, LiveOut, TimelineIn, TimelineItem
from console.errors import ProblemError
from console.gis.models import Feature
from console.health.models import CameraHealth
from console.preconditions import etag
from drills.conduct import EntryKind, TimelineEntry, append_entry
from drills.errors import DrillError
from drills.models import DrillPlan
from drills.workflow import Status

router = APIRouter(prefix="/api/drills", tags=["drills"])
Reader = Annotated[Principal, Depends(require("drills.read"))]
Runner = Annotated[Principal, Depends(require("drills.run"))]


async def _cameras(db: AsyncSession, principal: Principal, plan: DrillPlan) -> list[CameraOut]:
    wanted = {("shelters", plan.venue_shelter_id)} | {("routes", r) for r in plan.route_ids}
    feats = await db.scalars(
        select(Feature).where(
            Feature.layer.in_(["shelters", "routes"]),
            Feature.fid.in_([fid for _, fid in wanted]),
            Feature.deleted.is_(False),
        )
    )
    targets = {
        ("venue" if f.layer == "shelters" else f"route:{f.fid}"): shapely.from_geojson(f.geometry)
        for f in feats
        if (f.layer, f.fid) in wanted
    }
    if not targets:
        return []
    cams = [
        c
        for c in await db.scalars(select(Camera).where(Camera.enabled.is_(True)))
        if c.lon is not None
        and c.lat is not None
        and visible_to(principal, {c.owner_unit_id, *c.shared_unit_ids})
    ]
    places = [
        CameraPlace(c.id, float(c.lon), float(c.lat), c.bearing, c.fov_angle, c.fov_range_m)
        for c in cams
        if c.lon is not None and c.lat is not None
    ]
    hits = await asyncio.to_thread(covering, places, targets)
    if not hits:
        return []
    names = {c.id: c.name for c in cams}
    health = {
        h.camera_id: h.status
        for h in await db.scalars(
            select(CameraHealth).where(CameraHealth.camera_id.in_([h[0] for h in hits]))
        )
    }
    return [
        CameraOut(id=cid, name=names[cid], status=health.get(cid, "unknown"), covers=keys)
        for cid, keys in sorted(hits)
    ]


@router.post("/{drill_id}/start", response_model=DrillOut)
async def start_drill(
    drill_id: str,
    principal: Runner,
    services: ServicesDep,
    db: DbDep,
    response: Response,
    if_match: Annotated[str | None, Header(description="Version from the ETag.")] = None,
) -> DrillOut:
    """Start a scheduled drill near one of its occurrences (If-Match) and open its live view."""
    row = await service.load(services, db, principal, drill_id, "drills.read")
    out = await transitions.transition(
        services, db, principal, row, Status.in_progress, if_match=if_match
    )
    response.headers["ETag"] = etag(row.version)
    return out


@router.get("/{drill_id}/live", response_model=LiveOut)
async def live_view(drill_id: str, principal: Reader, services: ServicesDep, db: DbDep) -> LiveOut:
    """Plan, status, timeline, measures and the cameras covering the venue and routes."""
    row = await service.load(services, db, principal, drill_id, "drills.read")
    plan = service.stored_plan(row)
    rows, measures = await timeline.measures(db, row)
    return LiveOut(
        id=row.id,
        plan=plan,
        status=row.status,
        status_reason=row.status_reason or "",
        version=row.version,
        run_start=row.run_start,
        timeline=[timeline.item(r) for r in rows],
        measures=measures,
        cameras=await _cameras(db, principal, plan),
    )


def _bad(loc: str, msg: str, type_: str) -> ProblemError:
    return ProblemError(
        422, f"{loc}: {msg}", code="validation", errors=[{"loc": loc, "msg": msg, "type": type_}]
    )


@router.post("/{drill_id}/timeline", status_code=201, response_model=TimelineItem)
async def add_entry(
    drill_id: str, body: TimelineIn, principal: Reader, services: ServicesDep, db: DbDep
) -> TimelineItem:
    """Log an entry while the drill runs: anyone of the organising or a participating unit adds
    observer notes; their admins and coordinators add the other entries."""
    row = await service.load(services, db, principal, drill_id, "drills.observe")
    if body.kind != EntryKind.note:
        await check(services, principal, "drills.timeline", service.resource(row))
    if row.status != Status.in_progress.value:
        raise ProblemError(
            409,
            f"the timeline is open only while the drill is in progress ({row.status})",
            code="not-in-progress",
        )
    now = service.now()
    at = body.at or now
    if at.tzinfo is None or at.utcoffset() is None:
        raise _bad("body.at", "datetime must carry a time zone offset", "naive_datetime")
    try:
        entry = TimelineEntry(
            kind=body.kind, at=at, author_id=principal.username, count=body.count, text=body.note
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = service.field_path("body", *err["loc"]) if err["loc"] else "body.count"
        raise _bad(loc, err["msg"], err["type"]) from exc
    existing = [timeline.entry(r) for r in await timeline.rows(db, row.id)]
    not_before = row.run_start - config(services).start_early if row.run_start else None
    try:
        append_entry(existing, entry, now, not_before)
    except DrillError as exc:
        raise service.domain_problem(exc, "body") from exc
    ev = DrillEventRow(
        drill_id=row.id,
        kind=entry.kind.value,
        at=at.astimezone(UTC),
        count=entry.count,
        note=entry.text,
        author=principal.username,
        created_at=datetime.now(UTC),
    )
    db.add(ev)
    await db.flush()
    audit = services.audit.add(
        db,
        Actor.of(principal),
        "drill.timeline.add",
        target_type="drill",
        target_id=row.id,
        detail={"kind": ev.kind, "at": at.isoformat(), "entry_id": ev.id},
    )
    await db.commit()
    await services.audit.announce(audit)
    item = timeline.item(ev)
    await services.bus.publish(
        "drills.timeline.added",
        {"drill_id": row.id, "entry": item.model_dump(mode="json")},
        audience=service.audience(row),
    )
    return item
