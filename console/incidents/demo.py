"""Demo: a fault through the demo district and an exercise scenario on it."""

from __future__ import annotations

import logging

import shapely
from sqlalchemy import select

from console.gis import store
from console.gis.models import Feature
from console.incidents.models import Scenario
from console.services import Services
from gis import synth

log = logging.getLogger(__name__)
# A NE-trending trace across the demo district, like the Guangzhou-Conghua fault's trend.
FAULT = [(113.20, 23.06), (113.27, 23.12), (113.33, 23.17), (113.40, 23.23)]


async def seed(services: Services) -> None:
    """The demo fault and an M6.0 scenario on it (idempotent)."""
    async with services.store.session() as db, db.begin():
        if await db.scalar(select(Feature.id).where(Feature.layer == "faults").limit(1)) is None:
            props = {
                "name": "示范断裂（演示）",
                "code": "F-DEMO",
                "kind": "strike_slip",
                "active_age": "Late Pleistocene",
            }
            await store.upsert(db, "faults", [("F-DEMO", shapely.LineString(FAULT), props)], "demo")
        if await db.scalar(select(Scenario.id).limit(1)) is None:
            x0, y0, x1, y1 = synth.DEMO_BBOX
            db.add(
                Scenario(
                    name="示范区 M6.0 断裂情景",
                    magnitude=6.0,
                    lat=(y0 + y1) / 2,
                    lon=(x0 + x1) / 2,
                    depth_km=10.0,
                    strike_deg=None,
                    fault_fid="F-DEMO",
                    replay_hours=2.0,
                    created_by="demo",
                )
            )
    log.info("demo incidents: fault and scenario")
