"""The map layers the operations view draws, trimmed to what it shows: communities (code,
name, geometry simplified for the zoom and snapped to a metre grid) and shelters as columns
(id, name, point, capacity, reported occupancy, open). A fifth of the full layers' bytes for
3,000 communities and 5,000 shelters; the full layers stay at /api/gis/layers/."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import numpy as np
import shapely
from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import func, select

from console.auth.policy import Principal
from console.deps import DbDep, ServicesDep, require
from console.gis.models import Feature
from console.gis.store import tolerance
from console.ops.cache import cache_of

router = APIRouter(prefix="/api/ops", tags=["operations view"])
GisReader = Annotated[Principal, Depends(require("gis.read"))]
GRID = 1e-5  # degrees, about a metre: short coordinates, finer than any pixel at zoom <= 17


async def stamp(db: DbDep, layer: str) -> tuple[Any, ...]:
    """Changes whenever a feature of the layer is added, edited, deleted or reported on."""
    row = (
        await db.execute(
            select(func.count(), func.sum(Feature.version), func.max(Feature.updated_at)).where(
                Feature.layer == layer
            )
        )
    ).one()
    return tuple(row)


async def _rows(db: DbDep, layer: str) -> list[Any]:
    stmt = (
        select(Feature.fid, Feature.geometry, Feature.properties)
        .where(Feature.layer == layer, Feature.deleted.is_(False))
        .order_by(Feature.fid)
    )
    return list((await db.execute(stmt)).all())


def communities_json(rows: list[Any], zoom: int) -> str:
    """Communities as GeoJSON text with code and name only (worker thread)."""
    if not rows:
        return '{"type":"FeatureCollection","features":[]}'
    geoms = shapely.from_geojson(np.asarray([r.geometry for r in rows], dtype=object))
    geoms = shapely.set_precision(
        shapely.simplify(geoms, tolerance(zoom), preserve_topology=True), GRID
    )
    parts = []
    for r, g in zip(rows, shapely.to_geojson(geoms), strict=True):
        p = r.properties or {}
        props = {"code": p.get("code") or r.fid, "name": p.get("name") or r.fid}
        fid = json.dumps(r.fid, ensure_ascii=False)
        parts.append(
            f'{{"type":"Feature","id":{fid},"geometry":{g},'
            f'"properties":{json.dumps(props, ensure_ascii=False)}}}'
        )
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


def shelter_columns(rows: list[Any]) -> str:
    """Shelters as columns; a shelter drawn as an area sits at its inner point."""
    pts = (
        shapely.point_on_surface(
            shapely.from_geojson(np.asarray([r.geometry for r in rows], dtype=object))
        )
        if rows
        else np.empty(0, dtype=object)
    )
    xy = shapely.get_coordinates(pts) if len(pts) else np.empty((0, 2))
    props = [r.properties or {} for r in rows]

    def num(v: Any) -> int | None:
        try:
            return None if v is None else int(v)
        except (TypeError, ValueError):
            return None

    body = {
        "count": len(rows),
        "id": [r.fid for r in rows],
        "name": [p.get("name") or r.fid for p, r in zip(props, rows, strict=True)],
        "lon": [round(float(x), 6) for x in xy[:, 0]],
        "lat": [round(float(y), 6) for y in xy[:, 1]],
        "capacity": [num(p.get("capacity")) for p in props],
        "occupancy": [num(p.get("occupancy")) for p in props],
        "open": [p.get("open") for p in props],
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


@router.get("/communities.geojson")
async def communities_view(
    principal: GisReader,
    services: ServicesDep,
    db: DbDep,
    zoom: Annotated[int, Query(ge=0, le=22)] = 13,
) -> Response:
    """Every community's outline for the operations map (code and name only)."""

    async def build() -> str:
        return await asyncio.to_thread(communities_json, await _rows(db, "communities"), zoom)

    key = ("communities", zoom)
    body = await cache_of(services).get(key, await stamp(db, "communities"), build)
    return Response(body, media_type="application/geo+json")


@router.get("/shelters")
async def shelters_view(principal: GisReader, services: ServicesDep, db: DbDep) -> Response:
    """Every shelter as columns: id, name, lon, lat, capacity, occupancy, open."""

    async def build() -> str:
        return await asyncio.to_thread(shelter_columns, await _rows(db, "shelters"))

    body = await cache_of(services).get(("shelters",), await stamp(db, "shelters"), build)
    return Response(body, media_type="application/json")
