"""Exercises: a scenario becomes an exercise event and incident; the Nanao replay feeds it;
a functional or full-scale drill with a scenario link starts one when it goes in progress."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from console.audit import Actor
from console.events import Event, Handler
from console.incidents import views
from console.incidents.models import ExerciseOccupancy, Incident, Scenario
from console.incidents.service import IncidentService
from console.services import Services
from gis.quake import replay
from gis.quake.model import QuakeReport, check

log = logging.getLogger(__name__)
DRILL_ACTOR = Actor(None, "drills", None, "local")
LINK = re.compile(r"quake-scenario[:/#](\d+)")
EXERCISE_TYPES = frozenset({"functional", "full_scale"})


def scenario_report(s: Scenario, now: datetime) -> QuakeReport:
    """The scenario as an exercise report (never mistaken for a real one)."""
    return check(
        QuakeReport(
            source="exercise",
            source_id=f"EX-{s.id}-{uuid.uuid4().hex[:8]}",
            origin_time=now,
            lat=s.lat,
            lon=s.lon,
            depth_km=s.depth_km,
            magnitude=s.magnitude,
            mag_type="Ms",
            place=s.name,  # the title adds the exercise mark once
            status="reviewed",
            updated=now,
            strike_deg=s.strike_deg,
            is_exercise=True,
        ),
        now,
    )


async def start(
    services: Services,
    svc: IncidentService,
    spawn: Any,
    scenario: Scenario,
    actor: Actor,
    drill_id: str | None = None,
    replay_occupancy: bool = True,
) -> Incident:
    """Open the exercise incident for a scenario and start the occupancy replay."""
    rep = scenario_report(scenario, datetime.now(UTC))
    (out,) = await svc.ingest(
        [rep], actor, via="exercise", force_open=True, drill_id=drill_id, scenario_id=scenario.id
    )
    inc = await svc.get_incident(int(out["incident_id"]), is_exercise=True)
    if replay_occupancy:
        spawn(run_replay(services, svc, inc, scenario.replay_hours), f"exercise-replay-{inc.id}")
    return inc


async def run_replay(services: Services, svc: IncidentService, inc: Incident, hours: float) -> None:
    """Play the Nanao series onto the exercise's shelters as time passes."""
    assert inc.is_exercise, "the occupancy replay only ever feeds an exercise"
    a, p = await svc.assessor.assessment(inc, await svc.event_of(inc))
    ex = p.exposure
    hit = set(a.hit.tolist())
    near = {
        int(s) for c, s in zip(ex.pair_community, ex.pair_shelter, strict=True) if int(c) in hit
    }
    order = sorted(
        range(len(ex.shelter_ids)), key=lambda j: (j not in near, -ex.shelter_capacity[j])
    )
    district = [(ex.shelter_ids[j], int(ex.shelter_capacity[j])) for j in order]
    snaps, caps = await asyncio.to_thread(replay.load_series)
    steps = replay.plan(snaps, caps, district, datetime.now(UTC), hours)
    await svc.add_entry(
        inc,
        "replay",
        f"exercise occupancy replay started: {len(steps)} snapshots "
        f"over {hours:g} h ({replay.ATTRIBUTION})",
        {"snapshots": len(steps), "hours": hours, "rule": "rank of capacity"},
        "exercise",
    )
    for st in steps:
        delay = (st.at - datetime.now(UTC)).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)
        async with services.store.session() as db, db.begin():
            row = await db.get(Incident, inc.id)
            if row is None or row.status != "open":
                return
            for fid, count in st.counts.items():
                db.add(
                    ExerciseOccupancy(
                        incident_id=inc.id,
                        fid=fid,
                        reported_at=st.at,
                        count=count,
                        open=count > 0,
                        source=f"replay:{st.source_file}",
                    )
                )
        total = sum(st.counts.values())
        await services.bus.publish(
            "incident.occupancy",
            views.mark(
                True,
                {
                    "incident_id": inc.id,
                    "at": st.at.isoformat(),
                    "step": st.index,
                    "total": total,
                    "counts": st.counts,
                },
            ),
            audience=views.audience(inc),
        )
        if st.index % 10 == 0 or st.index == len(steps) - 1:
            await svc.add_entry(
                inc,
                "occupancy",
                f"exercise snapshot {st.index + 1}/{len(steps)}: {total} persons in shelters",
                {"step": st.index, "total": total},
                "exercise",
            )


def drill_handler(services: Services, svc: IncidentService, module: Any) -> Handler:
    """Start the exercise of a functional/full-scale drill that links a scenario
    ("quake-scenario:<id>" in its scenario text) when the drill goes in progress.

    Run as a consumer group, so one node starts it however many nodes hear the event."""

    async def handle(event: Event) -> None:
        await _on_event(services, svc, module, event)

    return handle


async def _on_event(services: Services, svc: IncidentService, module: Any, event: Event) -> None:
    if event.type != "drill.status" or event.data.get("status") != "in_progress":
        return
    plan = event.data.get("plan") or {}
    m = LINK.search(str(plan.get("scenario") or ""))
    if plan.get("type") not in EXERCISE_TYPES or m is None:
        return
    drill_id = str(event.data.get("id"))
    async with services.store.session() as db:
        if await db.scalar(select(Incident.id).where(Incident.drill_id == drill_id)):
            return
        scn = await db.get(Scenario, int(m.group(1)))
    if scn is None:
        log.warning("drill %s links unknown scenario %s", drill_id, m.group(1))
        return
    inc = await start(services, svc, module.spawn, scn, DRILL_ACTOR, drill_id=drill_id)
    log.info("drill %s started exercise incident %s", drill_id, inc.id)
