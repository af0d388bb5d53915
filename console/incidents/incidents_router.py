"""Incidents: list, detail, intensity per community, isoseismals, impact, strike, close."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from console.audit import Actor
from console.auth.policy import visible_to
from console.bounds import IdPath
from console.deps import DbDep, ServicesDep
from console.incidents import views
from console.incidents.deps import Manager, Reader, SvcDep, bad, load, open_only
from console.incidents.models import Incident
from gis.quake import assess
from gis.quake.intensity import relations
from gis.quake.isoseismal import isoseismals

router = APIRouter(prefix="/api/incidents", tags=["incidents"])
SortKey = Literal["displaced", "intensity", "unsheltered", "fatalities", "code"]


@router.get("")
async def list_incidents(
    principal: Reader,
    db: DbDep,
    status: Literal["open", "closed"] | None = None,
    exercise: bool | None = None,
) -> dict[str, Any]:
    """Incidents the caller's units are involved in, newest first."""
    stmt = select(Incident).order_by(Incident.opened_at.desc())
    if status:
        stmt = stmt.where(Incident.status == status)
    if exercise is not None:
        stmt = stmt.where(Incident.is_exercise.is_(exercise))
    rows = [i for i in await db.scalars(stmt) if visible_to(principal, views.units(i))]
    return {"items": [views.incident_dict(i) for i in rows]}


@router.get("/{inc_id}")
async def get_incident(
    inc_id: IdPath, principal: Reader, services: ServicesDep, svc: SvcDep
) -> dict[str, Any]:
    """An incident with its event and headline figures."""
    inc = await load(services, svc, principal, inc_id, "incidents.read")
    return views.incident_dict(inc, await svc.event_of(inc))


async def _assessment(svc: SvcDep, inc: Incident) -> tuple[assess.Assessment, Any]:
    ev = await svc.event_of(inc)
    a, p = await svc.assessor.assessment(inc, ev)
    return a, p


@router.get("/{inc_id}/intensity")
async def intensity_table(
    inc_id: IdPath, principal: Reader, services: ServicesDep, svc: SvcDep
) -> dict[str, Any]:
    """Estimated intensity per community (ensemble median, spread, each relation)."""
    inc = await load(services, svc, principal, inc_id, "incidents.read")
    a, p = await _assessment(svc, inc)
    st = await svc.assessor.readiness.current()
    names = {c["code"]: c.get("name") for c in st.communities}
    rows = await asyncio.to_thread(assess.community_rows, a, p.exposure)
    items = [
        {
            k: r[k]
            for k in (
                "code",
                "intensity",
                "degree",
                "roman",
                "intensity_low",
                "intensity_high",
                "by_relation",
                "population",
            )
        }
        | {"name": names.get(r["code"])}
        for r in rows
    ]
    return views.mark(
        inc.is_exercise,
        {
            "incident_id": inc.id,
            "revision": inc.revision,
            "strike": a.quake.strike.as_dict(),
            "relations": [relations()[r].info() for r in a.comm.used],
            "notes": a.comm.notes,
            "items": items,
        },
    )


@router.get("/{inc_id}/isoseismals.geojson")
async def isoseismal_geojson(
    inc_id: IdPath,
    principal: Reader,
    services: ServicesDep,
    svc: SvcDep,
    relation: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Isoseismal polygons per degree (ensemble median, or one relation's ellipses)."""
    inc = await load(services, svc, principal, inc_id, "incidents.read")
    a, _ = await _assessment(svc, inc)
    ids = a.comm.used
    if relation is not None:
        if relation not in relations():
            raise bad("query.relation", f"unknown relation {relation!r}", "unknown")
        ids = [relation]
    q = a.quake
    fc = await asyncio.to_thread(
        isoseismals, ids, q.magnitude, q.depth_km, q.lat, q.lon, q.strike.strike_deg
    )
    for f in fc["features"]:
        f["properties"] |= {"is_exercise": inc.is_exercise, "label": views.label(inc.is_exercise)}
    fc["properties"] = views.mark(
        inc.is_exercise,
        {
            "incident_id": inc.id,
            "relations": ids,
            "strike": q.strike.as_dict(),
            "epicentre": [q.lon, q.lat],
        },
    )
    return fc


@router.get("/{inc_id}/impact")
async def impact(
    inc_id: IdPath,
    principal: Reader,
    services: ServicesDep,
    svc: SvcDep,
    sort: SortKey = "displaced",
    limit: Annotated[int, Query(ge=1, le=10000)] = 200,
) -> dict[str, Any]:
    """Totals, the communities (sorted) and the shelters with expected demand."""
    inc = await load(services, svc, principal, inc_id, "incidents.read")
    a, p = await _assessment(svc, inc)
    ex = p.exposure

    def build() -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
        return assess.community_rows(a, ex), assess.shelter_rows(a, ex), assess.totals(a, ex)

    rows, shelters, totals = await asyncio.to_thread(build)
    key = {
        "displaced": "displaced",
        "intensity": "intensity",
        "unsheltered": "unsheltered",
        "fatalities": "fatalities",
        "code": "code",
    }[sort]
    rows.sort(key=lambda r: r[key], reverse=sort != "code")
    return views.mark(
        inc.is_exercise,
        {
            "incident_id": inc.id,
            "revision": inc.revision,
            "totals": totals,
            "communities": rows[:limit],
            "shelters": shelters,
        },
    )


class StrikeIn(BaseModel):
    """The operator's fault strike, or null to go back to the faults layer."""

    model_config = ConfigDict(extra="forbid")

    strike_deg: float | None = Field(ge=0, le=360)


@router.put("/{inc_id}/strike")
async def set_strike(
    inc_id: IdPath, body: StrikeIn, principal: Manager, services: ServicesDep, svc: SvcDep
) -> dict[str, Any]:
    """Set the long-axis strike by hand; everything is recomputed."""
    inc = await load(services, svc, principal, inc_id, "incidents.manage")
    open_only(inc)
    async with services.store.session() as db, db.begin():
        row = await db.get(Incident, inc.id)
        assert row is not None
        before = row.strike_override
        row.strike_override = body.strike_deg
        entry = services.audit.add(
            db,
            Actor.of(principal),
            "incident.strike",
            target_type="incident",
            target_id=inc.id,
            detail={"before": before, "after": body.strike_deg},
        )
        inc = row
    await services.audit.announce(entry)
    change = [{"field": "strike_deg", "before": before, "after": body.strike_deg}]
    inc = await svc.revise(inc, await svc.event_of(inc), change, Actor.of(principal))
    return views.incident_dict(inc)


@router.post("/{inc_id}/close")
async def close(
    inc_id: IdPath, principal: Manager, services: ServicesDep, svc: SvcDep
) -> dict[str, Any]:
    """Close the incident."""
    inc = await load(services, svc, principal, inc_id, "incidents.manage")
    return views.incident_dict(await svc.close(inc, Actor.of(principal)))
