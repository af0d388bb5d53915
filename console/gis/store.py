"""Write features with version history (imports and map edits); read layers for the map."""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console.auth.policy import Resource
from console.gis.models import Feature, FeatureVersion
from console.units import UnitTree

Item = tuple[str, BaseGeometry, dict[str, Any]]


def resource(f: Feature, units: UnitTree) -> Resource:
    """A feature as an authorization resource: its owning unit (district data: the district)."""
    owner = f.owner_unit_id if f.owner_unit_id is not None else units.district()
    return Resource("gis_feature", f"{f.layer}/{f.fid}", owner)


async def existing(db: AsyncSession, layer: str, fids: list[str]) -> dict[str, Feature]:
    """Stored features of a layer by fid (deleted ones too)."""
    found: dict[str, Feature] = {}
    for k in range(0, len(fids), 5000):  # stay under the database's bound-parameter limit
        chunk = fids[k : k + 5000]
        rows = await db.scalars(
            select(Feature).where(Feature.layer == layer, Feature.fid.in_(chunk))
        )
        found.update((f.fid, f) for f in rows)
    return found


async def upsert(
    db: AsyncSession, layer: str, items: list[Item], by: str, owner_unit_id: int | None = None
) -> tuple[int, int]:
    """Insert or update features by (layer, fid); returns (created, updated). Caller commits."""
    written = await write_many(db, layer, items, by, owner_unit_id)
    created = sum(1 for _f, prev in written if prev is None)
    return created, len(written) - created


async def write_many(
    db: AsyncSession, layer: str, items: list[Item], by: str, owner_unit_id: int | None = None
) -> list[tuple[Feature, int | None]]:
    """Insert or update features by (layer, fid), each with a version row. Caller commits.

    New features belong to `owner_unit_id` (None: the district); updated ones keep their owner.
    Returns each written feature with the version it had before (None: created here), which
    is what an import batch needs to be reverted.
    """
    stored = await existing(db, layer, [i[0] for i in items])
    out: list[tuple[Feature, int | None]] = []
    written: list[tuple[Feature, str, dict[str, Any]]] = []
    for fid, geom, props in items:
        text = shapely.to_geojson(geom)
        x0, y0, x1, y1 = geom.bounds
        f = stored.get(fid)
        if f is None:
            f = Feature(layer=layer, fid=fid, geometry=text, properties=props, version=1)
            f.updated_by, f.deleted, f.owner_unit_id = by, False, owner_unit_id
            db.add(f)
            stored[fid] = f
            out.append((f, None))
        else:
            out.append((f, f.version))
            f.geometry, f.properties, f.deleted = text, props, False
            f.version += 1
            f.updated_by = by
        f.min_lon, f.min_lat, f.max_lon, f.max_lat = x0, y0, x1, y1
        written.append((f, text, props))
    # One flush assigns every new id; flushing per feature made big imports crawl.
    await db.flush()
    db.add_all(
        FeatureVersion(
            feature_id=f.id,
            version=f.version,
            geometry=text,
            properties=props,
            deleted=False,
            changed_by=by,
        )
        for f, text, props in written
    )
    return out


async def existing_fids(db: AsyncSession, layer: str, fids: list[str]) -> dict[str, bool]:
    """For each stored fid of the list: whether it is deleted (absent: never stored)."""
    out: dict[str, bool] = {}
    for k in range(0, len(fids), 5000):
        rows = await db.execute(
            select(Feature.fid, Feature.deleted).where(
                Feature.layer == layer, Feature.fid.in_(fids[k : k + 5000])
            )
        )
        out.update((fid, bool(deleted)) for fid, deleted in rows)
    return out


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


async def get(db: AsyncSession, layer: str, fid: str, lock: bool = False) -> Feature | None:
    """One feature by (layer, fid), deleted or not; `lock` holds the row until commit."""
    stmt = select(Feature).where(Feature.layer == layer, Feature.fid == fid)
    row: Feature | None = await db.scalar(stmt.with_for_update() if lock else stmt)
    return row


def write(
    db: AsyncSession,
    f: Feature,
    geom: BaseGeometry | None,
    props: dict[str, Any] | None,
    by: str,
    deleted: bool = False,
) -> None:
    """Apply one edit to a stored feature (new version) and record the version. Caller flushes."""
    if geom is not None:
        f.geometry = shapely.to_geojson(geom)
        f.min_lon, f.min_lat, f.max_lon, f.max_lat = geom.bounds
    if props is not None:
        f.properties = props
    f.deleted = deleted
    f.version += 1
    f.updated_by = by
    db.add(
        FeatureVersion(
            feature_id=f.id,
            version=f.version,
            geometry=f.geometry,
            properties=f.properties,
            deleted=deleted,
            changed_by=by,
        )
    )


async def create(
    db: AsyncSession,
    layer: str,
    fid: str,
    geom: BaseGeometry,
    props: dict[str, Any],
    by: str,
    owner_unit_id: int | None = None,
) -> Feature:
    """Add a new feature at version 1 with its first version row. Caller commits."""
    x0, y0, x1, y1 = geom.bounds
    f = Feature(layer=layer, fid=fid, geometry=shapely.to_geojson(geom), properties=props)
    f.version, f.deleted, f.updated_by = 1, False, by
    f.owner_unit_id = owner_unit_id
    f.min_lon, f.min_lat, f.max_lon, f.max_lat = x0, y0, x1, y1
    db.add(f)
    await db.flush()
    db.add(
        FeatureVersion(
            feature_id=f.id,
            version=1,
            geometry=f.geometry,
            properties=props,
            deleted=False,
            changed_by=by,
        )
    )
    return f


async def history(db: AsyncSession, feature_id: int) -> list[FeatureVersion]:
    """Every version of a feature, newest first."""
    stmt = (
        select(FeatureVersion)
        .where(FeatureVersion.feature_id == feature_id)
        .order_by(FeatureVersion.version.desc())
    )
    return list(await db.scalars(stmt))


async def community_codes(db: AsyncSession) -> set[str]:
    """Codes of live communities: their fid and their properties.code."""
    rows = await db.execute(
        select(Feature.fid, Feature.properties).where(
            Feature.layer == "communities", Feature.deleted.is_(False)
        )
    )
    codes: set[str] = set()
    for fid, props in rows:
        codes.add(fid)
        if isinstance(props, dict) and props.get("code"):
            codes.add(str(props["code"]))
    return codes
