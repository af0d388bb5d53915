"""Feature editing API: create, If-Match updates, soft delete, history, validation; cameras layer."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pyproj import Geod
from sqlalchemy import select

from console.events import Audience
from console.store.models import AuditEntry
from gis.coverage import view_ring
from tests.conftest import login, new_client

SHELTER = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [113.27, 23.13]},
    "properties": {"name": "东山小学", "kind": "emergency", "effective_area_m2": 3000},
}


def _route(name: str = "R1") -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[113.27, 23.13], [113.28, 23.14]]},
        "properties": {"name": name},
    }


@pytest.mark.asyncio
async def test_create_update_delete_history(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "coordinator")
    seen: list[tuple[str, dict[str, Any], Audience]] = []
    bus = app.state.services.bus
    original = bus.publish

    async def spy(type_: str, data: dict[str, Any], audience: Audience = Audience()) -> Any:
        seen.append((type_, data, audience))
        return await original(type_, data, audience=audience)

    bus.publish = spy
    r = await client.post("/api/gis/layers/shelters/features", json=SHELTER)
    assert r.status_code == 201, r.text
    made = r.json()
    fid = made["id"]
    # 3,000 m² at 1 m² per person (GB 50413-2007 8.2.8, emergency shelters).
    assert made["properties"]["capacity"] == 3000 and made["properties"]["version"] == 1
    assert made["properties"]["capacity_basis"] == "area"
    assert r.headers["etag"] == '"1"'
    url = f"/api/gis/layers/shelters/features/{fid}"

    changed = {**SHELTER, "properties": {**made["properties"], "capacity": 2500}}
    r = await client.put(url, json=changed)
    assert r.status_code == 428 and r.json()["errors"][0]["loc"] == "header.If-Match"
    r = await client.put(url, json=changed, headers={"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["capacity"] == 2500 and r.json()["properties"]["version"] == 2
    r = await client.put(url, json=SHELTER, headers={"If-Match": "1"})
    assert r.status_code == 412 and r.json()["current_version"] == 2
    assert (await client.get(url)).json()["properties"]["capacity"] == 2500

    r = await client.delete(url, headers={"If-Match": "1"})
    assert r.status_code == 412
    r = await client.delete(url)
    assert r.status_code == 204
    assert (await client.get(url)).status_code == 404
    layer = (await client.get("/api/gis/layers/shelters.geojson")).json()
    assert all(f["id"] != fid for f in layer["features"])
    hist = (await client.get(f"{url}/history")).json()
    assert [v["version"] for v in hist["items"]] == [3, 2, 1]
    assert hist["deleted"] and hist["items"][0]["deleted"]
    assert hist["items"][1]["properties"]["capacity"] == 2500

    ops = [(d["op"], d["version"]) for t, d, _a in seen if t == "gis.feature.changed"]
    assert ops == [("create", 1), ("update", 2), ("delete", 3)]
    assert all(a.permission == "gis.read" for t, _d, a in seen if t == "gis.feature.changed")
    await app.state.services.audit.flush()
    async with app.state.services.store.session() as db:
        actions = list(
            await db.scalars(
                select(AuditEntry.action).where(AuditEntry.target_id == f"shelters/{fid}")
            )
        )
    assert sorted(actions) == ["gis.feature.create", "gis.feature.delete", "gis.feature.update"]


@pytest.mark.asyncio
async def test_validation_field_paths_and_nothing_written(client: httpx.AsyncClient) -> None:
    await login(client, "admin")
    body = {**SHELTER, "properties": {"name": "", "capacity": -5, "colour": "red"}}
    r = await client.post("/api/gis/layers/shelters/features", json=body)
    assert r.status_code == 422
    locs = {e["loc"] for e in r.json()["errors"]}
    assert {"body.properties.name", "body.properties.capacity", "body.properties.colour"} <= locs
    r = await client.post("/api/gis/layers/shelters/features", json=_route())
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == "body.geometry.type"
    swapped = {**SHELTER, "geometry": {"type": "Point", "coordinates": [23.13, 113.27]}}
    r = await client.post("/api/gis/layers/shelters/features", json=swapped)
    assert r.status_code == 422 and "swapped" in r.json()["detail"]
    assert r.json()["errors"][0]["loc"] == "body.geometry.coordinates"
    r = await client.post(
        "/api/gis/layers/routes/features",
        json={**_route(), "geometry": {"type": "LineString", "coordinates": []}},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["loc"].startswith("body.geometry")
    assert (await client.get("/api/gis/layers/shelters.geojson")).json()["features"] == []
    assert (await client.get("/api/gis/layers/routes.geojson")).json()["features"] == []


@pytest.mark.asyncio
async def test_routes_repair_duplicates_and_readers(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "coordinator")
    r = await client.post("/api/gis/layers/routes/features", json={**_route(), "id": "R-1"})
    assert r.status_code == 201 and r.json()["id"] == "R-1"
    r = await client.post("/api/gis/layers/routes/features", json={**_route(), "id": "R-1"})
    assert r.status_code == 409 and r.json()["errors"][0]["loc"] == "body.id"
    bowtie = [[113.26, 23.12], [113.27, 23.13], [113.27, 23.12], [113.26, 23.13], [113.26, 23.12]]
    community = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [bowtie]},
        "properties": {"name": "c", "code": "C-9", "population": 10, "households": 4},
    }
    r = await client.post(
        "/api/gis/layers/communities/features", params={"repair": "false"}, json=community
    )
    assert r.status_code == 422 and "invalid" in r.json()["detail"]
    r = await client.post("/api/gis/layers/communities/features", json=community)
    assert r.status_code == 201, r.text
    assert r.json()["id"] == "C-9" and "make_valid" in r.json()["repaired"]
    assert r.json()["geometry"]["type"] == "MultiPolygon"

    viewer = await new_client(app, "viewer")
    try:
        assert (await viewer.get("/api/gis/layers/routes/features/R-1")).status_code == 200
        r = await viewer.put(
            "/api/gis/layers/routes/features/R-1", json=_route(), headers={"If-Match": "1"}
        )
        assert r.status_code == 403
        assert (await viewer.delete("/api/gis/layers/routes/features/R-1")).status_code == 403
    finally:
        await viewer.aclose()


def test_sector_geometry() -> None:
    geod = Geod(ellps="WGS84")
    ring = view_ring(113.0, 23.0, 90.0, 60.0, 1000.0)
    assert ring[0] == ring[-1] == [113.0, 23.0]
    mid = ring[len(ring) // 2]
    # Looking east: the middle of the arc is 1 km due east of the camera (true bearing 90).
    az, _back, dist = geod.inv(113.0, 23.0, *mid)
    assert abs(dist - 1000.0) < 0.5 and abs(az - 90.0) < 0.01
    circle = view_ring(113.0, 23.0, 0.0, 360.0, 100.0)
    assert circle[0] == circle[-1] and [113.0, 23.0] not in circle
    # No recorded view: the 150 m circle every consumer of gis.coverage assumes.
    dome = view_ring(113.0, 23.0, None, None, None)
    assert all(abs(geod.inv(113.0, 23.0, *p)[2] - 150.0) < 0.1 for p in dome)


@pytest.mark.asyncio
async def test_cameras_layer_scoped_without_urls(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    units = {u["code"]: u["id"] for u in (await client.get("/api/units")).json()["items"]}
    for cam_id, unit in (("cam-a", "street-a"), ("cam-b", "street-b")):
        r = await client.post(
            "/api/cameras",
            json={
                "id": cam_id,
                "name": cam_id,
                "owner_unit_id": units[unit],
                "main_url": "rtsp://user:secret@127.0.0.1:9/x",
                "lon": 113.27,
                "lat": 23.13,
                "fov": {"bearing": 45, "angle": 90, "range_m": 200},
                "key_camera": cam_id == "cam-a",
            },
        )
        assert r.status_code == 201, r.text
    from console.health.recorder import StatusReport

    await app.state.services.extensions["health_recorder"].report(StatusReport("cam-a", "offline"))
    everything = await client.get("/api/gis/cameras.geojson")
    assert {f["id"] for f in everything.json()["features"]} == {"cam-a", "cam-b"}
    assert "rtsp" not in everything.text and "secret" not in everything.text
    viewer = await new_client(app, "viewer")  # street-a
    try:
        feats = (await viewer.get("/api/gis/cameras.geojson")).json()["features"]
    finally:
        await viewer.aclose()
    assert [f["id"] for f in feats] == ["cam-a"]
    props = feats[0]["properties"]
    assert props["status"] == "offline" and props["key_camera"] is True
    assert props["bearing"] == 45 and props["range_m"] == 200
    assert len(props["sector"]) > 4 and props["sector"][0] == [113.27, 23.13]
    # The sector opens to the north-east of the camera.
    far = props["sector"][len(props["sector"]) // 2]
    assert far[0] > 113.27 and far[1] > 23.13
