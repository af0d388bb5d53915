"""The operations view's server side: camera columns, readiness summary, and the cameras
covering a map selection (sectors overlapping it, cameras standing in it), unit-scoped."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import shapely

from console.gis.demo import _items
from tests.conftest import login, new_client
from tests.incidents.conftest import DISTRICT, seed

M = 1 / 111_000  # about a metre in degrees of latitude


async def camera(
    c: httpx.AsyncClient,
    cid: str,
    lon: float | None,
    lat: float | None,
    bearing: float | None = None,
    unit: int = 2,
    enabled: bool = True,
    rng: float = 300,
) -> None:
    body: dict[str, Any] = {
        "id": cid,
        "name": f"cam {cid}",
        "owner_unit_id": unit,
        "main_url": "rtsp://127.0.0.1:9/x",
        "enabled": enabled,
    }
    if lon is not None:
        body |= {"lon": lon, "lat": lat}
    if bearing is not None:
        body["fov"] = {"bearing": bearing, "angle": 60, "range_m": rng}
    r = await c.post("/api/cameras", json=body)
    assert r.status_code == 201, r.text


@pytest.mark.asyncio
async def test_camera_columns_status_and_scope(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    await camera(client, "A", 113.27, 23.12)
    await camera(client, "B", 113.28, 23.13, unit=5)
    await camera(client, "C", 113.29, 23.14, enabled=False)
    await camera(client, "NOPOS", None, None)
    from console.health.recorder import StatusReport

    await app.state.services.extensions["health_recorder"].report(StatusReport("A", "offline"))
    out = (await client.get("/api/ops/cameras")).json()
    assert out["id"] == ["A", "B", "C"] and out["count"] == 3
    assert out["status"] == ["offline", "unknown", "disabled"]
    assert out["counts"] == {"offline": 1, "unknown": 1, "disabled": 1}
    assert out["lon"][0] == 113.27 and out["lat"][2] == 23.14
    assert "main_url" not in str(out) and "rtsp" not in str(out)
    street_b = await new_client(app, "operator2")
    try:
        assert (await street_b.get("/api/ops/cameras")).json()["id"] == ["B"]
    finally:
        await street_b.aclose()
    # Bodies are cached until the cameras or their health change, never served stale.
    cache = app.state.services.extensions["ops.views"]
    hits = cache.hits
    assert (await client.get("/api/ops/cameras")).json() == out
    assert cache.hits == hits + 1
    await app.state.services.extensions["health_recorder"].report(StatusReport("B", "degraded"))
    assert (await client.get("/api/ops/cameras")).json()["status"][1] == "degraded"
    r = await client.patch("/api/cameras/A", json={"name": "renamed"})
    assert r.status_code == 200, r.text
    assert (await client.get("/api/ops/cameras")).json()["name"][0] == "renamed"
    await client.delete("/api/cameras/C")
    assert (await client.get("/api/ops/cameras")).json()["id"] == ["A", "B"]


@pytest.mark.asyncio
async def test_readiness_summary(client: httpx.AsyncClient, app: Any) -> None:
    await seed(app)
    await login(client, "viewer")
    out = (await client.get("/api/ops/readiness", params={"limit": 3})).json()
    assert out["communities"] == 12 and len(out["scores"]) == 12
    scores = [w["score"] for w in out["weakest"]]
    assert len(scores) == 3 and scores == sorted(scores)
    assert min(v for v in out["scores"].values() if v is not None) == scores[0]
    w = out["weakest"][0]
    assert w["code"] in out["scores"] and w["components"] and w["weakest"]["text"]["en"]
    full = (await client.get("/api/readiness")).json()["communities"][0]
    assert full["code"] == w["code"] and full["score"] == w["score"]
    r = await client.get("/api/ops/readiness", params={"limit": 201})
    assert r.status_code == 422


def community() -> tuple[str, Any]:
    fid, geom, _ = _items(DISTRICT)["communities"][0]
    return fid, geom


@pytest.mark.asyncio
async def test_selection_community_shelter_area(client: httpx.AsyncClient, app: Any) -> None:
    await seed(app)
    await login(client, "admin")
    fid, poly = community()
    inside = poly.representative_point()
    x1 = poly.bounds[2]
    cy = inside.y
    east = (x1 + 80 * M, cy)
    # Inside without a field of view; outside looking in; outside looking away; far away.
    await camera(client, "IN", inside.x, inside.y)
    await camera(client, "LOOK", *east, bearing=270)
    await camera(client, "AWAY", *east, bearing=90)
    await camera(client, "FAR", x1 + 5000 * M, cy, bearing=270)
    await camera(client, "IN-B", inside.x + 5 * M, inside.y, unit=5)
    r = await client.post("/api/ops/selection", json={"kind": "community", "id": fid})
    assert r.status_code == 200, r.text
    out = r.json()
    got = {c["id"]: c for c in out["cameras"]}
    assert set(got) == {"IN", "LOOK", "IN-B"}
    assert got["LOOK"]["in_view"] and not got["LOOK"]["inside"]
    assert got["IN"]["inside"] and not got["IN"]["in_view"]
    assert out["cameras"][0]["id"] == "LOOK"  # looking at it ranks before standing in it
    assert out["wall_link"] == "#/wall?cameras=" + ",".join(out["chosen"])
    assert out["label"] and out["total"] == 3

    # A street office sees only its own cameras.
    street_b = await new_client(app, "operator2")
    try:
        mine = await street_b.post("/api/ops/selection", json={"kind": "community", "id": fid})
        assert [c["id"] for c in mine.json()["cameras"]] == ["IN-B"]
    finally:
        await street_b.aclose()

    # A shelter point: the site around it; a camera 40 m away looking at it.
    sid, spt, _ = _items(DISTRICT)["shelters"][0]
    await camera(client, "SHEL", spt.x - 40 * M, spt.y, bearing=90, rng=100)
    out = (await client.post("/api/ops/selection", json={"kind": "shelter", "id": sid})).json()
    assert "SHEL" in [c["id"] for c in out["cameras"]]

    # A drawn rectangle around the far camera only.
    fx, fy = x1 + 5000 * M, cy
    box = shapely.box(fx - 50 * M, fy - 50 * M, fx + 50 * M, fy + 50 * M)
    geom = shapely.geometry.mapping(box)
    out = (await client.post("/api/ops/selection", json={"kind": "area", "geometry": geom})).json()
    assert [c["id"] for c in out["cameras"]] == ["FAR"] and out["cameras"][0]["inside"]
    out = (
        await client.post("/api/ops/selection", json={"kind": "community", "id": fid, "limit": 1})
    ).json()
    assert len(out["chosen"]) == 1 and out["total"] == 3


def ring(coords: list[tuple[float, float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[list(c) for c in coords]]}


@pytest.mark.asyncio
async def test_selection_bad_input(client: httpx.AsyncClient, app: Any) -> None:
    await seed(app)
    await login(client, "operator")

    async def refused(
        body: dict[str, Any], status: int, loc: str, type_: str | None = None
    ) -> None:
        r = await client.post("/api/ops/selection", json=body)
        assert r.status_code == status, (body, r.text)
        err = r.json()["errors"][0]
        assert err["loc"].startswith(loc), (loc, err)
        if type_:
            assert err["type"] == type_, err

    await refused({"kind": "area"}, 422, "body.geometry", "missing")
    await refused({"kind": "community"}, 422, "body.id", "missing")
    await refused({"kind": "community", "id": "NOPE"}, 404, "body.id", "not_found")
    await refused({"kind": "shelter", "id": "NOPE"}, 404, "body.id", "not_found")
    await refused({"kind": "street"}, 422, "body.kind")
    await refused({"kind": "area", "limit": 0, "geometry": ring([(0, 0)])}, 422, "body.limit")
    await refused({"kind": "area", "geometry": {}, "extra": 1}, 422, "body.extra")
    swapped = ring([(23.1, 113.2), (23.1, 113.3), (23.2, 113.3), (23.1, 113.2)])
    await refused({"kind": "area", "geometry": swapped}, 422, "body.geometry.coordinates")
    metres = ring([(500000, 2500000), (500100, 2500000), (500100, 2500100), (500000, 2500000)])
    await refused({"kind": "area", "geometry": metres}, 422, "body.geometry.coordinates")
    huge = ring([(100, 20), (120, 20), (120, 40), (100, 40), (100, 20)])
    await refused({"kind": "area", "geometry": huge}, 422, "body.geometry", "too_large")
    line = {"type": "LineString", "coordinates": [[113.2, 23.1], [113.3, 23.1]]}
    await refused({"kind": "area", "geometry": line}, 422, "body.geometry", "geometry_type")
    await refused({"kind": "area", "geometry": {"type": "Polygon"}}, 422, "body.geometry")
    await refused(
        {"kind": "area", "geometry": {"type": "Polygon", "coordinates": []}}, 422, "body.geometry"
    )
    await refused({"kind": "area", "geometry": "POLYGON((0 0))"}, 422, "body.geometry")
    # A bow-tie drawn by a slip of the mouse is repaired, not refused.
    bow = ring([(113.27, 23.12), (113.28, 23.13), (113.28, 23.12), (113.27, 23.13)])
    assert (
        await client.post("/api/ops/selection", json={"kind": "area", "geometry": bow})
    ).status_code == 200


@pytest.mark.asyncio
async def test_scenario_on_a_fault_as_the_exercise_form_sends_it(
    client: httpx.AsyncClient, app: Any
) -> None:
    """The exercise form's new scenario: a magnitude on a fault, no epicentre, no strike."""
    await seed(app, fault=True)
    await login(client, "coordinator")
    body = {
        "name": "断层情景",
        "magnitude": 6.0,
        "fault_fid": "F1",
        "lat": None,
        "lon": None,
        "depth_km": 10,
        "strike_deg": None,
        "replay_hours": 2,
    }
    r = await client.post("/api/quake-scenarios", json=body)
    assert r.status_code == 201, r.text
    s = r.json()
    x0, y0, x1, y1 = shapely.total_bounds(DISTRICT.communities.geoms)
    # The epicentre lies on the fault (the district's diagonal) and the strike is the fault's.
    assert x0 <= s["lon"] <= x1 and y0 <= s["lat"] <= y1
    assert abs((s["lat"] - y0) / (y1 - y0) - (s["lon"] - x0) / (x1 - x0)) < 1e-6
    assert s["strike_deg"] is not None
    r = await client.post("/api/incidents/exercise", json={"scenario_id": s["id"], "replay": False})
    assert r.status_code == 201 and r.json()["is_exercise"] is True
    assert r.json()["title"].count("EXERCISE") == 1  # marked once, not twice


@pytest.mark.asyncio
async def test_map_layers_trimmed_for_the_operations_view(
    client: httpx.AsyncClient, app: Any
) -> None:
    """Communities with code and name only, snapped to a metre grid; shelters as columns
    (an area shelter at a point inside it), occupancy and open state as reported."""
    await seed(app)
    await login(client, "coordinator")
    full = (await client.get("/api/gis/layers/communities.geojson")).json()
    r = await client.get("/api/ops/communities.geojson", params={"zoom": 13})
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert [f["id"] for f in fc["features"]] == sorted(f["id"] for f in full["features"])
    f0 = fc["features"][0]
    assert set(f0["properties"]) == {"code", "name"}
    ref = next(f for f in full["features"] if f["id"] == f0["id"])
    assert f0["properties"]["name"] == ref["properties"]["name"]
    coords = shapely.get_coordinates(shapely.geometry.shape(f0["geometry"]))
    assert all(abs(v * 1e5 - round(v * 1e5)) < 1e-6 for v in coords.ravel())
    same = shapely.geometry.shape(ref["geometry"])
    assert shapely.geometry.shape(f0["geometry"]).symmetric_difference(same).area < 0.02 * same.area
    assert len(r.content) < len(
        (await client.get("/api/gis/layers/communities.geojson?zoom=13")).content
    )
    bad = await client.get("/api/ops/communities.geojson", params={"zoom": 30})
    assert bad.status_code == 422

    sid, geom, props = _items(DISTRICT)["shelters"][0]
    at = "2026-12-01T10:00:00+08:00"
    before = (await client.get("/api/ops/shelters")).json()
    assert before["occupancy"][before["id"].index(sid)] is None
    rep = await client.post(f"/api/gis/shelters/{sid}/occupancy", json={"at": at, "count": 77})
    assert rep.status_code in (200, 201), rep.text
    cols = (await client.get("/api/ops/shelters")).json()
    assert cols["count"] == len(_items(DISTRICT)["shelters"]) == len(cols["lon"])
    i = cols["id"].index(sid)
    assert cols["capacity"][i] == props["capacity"] and cols["occupancy"][i] == 77
    assert cols["open"][i] is True and cols["name"][i] == props["name"]
    assert geom.distance(shapely.Point(cols["lon"][i], cols["lat"][i])) < 2e-6
