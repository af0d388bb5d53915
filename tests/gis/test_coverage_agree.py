"""One coverage definition: the map, live drill mode and readiness name the same cameras."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pytest
import shapely

from gis import coverage
from gis.crs import metric_crs
from tests.conftest import login
from tests.drills.api import LAT0, LON0, create_drill, seed_reference

X = LON0 + 0.01  # shelter S01 spans X..X+0.001, LAT0..LAT0+0.001; route R01 runs north of it


async def add_camera(c: httpx.AsyncClient, cid: str, lon: float, lat: float, **fov: float) -> None:
    body: dict[str, Any] = {
        "id": cid,
        "name": f"cam {cid}",
        "owner_unit_id": 3,
        "main_url": "rtsp://user:secret@127.0.0.1:9/x",
        "lon": lon,
        "lat": lat,
    }
    if fov:
        body["fov"] = fov
    r = await c.post("/api/cameras", json=body)
    assert r.status_code == 201, r.text


@pytest.mark.asyncio
async def test_map_live_drill_and_readiness_agree(client: httpx.AsyncClient, app: Any) -> None:
    await seed_reference(app)
    await login(client, "admin")
    # Sees only the shelter's south-west corner (75 m), not its middle (150 m away): a
    # point-on-surface rule and an any-part rule disagree here.
    await add_camera(client, "corner", X - 0.0005, LAT0 - 0.0005, bearing=45, angle=30, range_m=100)
    # No recorded view, 133 m south of the shelter's edge: inside the assumed 150 m circle.
    await add_camera(client, "dome", X + 0.0005, LAT0 - 0.0012)
    await add_camera(client, "dome-far", X + 0.0005, LAT0 - 0.003)
    await add_camera(client, "route", X + 0.0003, LAT0 + 0.004, bearing=90, angle=40, range_m=60)
    await add_camera(client, "away", X - 0.0005, LAT0 - 0.0005, bearing=225, angle=60, range_m=150)
    # A point shelter, with a camera 40 m west looking east at it.
    r = await client.post(
        "/api/gis/layers/shelters/features",
        json={
            "type": "Feature",
            "id": "S99",
            "geometry": {"type": "Point", "coordinates": [X + 0.002, LAT0 + 0.002]},
            "properties": {"name": "点状避难所", "capacity": 100},
        },
    )
    assert r.status_code == 201, r.text
    await add_camera(client, "point", X + 0.0016, LAT0 + 0.002, bearing=90, angle=20, range_m=50)
    expected = {"S01": {"corner", "dome"}, "S99": {"point"}, "R01": {"route"}}

    # The map's answer (and its drawn sectors contain what it counts).
    async def on_map(layer: str, fid: str) -> set[str]:
        r = await client.get(f"/api/gis/layers/{layer}/features/{fid}/cameras")
        assert r.status_code == 200, r.text
        return {c["id"] for c in r.json()["items"]}

    mapped = {
        "S01": await on_map("shelters", "S01"),
        "S99": await on_map("shelters", "S99"),
        "R01": await on_map("routes", "R01"),
    }
    # Live drill mode's answer for a drill at S01 along R01.
    await create_drill(client, "agree", route_ids=["R01"])
    live = (await client.get("/api/drills/agree/live")).json()
    covers: dict[str, set[str]] = {}
    for cam in live["cameras"]:
        for key in cam["covers"]:
            covers.setdefault("S01" if key == "venue" else key.split(":")[1], set()).add(cam["id"])
    # Readiness' answer (every camera is healthy here: no health rows yet).
    r = await client.post("/api/readiness/recompute")
    assert r.status_code in (200, 202), r.text
    detail = (await client.get("/api/readiness/C01")).json()
    ready = {s["id"]: set(s["cameras"]) for s in detail["shelters"]}
    ready |= {rt["id"]: set(rt["cameras"]) for rt in detail["routes"]}
    assert mapped == expected
    assert covers == {"S01": expected["S01"], "R01": expected["R01"]}
    assert {k: ready[k] for k in expected} == expected
    watched = {rt["id"]: rt["watched_m"] for rt in detail["routes"]}
    assert watched["R01"] > 0

    # The sector the map draws for a camera is the one counted.
    cams = (await client.get("/api/gis/cameras.geojson")).json()["features"]
    rings = {f["id"]: shapely.Polygon(f["properties"]["sector"]) for f in cams}
    corner = shapely.Point(X, LAT0)
    middle = shapely.Point(X + 0.0005, LAT0 + 0.0005)
    assert rings["corner"].buffer(1e-7).contains(corner) and not rings["corner"].contains(middle)
    assert next(f for f in cams if f["id"] == "dome")["properties"]["sector_assumed"] is True


def test_edges_count_and_unknown_views_are_circles() -> None:
    lon, lat = 113.3, 23.13
    crs = metric_crs(lon, lat)
    cams = [(lon, lat, 0.0, 90.0, 100.0), (lon, lat, None, None, None)]
    north_99 = shapely.Point(lon, lat + 99 / 110_760)  # 99 m north: inside both
    east_140 = shapely.Point(lon + 140 / 102_470, lat)  # outside the sector, inside the circle
    seen = coverage.cameras_seeing(cams, [north_99, east_140])
    assert seen == [{0, 1}, {1}]
    f = coverage.sectors(
        np.array([lon]),
        np.array([lat]),
        np.array([True]),
        np.array([np.nan]),
        np.array([np.nan]),
        np.array([np.nan]),
        crs,
    )
    assert f.range_m.tolist() == [coverage.NO_FOV_RANGE_M] * 2  # a circle: two half sectors
