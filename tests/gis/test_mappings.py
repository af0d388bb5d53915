"""Attribute mappings saved per (layer, source) and reused on the next import of that source."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conftest import login, new_client

CSV = "编号,名称,人数,lon,lat\nS1,東山小学,120,113.27,23.13\nS2,西湖公园,40,113.28,23.14\n"


@pytest.mark.asyncio
async def test_mapping_saved_and_reused(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "coordinator")
    url = "/api/gis/layers/shelters/import"
    mapping = json.dumps({"名称": "name", "人数": "occupancy"})
    # Without a mapping the source columns are not layer fields: refused.
    r = await client.post(url, params={"format": "csv", "source": "nanao-city"}, content=CSV)
    assert r.status_code == 422
    r = await client.post(
        url,
        params={"format": "csv", "source": "nanao-city", "mapping": mapping, "fid_field": "编号"},
        content=CSV,
    )
    assert r.status_code == 200, r.text
    assert r.json()["mapping_from"] == "given" and r.json()["created"] == 2
    saved = (await client.get("/api/gis/mappings/shelters/nanao-city")).json()
    assert saved["mapping"] == {"名称": "name", "人数": "occupancy"}
    assert saved["updated_by"] == "coordinator"
    # The same source again, no mapping: the saved one applies.
    params = {"format": "csv", "source": "nanao-city", "fid_field": "编号"}
    r = await client.post(url, params=params, content=CSV)
    assert r.status_code == 200, r.text
    assert r.json()["mapping_from"] == "saved" and r.json()["updated"] == 2
    feats = (await client.get("/api/gis/layers/shelters.geojson")).json()["features"]
    assert sorted(f["properties"]["occupancy"] for f in feats) == [40, 120]
    # Other layers and sources do not share it.
    assert (await client.get("/api/gis/mappings/shelters/other")).status_code == 404
    assert (await client.get("/api/gis/mappings/pois/nanao-city")).status_code == 404


@pytest.mark.asyncio
async def test_put_validates_and_delete(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    path = "/api/gis/mappings/shelters/survey-2026"
    r = await client.put(path, json={"mapping": {"名称": "name", "x": "not_a_field"}})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "body.mapping.x"
    assert (await client.get(path)).status_code == 404
    r = await client.put(path, json={"mapping": {"名称": "name", "人数": "occupancy"}})
    assert r.status_code == 200 and r.json()["mapping"]["名称"] == "name"
    r = await client.put(path, json={"mapping": {"NAME": "name"}})
    assert (await client.get(path)).json()["mapping"] == {"NAME": "name"}
    viewer = await new_client(app, "viewer")
    try:
        assert (await viewer.get(path)).status_code == 200
        assert (await viewer.delete(path)).status_code == 403
    finally:
        await viewer.aclose()
    assert (await client.delete(path)).status_code == 204
    assert (await client.get(path)).status_code == 404
    assert (await client.delete(path)).status_code == 404
    bad = await client.get("/api/gis/mappings/shelters/..%2Fetc")
    assert bad.status_code in (404, 422)
