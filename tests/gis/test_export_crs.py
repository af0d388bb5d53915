"""Layers exported in WGS84, CGCS2000, GCJ-02 and BD-09; each export imports back within cm."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest
import shapely
from pyproj import Geod

from tests.conftest import login
from tests.gis.importing import fc, fixture, layer, point, post_import

GEOD = Geod(ellps="WGS84")
CRSS = [
    (None, None),
    ("EPSG:4490", "EPSG:4490"),
    ("gcj02", "GCJ-02"),
    ("bd09", "BD-09"),
    ("4547", "EPSG:4547"),
]
PTS = [
    (113.2712345678, 23.1298765432),
    (113.3301234567, 23.0856789012),
    (113.2467890123, 23.1265432109),
]


def err_m(a: list[float], b: list[float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


async def seed(client: httpx.AsyncClient) -> dict[str, list[float]]:
    feats = [point(x, y, {"name": f"避难所{i}"}, f"S{i}") for i, (x, y) in enumerate(PTS)]
    r = await post_import(client, "shelters", fc(*feats))
    assert r.status_code == 200, r.text
    return {f"S{i}": [x, y] for i, (x, y) in enumerate(PTS)}


@pytest.mark.asyncio
@pytest.mark.parametrize(("asked", "canonical"), CRSS)
async def test_geojson_export_round_trip(
    client: httpx.AsyncClient, asked: str | None, canonical: str | None
) -> None:
    await login(client, "coordinator")
    truth = await seed(client)
    params = {"crs": asked} if asked else {}
    r = await client.get("/api/gis/layers/shelters.geojson", params=params | {"download": "true"})
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith('attachment; filename="shelters-')
    doc = r.json()
    if canonical is None:
        assert "crs" not in doc  # RFC 7946: WGS84 needs no crs member
    else:
        assert doc["crs"]["properties"]["name"] == canonical
    if canonical in ("GCJ-02", "BD-09"):
        moved = err_m(doc["features"][0]["geometry"]["coordinates"], truth["S0"])
        assert moved > 400  # really in the offset system
    # The export imports back (crs member honoured, ids from Feature.id) within a centimetre.
    rep = (await post_import(client, "shelters", r.content, dry_run=True)).json()
    assert rep["crs"] == (canonical or "EPSG:4326") and rep["updated"] == 3
    for f in rep["preview"]["features"]:
        assert err_m(f["geometry"]["coordinates"], truth[f["id"]]) < 0.01


@pytest.mark.asyncio
@pytest.mark.parametrize(("asked", "canonical"), CRSS[1:4])
async def test_csv_export_round_trip(client: httpx.AsyncClient, asked: str, canonical: str) -> None:
    await login(client, "coordinator")
    truth = await seed(client)
    r = await client.get("/api/gis/layers/shelters.csv", params={"crs": asked})
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["crs"] for row in rows} == {canonical} and rows[0]["x"] and rows[0]["y"]
    rep = (
        await post_import(
            client, "shelters", r.content, format="csv", fid_field="fid", dry_run=True
        )
    ).json()
    assert rep["crs"] == canonical and rep["updated"] == 3
    for f in rep["preview"]["features"]:
        assert err_m(f["geometry"]["coordinates"], truth[f["id"]]) < 0.01


@pytest.mark.asyncio
async def test_gcj02_and_bd09_exports_match_an_independent_implementation(
    client: httpx.AsyncClient,
) -> None:
    """The fixtures were shifted with prcoords (tests/data/gis/README.md): our export agrees."""
    await login(client, "coordinator")
    truth = fixture("datav_guangzhou_districts_truth_wgs84.geojson")
    r = await post_import(client, "communities", truth, mapping={"adcode": "code", "name": "name"})
    assert r.status_code == 200, r.text
    exported = (
        await client.get("/api/gis/layers/communities.geojson", params={"crs": "GCJ-02"})
    ).json()
    datav = json.loads(fixture("datav_guangzhou_districts_gcj02.json"))["features"]
    ours = {
        f["id"]: shapely.get_coordinates(shapely.from_geojson(json.dumps(f["geometry"])))
        for f in exported["features"]
    }
    for f in datav:
        theirs = shapely.get_coordinates(shapely.from_geojson(json.dumps(f["geometry"])))
        mine = ours[str(f["properties"]["adcode"])]
        assert max(err_m(list(a), list(b)) for a, b in zip(mine, theirs, strict=True)) < 0.15
    # BD-09: the Baidu CSV's coordinates, from the WGS84 truth.
    pts = json.loads(fixture("baidu_shelters_truth_wgs84.json"))
    feats = [point(p["lon"], p["lat"], {"name": p["id"]}, p["id"]) for p in pts]
    assert (await post_import(client, "shelters", fc(*feats))).status_code == 200
    text = (await client.get("/api/gis/layers/shelters.csv", params={"crs": "BD-09"})).text
    mine_bd = {
        row["fid"]: [float(row["x"]), float(row["y"])] for row in csv.DictReader(io.StringIO(text))
    }
    baidu = fixture("baidu_shelters_bd09.csv").decode("gbk")
    for row in csv.DictReader(io.StringIO(baidu)):
        assert err_m(mine_bd[row["编号"]], [float(row["经度"]), float(row["纬度"])]) < 0.15


@pytest.mark.asyncio
async def test_unknown_export_crs_is_422(client: httpx.AsyncClient) -> None:
    await login(client, "viewer")
    for path in ("/api/gis/layers/shelters.geojson", "/api/gis/layers/shelters.csv"):
        r = await client.get(path, params={"crs": "EPSG:99999"})
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "query.crs"
    assert await layer(client, "shelters") == {}
