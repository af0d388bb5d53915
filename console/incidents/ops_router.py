"""Running an incident: shelters (status, occupancy), dispatches, timeline, auto-wall picks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from console.audit import Actor
from console.bounds import IdPath
from console.cameras.models import Camera
from console.deps import DbDep, ServicesDep
from console.gis import store
from console.gis.models import OccupancyReport
from console.gis.occupancy import ReportIn, report_occupancy
from console.health.models import CameraHealth
from console.incidents import views
from console.incidents.deps import Reader, SvcDep, Writer, bad, load, open_only
from console.incidents.models import (
    CameraPick,
    Dispatch,
    ExerciseOccupancy,
    Incident,
    IncidentShelter,
    TimelineEntry,
)
from gis.quake import assess, autowall

router = APIRouter(prefix="/api/incidents/{inc_id}", tags=["incidents"])
FUTURE = timedelta(minutes=1)


async def _latest(
    db: DbDep, inc: Incident, fids: list[str]
) -> dict[str, tuple[datetime, int, bool]]:
    """Latest occupancy per shelter: the real series, or the exercise's own for an exercise."""
    out: dict[str, tuple[datetime, int, bool]] = {}
    model: Any = ExerciseOccupancy if inc.is_exercise else OccupancyReport
    stmt = select(model.fid, model.reported_at, model.count, model.open).where(model.fid.in_(fids))
    if inc.is_exercise:
        stmt = stmt.where(ExerciseOccupancy.incident_id == inc.id)
    for fid, at, count, is_open in await db.execute(stmt.order_by(model.reported_at)):
        out[fid] = (at, count, is_open)
    return out


@router.get("/shelters")
async def shelters(
    inc_id: IdPath, principal: Reader, services: ServicesDep, svc: SvcDep, db: DbDep
) -> dict[str, Any]:
    """Shelters with expected demand, capacity, status and the latest occupancy report."""
    inc = await load(services, svc, principal, inc_id, "incidents.read")
    a, p = await svc.assessor.assessment(inc, await svc.event_of(inc))
    rows = {r["id"]: r for r in assess.shelter_rows(a, p.exposure)}
    states = {
        s.fid: s
        for s in await db.scalars(
            select(IncidentShelter).where(
                IncidentShelter.incident_id == inc.id,
                IncidentShelter.is_exercise.is_(inc.is_exercise),
            )
        )
    }
    fids = sorted(set(rows) | set(states))
    latest = await _latest(db, inc, fids)
    cap = dict(zip(p.exposure.shelter_ids, p.exposure.shelter_capacity.tolist(), strict=True))
    items = []
    for fid in fids:
        r = rows.get(fid, {"id": fid, "expected_demand": 0, "over_capacity": False, "excess": 0})
        at, count, _is_open = latest.get(fid, (None, None, None))
        capacity = int(cap.get(fid, 0))
        items.append(
            r
            | {
                "capacity": capacity,
                "status": states[fid].status if fid in states else "unset",
                "occupancy": count,
                "occupancy_at": at.isoformat() if at else None,
                "occupancy_ratio": round(count / capacity, 3)
                if count is not None and capacity
                else None,
                "reported_full": bool(count is not None and capacity and count >= capacity),
            }
        )
    items.sort(key=lambda r: -r["expected_demand"])
    return views.mark(inc.is_exercise, {"incident_id": inc.id, "items": items})


class StatusIn(BaseModel):
    """A shelter's state in the incident."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["opened", "full", "closed"]


@router.put("/shelters/{fid}")
async def set_shelter(
    inc_id: IdPath, fid: str, body: StatusIn, principal: Writer, services: ServicesDep, svc: SvcDep
) -> dict[str, Any]:
    """Mark a shelter opened, full or closed (timeline, audit, live to the units)."""
    inc = await load(services, svc, principal, inc_id, "incidents.write")
    open_only(inc)
    async with services.store.session() as db, db.begin():
        if await store.get(db, "shelters", fid) is None:
            raise bad("path.fid", f"no shelter {fid}", "not_found", 404)
        row = await db.scalar(
            select(IncidentShelter).where(
                IncidentShelter.incident_id == inc.id, IncidentShelter.fid == fid
            )
        )
        before = row.status if row else None
        if row is None:
            row = IncidentShelter(incident_id=inc.id, is_exercise=inc.is_exercise, fid=fid)
            db.add(row)
        row.status, row.updated_by, row.updated_at = (
            body.status,
            principal.username,
            datetime.now(UTC),
        )
        entry = services.audit.add(
            db,
            Actor.of(principal),
            "incident.shelter",
            target_type="incident",
            target_id=inc.id,
            detail={"fid": fid, "before": before, "after": body.status},
        )
        te = await svc.add_entry(
            inc,
            "shelter",
            f"shelter {fid}: {body.status}",
            {"fid": fid, "status": body.status},
            principal.username,
            db,
        )
    await services.audit.announce(entry)
    await svc.publish_entry(inc, te)
    data = views.mark(inc.is_exercise, {"incident_id": inc.id, "fid": fid, "status": body.status})
    await services.bus.publish("incident.shelter", data, audience=views.audience(inc))
    return data


@router.post("/shelters/{fid}/occupancy", status_code=201)
async def occupancy(
    inc_id: IdPath,
    fid: str,
    body: ReportIn,
    principal: Writer,
    services: ServicesDep,
    svc: SvcDep,
    db: DbDep,
) -> dict[str, Any]:
    """A head count: a real incident writes the shelter's occupancy series (as the GIS
    occupancy route does); an exercise keeps its counts apart."""
    inc = await load(services, svc, principal, inc_id, "incidents.write")
    open_only(inc)
    if body.at > datetime.now(UTC) + FUTURE:
        raise bad("body.at", "the time is in the future", "future")
    if inc.is_exercise:
        if await store.get(db, "shelters", fid) is None:
            raise bad("path.fid", f"no shelter {fid}", "not_found", 404)
        db.add(
            ExerciseOccupancy(
                incident_id=inc.id,
                fid=fid,
                reported_at=body.at,
                count=body.count,
                open=body.open,
                source=principal.username,
            )
        )
        await db.commit()
        out: dict[str, Any] = {"fid": fid, "at": body.at.isoformat(), "count": body.count}
    else:
        out = await report_occupancy(fid, body, principal, services, db)
    await svc.add_entry(
        inc,
        "occupancy",
        f"shelter {fid}: {body.count} persons",
        {"fid": fid, "count": body.count, "at": body.at.isoformat()},
        principal.username,
    )
    return views.mark(inc.is_exercise, out)


class DispatchIn(BaseModel):
    """Kits or supplies sent."""

    model_config = ConfigDict(extra="forbid")

    item: Literal["kits", "water_l", "food_kcal", "tents", "medical", "other"]
    quantity: float = Field(gt=0, le=1e12)
    community_code: str | None = Field(None, max_length=64)
    shelter_fid: str | None = Field(None, max_length=128)
    note: str = Field("", max_length=2000)


@router.post("/dispatches", status_code=201)
async def dispatch(
    inc_id: IdPath, body: DispatchIn, principal: Writer, services: ServicesDep, svc: SvcDep
) -> dict[str, Any]:
    """Record a dispatch to a community or shelter."""
    inc = await load(services, svc, principal, inc_id, "incidents.write")
    open_only(inc)
    if not body.community_code and not body.shelter_fid:
        raise bad("body.community_code", "name a community or a shelter", "missing")
    async with services.store.session() as db, db.begin():
        if body.community_code and body.community_code not in await store.community_codes(db):
            raise bad("body.community_code", f"no community {body.community_code}", "unknown")
        if body.shelter_fid and await store.get(db, "shelters", body.shelter_fid) is None:
            raise bad("body.shelter_fid", f"no shelter {body.shelter_fid}", "unknown")
        d = Dispatch(
            incident_id=inc.id,
            is_exercise=inc.is_exercise,
            by=principal.username,
            at=datetime.now(UTC),
            **body.model_dump(),
        )
        db.add(d)
        await db.flush()
        entry = services.audit.add(
            db,
            Actor.of(principal),
            "incident.dispatch",
            target_type="incident",
            target_id=inc.id,
            detail=body.model_dump(),
        )
        where = body.community_code or body.shelter_fid
        te = await svc.add_entry(
            inc,
            "dispatch",
            f"dispatched {body.quantity:g} {body.item} to {where}",
            views.dispatch_dict(d),
            principal.username,
            db,
        )
    await services.audit.announce(entry)
    await svc.publish_entry(inc, te)
    return views.dispatch_dict(d)


@router.get("/dispatches")
async def dispatches(
    inc_id: IdPath, principal: Reader, services: ServicesDep, svc: SvcDep, db: DbDep
) -> dict[str, Any]:
    """Dispatches so far, with totals per item."""
    inc = await load(services, svc, principal, inc_id, "incidents.read")
    rows = list(
        await db.scalars(
            select(Dispatch)
            .where(Dispatch.incident_id == inc.id, Dispatch.is_exercise.is_(inc.is_exercise))
            .order_by(Dispatch.id)
        )
    )
    totals: dict[str, float] = {}
    for d in rows:
        totals[d.item] = totals.get(d.item, 0.0) + d.quantity
    return views.mark(
        inc.is_exercise, {"items": [views.dispatch_dict(d) for d in rows], "totals": totals}
    )


class EntryIn(BaseModel):
    """A note or a decision for the timeline."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["note", "decision"]
    text: str = Field(min_length=1, max_length=5000)


@router.post("/timeline", status_code=201)
async def add_entry(
    inc_id: IdPath, body: EntryIn, principal: Writer, services: ServicesDep, svc: SvcDep
) -> dict[str, Any]:
    """Add a note or decision (audited; pushed live to the incident's users)."""
    inc = await load(services, svc, principal, inc_id, "incidents.write")
    async with services.store.session() as db, db.begin():
        te = await svc.add_entry(inc, body.kind, body.text, {}, principal.username, db)
        entry = services.audit.add(
            db,
            Actor.of(principal),
            f"incident.{body.kind}",
            target_type="incident",
            target_id=inc.id,
            detail={"text": body.text[:500]},
        )
    await services.audit.announce(entry)
    await svc.publish_entry(inc, te)
    return views.entry_dict(te)


@router.get("/timeline")
async def timeline(
    inc_id: IdPath,
    principal: Reader,
    services: ServicesDep,
    svc: SvcDep,
    db: DbDep,
    after_id: Annotated[int | None, Query(ge=0)] = None,
) -> dict[str, Any]:
    """Every event, decision and note, oldest first (after_id: only newer ones)."""
    inc = await load(services, svc, principal, inc_id, "incidents.read")
    stmt = select(TimelineEntry).where(
        TimelineEntry.incident_id == inc.id, TimelineEntry.is_exercise.is_(inc.is_exercise)
    )
    if after_id is not None:
        stmt = stmt.where(TimelineEntry.id > after_id)
    rows = await db.scalars(stmt.order_by(TimelineEntry.id))
    return views.mark(inc.is_exercise, {"items": [views.entry_dict(e) for e in rows]})


@router.get("/autowall")
async def autowall_list(
    inc_id: IdPath, principal: Reader, services: ServicesDep, svc: SvcDep, db: DbDep
) -> dict[str, Any]:
    """Suggested cameras, ranked, with health and the operator's pins and dismissals:
    pinned first, dismissed left out (listed apart)."""
    inc = await load(services, svc, principal, inc_id, "incidents.read")
    a, p = await svc.assessor.assessment(inc, await svc.event_of(inc))
    rows = autowall.as_rows(p.exposure, a.cameras)
    picks = {
        c.camera_id: c.action
        for c in await db.scalars(select(CameraPick).where(CameraPick.incident_id == inc.id))
    }
    ids = [r["camera_id"] for r in rows] + list(picks)
    info = {
        str(cid): (name, status)
        for cid, name, status in await db.execute(
            select(Camera.id, Camera.name, CameraHealth.status)
            .outerjoin(CameraHealth, CameraHealth.camera_id == Camera.id)
            .where(Camera.id.in_(ids))
        )
    }
    for r in rows:
        name, status = info.get(r["camera_id"], (None, None))
        r |= {
            "name": name,
            "status": status or ("ok" if r["usable"] else "offline"),
            "pick": picks.get(r["camera_id"]),
        }
    known = {r["camera_id"] for r in rows}
    pinned_extra: list[dict[str, Any]] = [
        {
            "camera_id": c,
            "name": info.get(c, (None, None))[0],
            "pick": "pin",
            "rank": None,
            "usable": (info.get(c, (None, None))[1] or "ok") not in ("offline", "degraded"),
            "status": info.get(c, (None, None))[1],
            "score": None,
            "shelters": [],
            "routes": [],
            "communities": [],
            "reason": "pinned by an operator",
        }
        for c, act in picks.items()
        if act == "pin" and c not in known
    ]
    shown = [r for r in rows if r["pick"] != "dismiss"]
    shown.sort(key=lambda r: (r["pick"] != "pin", not r["usable"], r["rank"] or 0))
    return views.mark(
        inc.is_exercise,
        {
            "incident_id": inc.id,
            "hardest_hit": [p.exposure.community_codes[i] for i in a.hit],
            "items": pinned_extra + shown,
            "dismissed": [r for r in rows if r["pick"] == "dismiss"],
        },
    )


class PickIn(BaseModel):
    """Pin a camera to the wall, dismiss a suggestion, or clear either."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["pin", "dismiss", "clear"]


@router.put("/autowall/{camera_id}")
async def pick(
    inc_id: IdPath,
    camera_id: str,
    body: PickIn,
    principal: Writer,
    services: ServicesDep,
    svc: SvcDep,
) -> dict[str, Any]:
    """Pin or dismiss an auto-wall camera (audited, on the timeline, live)."""
    inc = await load(services, svc, principal, inc_id, "incidents.write")
    async with services.store.session() as db, db.begin():
        if await db.get(Camera, camera_id) is None:
            raise bad("path.camera_id", f"no camera {camera_id}", "not_found", 404)
        row = await db.scalar(
            select(CameraPick).where(
                CameraPick.incident_id == inc.id, CameraPick.camera_id == camera_id
            )
        )
        if body.action == "clear":
            if row is not None:
                await db.delete(row)
        else:
            if row is None:
                row = CameraPick(incident_id=inc.id, camera_id=camera_id)
                db.add(row)
            row.action, row.by, row.at = body.action, principal.username, datetime.now(UTC)
        entry = services.audit.add(
            db,
            Actor.of(principal),
            f"incident.autowall.{body.action}",
            target_type="incident",
            target_id=inc.id,
            detail={"camera_id": camera_id},
        )
        te = await svc.add_entry(
            inc,
            "autowall",
            f"camera {camera_id}: {body.action}",
            {"camera_id": camera_id, "action": body.action},
            principal.username,
            db,
        )
    await services.audit.announce(entry)
    await svc.publish_entry(inc, te)
    data = views.mark(
        inc.is_exercise, {"incident_id": inc.id, "camera_id": camera_id, "action": body.action}
    )
    await services.bus.publish("incident.autowall", data, audience=views.audience(inc))
    return data


async def count_entries(db: DbDep, inc: Incident) -> int:
    """How many timeline entries an incident has (reports)."""
    return int(
        await db.scalar(
            select(func.count())
            .select_from(TimelineEntry)
            .where(TimelineEntry.incident_id == inc.id)
        )
        or 0
    )
