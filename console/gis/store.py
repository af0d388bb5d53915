"""Write imported features with version history; read layers for the map."""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console.gis.models import Feature, FeatureVersion


async def upsert(
    db: AsyncSession, layer: str, items: list[tuple[str, BaseGeometry, dict[str, Any]]], by: str
) -> tuple[int, int]:
    """Insert or update features by (layer, fid); returns (created, updated). Caller commits."""
    existing = {
        f.fid: f
        for f in await db.scalars(
            select(Feature).where(Feature.layer == layer, Feature.fid.in_([i[0] for i in items]))
        )
    }
    created = updated = 0
    for fid, geom, props in items:
        text = shapely.to_geojson(geom)
        x0, y0, x1, y1 = geom.bounds
        f = existing.get(fid)
        if f is None:
            f = Feature(layer=layer, fid=fid, geometry=text, properties=props, version=1)
            f.updated_by, f.deleted = by, False
            db.add(f)
            created += 1
        else:
            f.geometry, f.properties, f.deleted = text, props, False
            f.version += 1
            f.updated_by = by
            updated += 1
        f.min_lon, f.min_lat, f.max_lon, f.max_lat = x0, y0, x1, y1
        await db.flush()
        db.add(
            FeatureVersion(
                feature_id=f.id,
                version=f.version,
                geometry=text,
                properties=props,
                deleted=False,
                changed_by=by,
            )
        )
    return created, updated


async def load(
    db: AsyncSession, layer: str, bbox: tuple[float, float, float, float] | None
) -> list[Feature]:
    """Live features of a layer, optionally intersecting a lon/lat bbox."""
    stmt = select(Feature).where(Feature.layer == layer, Feature.deleted.is_(False))
    if bbox is not None:
        x0, y0, x1, y1 = bbox
        stmt = stmt.where(
            Feature.max_lon >= x0,
            Feature.min_lon <= x1,
            Feature.max_lat >= y0,
            Feature.min_lat <= y1,
        )
    return list(await db.scalars(stmt.order_by(Feature.fid)))


def tolerance(zoom: int | None) -> float:
    """Simplification tolerance in degrees for a web-map zoom (about half a pixel)."""
    if zoom is None:
        return 0.0
    return float(360.0 / (256 * 2 ** max(0, min(zoom, 22))) / 2)
