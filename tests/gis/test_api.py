"""GIS layer API: import the real Nanao data, export, bbox/zoom, refusals, audit."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from console.gis.models import FeatureVersion
from console.store.models import AuditEntry
from tests.conftest import login
from tests.paths import NANAO

MAP = json.dumps({"名称": "name", "人数": "occupancy"})


def _community(code: str, x: float) -> dict[str, Any]:
    ring = [
        [x, 23.12],
        [x + 0.01, 23.12],
        [x + 0.01, 23.13],
        [x + 0.0051, 23.1301],
        [x, 23.13],
        [x, 23.12],
    ]
    props = {"name": code, "code": code, "population": 1000, "households": 400}
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


@pytest.mark.asyncio
async def test_import_nanao_geojson_and_reimport_versions(
    client: httpx.AsyncClient, app: Any
) -> None:
    await login(client, "coordinator")
    data = (NANAO / "open_shelter_Nanao-shi.geojson").read_bytes()
    params = {"format": "geojson", "mapping": MAP, "fid_field": "ID"}
    r = await client.post("/api/gis/layers/shelters/import", params=params, content=data)
    assert r.status_code == 200, r.text
    rep = r.json()
    assert "6675" in rep["crs"] and "legacy crs" in rep["crs_reason"] and rep["created"] > 0
    r = await client.post("/api/gis/layers/shelters/import", params=params, content=data)
    assert r.json()["updated"] == rep["created"]
    r = await client.get("/api/gis/layers/shelters.geojson")
    feats = r.json()["features"]
    assert len(feats) == rep["created"] and feats[0]["properties"]["version"] == 2
    lon, lat = feats[0]["geometry"]["coordinates"]
    assert 136.8 < lon < 137.1 and 36.9 < lat < 37.2
    r = await client.get("/api/gis/layers/shelters.geojson", params={"bbox": "113,23,114,24"})
    assert r.json()["features"] == []
    csv_text = (await client.get("/api/gis/layers/shelters.csv")).text
    assert csv_text.startswith("fid,name,address,kind") and "POINT (136." in csv_text
    await app.state.services.audit.flush()
    async with app.state.services.store.session() as db:
        assert (
            await db.scalar(select(func.count()).select_from(FeatureVersion)) == 2 * rep["created"]
        )
        n = await db.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "gis.import")
        )
        assert n == 2


@pytest.mark.asyncio
async def test_import_nanao_flatgeobuf(client: httpx.AsyncClient) -> None:
    await login(client, "admin")
    data = (NANAO / "open_shelter_Nanao-shi.fgb").read_bytes()
    r = await client.post(
        "/api/gis/layers/shelters/import",
        params={"format": "fgb", "mapping": MAP, "fid_field": "ID"},
        content=data,
    )
    assert r.status_code == 200, r.text
    assert "6675" in r.json()["crs"]


@pytest.mark.asyncio
async def test_refusals_write_nothing(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    bad = {
        "type": "FeatureCollection",
        "features": [
            _community("a", 113.26),
            {
                **_community("b", 113.27),
                "geometry": {"type": "Point", "coordinates": [113.27, 23.13]},
            },
        ],
    }
    r = await client.post("/api/gis/layers/communities/import", content=json.dumps(bad))
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == "features.1.geometry"
    assert (await client.get("/api/gis/layers/communities.geojson")).json()["features"] == []
    r = await client.post(
        "/api/gis/layers/shelters/import", params={"mapping": "[1"}, content=b"{}"
    )
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "query.mapping"


@pytest.mark.asyncio
async def test_partial_and_zoom_simplify(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    fc = {
        "type": "FeatureCollection",
        "features": [
            _community("a", 113.26),
            {**_community("b", 113.27), "geometry": {"type": "Polygon", "coordinates": []}},
        ],
    }
    r = await client.post(
        "/api/gis/layers/communities/import", params={"partial": "true"}, content=json.dumps(fc)
    )
    assert r.status_code == 200 and r.json()["created"] == 1
    assert r.json()["skipped"][0]["index"] == 1
    full = (await client.get("/api/gis/layers/communities.geojson")).json()["features"][0]
    coarse = (await client.get("/api/gis/layers/communities.geojson", params={"zoom": 8})).json()[
        "features"
    ][0]
    n_full = len(full["geometry"]["coordinates"][0])
    assert len(coarse["geometry"]["coordinates"][0]) < n_full


@pytest.mark.asyncio
async def test_viewer_cannot_import(client: httpx.AsyncClient) -> None:
    await login(client, "viewer")
    r = await client.post("/api/gis/layers/shelters/import", content=b"{}")
    assert r.status_code == 403
    assert (await client.get("/api/gis/layers/shelters.geojson")).status_code == 200
