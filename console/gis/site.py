"""The site's extent for judging imports: the setting, else the stored layers' bounds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from console.cameras.models import Camera
from console.gis.models import Feature
from console.settings import GisSettings
from gis.placement import Extent

Box = tuple[float, float, float, float]


async def _bounds(db: AsyncSession, layer: str | None) -> Box | None:
    stmt = select(
        func.min(Feature.min_lon),
        func.min(Feature.min_lat),
        func.max(Feature.max_lon),
        func.max(Feature.max_lat),
    ).where(Feature.deleted.is_(False))
    if layer is not None:
        stmt = stmt.where(Feature.layer == layer)
    row = (await db.execute(stmt)).one()
    return None if row[0] is None else _box(row)


def _box(row: Any) -> Box:
    return float(row[0]), float(row[1]), float(row[2]), float(row[3])


async def _camera_bounds(db: AsyncSession) -> Box | None:
    row = (
        await db.execute(
            select(
                func.min(Camera.lon),
                func.min(Camera.lat),
                func.max(Camera.lon),
                func.max(Camera.lat),
            ).where(Camera.lon.is_not(None), Camera.lat.is_not(None))
        )
    ).one()
    return None if row[0] is None else _box(row)


async def site_extent(db: AsyncSession, cfg: GisSettings) -> Extent | None:
    """gis.site_extent; else communities grown by the margin; else all layers and cameras."""
    if cfg.site_extent is not None:
        return Extent(*cfg.site_extent, source="setting")
    margin = cfg.site_margin_km * 1000.0
    comm = await _bounds(db, "communities")
    if comm is not None:
        return Extent(*comm, source="communities").grown(margin)
    boxes = [b for b in (await _bounds(db, None), await _camera_bounds(db)) if b is not None]
    if not boxes:
        return None
    box = (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
    return Extent(*box, source="layers").grown(margin)
