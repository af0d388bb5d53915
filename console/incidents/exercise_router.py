"""Exercise scenarios and starting an exercise incident."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from console.audit import Actor
from console.deps import DbDep, ServicesDep
from console.errors import ProblemError
from console.gis import store
from console.incidents import exercise, views
from console.incidents.deps import Manager, Reader, SvcDep, bad
from console.incidents.models import Scenario

router = APIRouter(tags=["incidents"])


class ScenarioIn(BaseModel):
    """A magnitude on a chosen fault (its trace's point nearest the district centre is the
    epicentre unless one is given), or an epicentre and a strike."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    magnitude: float = Field(ge=3.0, le=9.0)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    depth_km: float = Field(10.0, ge=0, le=700)
    strike_deg: float | None = Field(None, ge=0, le=360)
    fault_fid: str | None = Field(None, max_length=128)
    replay_hours: float = Field(2.0, gt=0, le=240, description="Nanao replay compressed into.")


def scenario_dict(s: Scenario) -> dict[str, Any]:
    """A scenario."""
    return views.mark(
        True,
        {
            k: getattr(s, k)
            for k in (
                "id",
                "name",
                "magnitude",
                "lat",
                "lon",
                "depth_km",
                "strike_deg",
                "fault_fid",
                "replay_hours",
                "created_by",
            )
        }
        | {"link": f"quake-scenario:{s.id}"},
    )


@router.get("/api/quake-scenarios")
async def list_scenarios(principal: Reader, db: DbDep) -> dict[str, Any]:
    """Exercise scenarios (link one from a drill plan's scenario text as quake-scenario:<id>)."""
    return {
        "items": [
            scenario_dict(s) for s in await db.scalars(select(Scenario).order_by(Scenario.id))
        ]
    }


@router.post("/api/quake-scenarios", status_code=201)
async def add_scenario(
    body: ScenarioIn, principal: Manager, services: ServicesDep, svc: SvcDep, db: DbDep
) -> dict[str, Any]:
    """Add a scenario; with a fault, the epicentre defaults to the fault and the strike to its."""
    lat, lon, strike = body.lat, body.lon, body.strike_deg
    if body.fault_fid:
        f = await store.get(db, "faults", body.fault_fid)
        if f is None or f.deleted:
            raise bad("body.fault_fid", f"no fault {body.fault_fid}", "unknown")
        p = await svc.assessor.prepared()
        if lat is None or lon is None:
            import shapely
            from shapely.ops import nearest_points

            g = shapely.from_geojson(f.geometry)
            near = nearest_points(g, shapely.Point(p.centre[1], p.centre[0]))[0]
            lon, lat = near.x, near.y
        if strike is None:
            k = p.faults.ids.index(f.fid) if f.fid in p.faults.ids else -1
            if k >= 0:
                strike = exercise_strike(p, k, lat, lon)
    if lat is None or lon is None:
        raise bad("body.lat", "give an epicentre or a fault", "missing")
    s = Scenario(
        name=body.name,
        magnitude=body.magnitude,
        lat=lat,
        lon=lon,
        depth_km=body.depth_km,
        strike_deg=strike,
        fault_fid=body.fault_fid,
        replay_hours=body.replay_hours,
        created_by=principal.username,
    )
    db.add(s)
    await db.flush()
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "quake.scenario.add",
        target_type="quake_scenario",
        target_id=s.id,
        detail=body.model_dump(),
    )
    await db.commit()
    await services.audit.announce(entry)
    return scenario_dict(s)


def exercise_strike(p: Any, k: int, lat: float, lon: float) -> float | None:
    """The chosen fault's strike (stated, or its trace's nearest segment)."""
    from gis.quake.faults import nearest_fault

    f = p.faults
    s = nearest_fault(lat, lon, f.geoms[k : k + 1], [f.ids[k]], [f.names[k]], [f.strikes[k]], 1e6)
    return s.strike_deg


class ExerciseIn(BaseModel):
    """Start an exercise from a scenario."""

    model_config = ConfigDict(extra="forbid")

    scenario_id: int
    replay: bool = Field(True, description="Replay the Nanao occupancy series.")
    drill_id: str | None = Field(None, max_length=64)


@router.post("/api/incidents/exercise", status_code=201)
async def start_exercise(
    body: ExerciseIn, principal: Manager, services: ServicesDep, svc: SvcDep, db: DbDep
) -> dict[str, Any]:
    """Start an exercise incident (演练): separate from any real incident, marked everywhere."""
    scn = await db.get(Scenario, body.scenario_id)
    if scn is None:
        raise bad("body.scenario_id", f"no scenario {body.scenario_id}", "unknown", 404)
    module: Any = services.extensions.get("incidents.module")
    if module is None:
        raise ProblemError(503, "the incidents module is not running", code="unavailable")
    inc = await exercise.start(
        services,
        svc,
        module.spawn,
        scn,
        Actor.of(principal),
        body.drill_id,
        body.replay,
    )
    return views.incident_dict(inc, await svc.event_of(inc))
