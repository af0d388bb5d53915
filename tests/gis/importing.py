"""Helpers for the import tests: post a file, add a community, read a layer back."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.paths import GIS_FIXTURES


def fixture(name: str) -> bytes:
    """A committed fixture file (tests/data/gis)."""
    return (GIS_FIXTURES / name).read_bytes()


async def post_import(
    client: httpx.AsyncClient, layer: str, data: bytes, **params: Any
) -> httpx.Response:
    """POST /api/gis/layers/{layer}/import with query parameters (dicts sent as JSON)."""
    query = {
        k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v
        for k, v in params.items()
    }
    query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in query.items()}
    return await client.post(f"/api/gis/layers/{layer}/import", params=query, content=data)


def square(lon: float, lat: float, d: float = 0.01) -> dict[str, Any]:
    """A GeoJSON polygon d degrees wide with its south-west corner at lon/lat."""
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


async def add_community(client: httpx.AsyncClient, code: str, lon: float, lat: float) -> None:
    """A community drawn through the feature API (it sets the site extent)."""
    body = {
        "type": "Feature",
        "id": code,
        "geometry": square(lon, lat),
        "properties": {"name": code, "code": code, "population": 1000, "households": 400},
    }
    r = await client.post("/api/gis/layers/communities/features", json=body)
    assert r.status_code == 201, r.text


async def layer(client: httpx.AsyncClient, name: str) -> dict[str, dict[str, Any]]:
    """Live features of a layer by fid."""
    r = await client.get(f"/api/gis/layers/{name}.geojson")
    assert r.status_code == 200, r.text
    return {f["id"]: f for f in r.json()["features"]}


def codes(report: dict[str, Any]) -> list[str]:
    """The note codes of an import report."""
    return [n["code"] for n in report["notes"]]


def fc(*feats: dict[str, Any], **extra: Any) -> bytes:
    """A FeatureCollection as bytes."""
    return json.dumps({"type": "FeatureCollection", "features": list(feats), **extra}).encode()


def point(lon: float, lat: float, props: dict[str, Any], fid: str | None = None) -> dict[str, Any]:
    """A point Feature (with an id when given)."""
    f: dict[str, Any] = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": props,
    }
    if fid is not None:
        f["id"] = fid
    return f
