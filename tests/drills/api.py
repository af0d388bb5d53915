"""Helpers for the drills API tests: plans, drills and the GIS features they refer to."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from shapely.geometry import LineString, Point, box
from shapely.geometry.base import BaseGeometry

from console.gis import store as gis_store

SH = ZoneInfo("Asia/Shanghai")
# Reference features around Dongshan, Guangzhou; shelter Sxx sits 0.01 deg east of Sxx-1.
LON0, LAT0 = 113.29, 23.13


def shelter_box(i: int) -> BaseGeometry:
    """Shelter S0i: a square about 100 m wide."""
    x = LON0 + 0.01 * i
    return box(x, LAT0, x + 0.001, LAT0 + 0.001)


def route_line(i: int) -> BaseGeometry:
    """Route R0i: a 500 m line running north from shelter S0i."""
    x = LON0 + 0.01 * i + 0.0005
    return LineString([(x, LAT0 + 0.001), (x, LAT0 + 0.0055)])


async def seed_reference(app: Any, n: int = 9) -> None:
    """Communities C01.., shelters S01.., routes R01.., teams T01.. in the GIS layers."""
    communities, shelters, routes, teams = [], [], [], []
    for i in range(1, n + 1):
        code = f"C{i:02d}"
        x = LON0 + 0.01 * i
        area = box(x - 0.004, LAT0 - 0.004, x + 0.005, LAT0 + 0.006)
        communities.append(
            (
                f"comm-{i}",
                area,
                {"name": f"社区{i}", "code": code, "population": 1000 * i, "households": 300 * i},
            )
        )
        shelters.append((f"S{i:02d}", shelter_box(i), {"name": f"避难场所{i}", "capacity": 500}))
        routes.append(
            (f"R{i:02d}", route_line(i), {"name": f"疏散路线{i}", "community_code": code})
        )
        teams.append(
            (
                f"T{i:02d}",
                Point(x, LAT0),
                {"community_code": code, "name": f"志愿队{i}", "head_count": 12},
            )
        )
    async with app.state.services.store.session() as db:
        for layer, items in (
            ("communities", communities),
            ("shelters", shelters),
            ("routes", routes),
            ("teams", teams),
        ):
            await gis_store.upsert(db, layer, items, "tests")
        await db.commit()


def plan_body(
    unit: int = 3, start: datetime | None = None, shelter: str = "S01", **kw: Any
) -> dict[str, Any]:
    """A valid plan as JSON."""
    s = start or datetime(2027, 5, 12, 9, 0, tzinfo=SH)
    data: dict[str, Any] = {
        "title": "社区地震疏散演练",
        "type": "community_evacuation",
        "community_ids": ["C01"],
        "venue_shelter_id": shelter,
        "organising_unit": str(unit),
        "start": s.isoformat(),
        "end": (s + timedelta(hours=2)).isoformat(),
        "expected_residents": 200,
    }
    data.update(kw)
    return data


async def create_drill(c: httpx.AsyncClient, drill_id: str, unit: int = 3, **kw: Any) -> str:
    """Create a drill and return its id."""
    r = await c.post("/api/drills", json={"id": drill_id, "plan": plan_body(unit, **kw)})
    assert r.status_code == 201, r.text
    return drill_id


async def move(c: httpx.AsyncClient, drill_id: str, to: str, **extra: Any) -> httpx.Response:
    """One workflow step with If-Match set to the drill's current version."""
    etag = (await c.get(f"/api/drills/{drill_id}")).headers.get("ETag", '"0"')
    return await c.post(
        f"/api/drills/{drill_id}/transition",
        json={"to": to, **extra},
        headers={"If-Match": etag},
    )


async def start(c: httpx.AsyncClient, drill_id: str) -> httpx.Response:
    """POST /start with If-Match."""
    etag = (await c.get(f"/api/drills/{drill_id}")).headers.get("ETag", '"0"')
    return await c.post(f"/api/drills/{drill_id}/start", headers={"If-Match": etag})


async def advance(c: httpx.AsyncClient, drill_id: str, *steps: str) -> dict[str, Any]:
    """Walk the drill through workflow steps; return the last response body."""
    body: dict[str, Any] = {}
    for step in steps:
        r = await move(c, drill_id, step)
        assert r.status_code == 200, r.text
        body = r.json()
    return body


def soon(minutes: float = -30) -> datetime:
    """Now plus `minutes` in Shanghai (negative: already begun), to the second."""
    return (datetime.now(SH) + timedelta(minutes=minutes)).replace(microsecond=0)


TO_SCHEDULED = ("submitted", "approved", "scheduled")
