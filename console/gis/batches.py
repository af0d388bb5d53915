"""Import batches: every layer import recorded with the versions it replaced, and its revert."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import shapely
from sqlalchemy import ForeignKey, Index, Integer, String, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from console.gis import store
from console.gis.models import Feature, FeatureVersion
from console.store.models import Base, BigId, utcnow

CHUNK = 2000


class ImportBatch(Base):
    """One import into a layer: who, when, from what, and what it did."""

    __tablename__ = "gis_import_batches"
    __table_args__ = (Index("ix_gis_import_batches_layer", "layer", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    layer: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128))
    source: Mapped[str | None] = mapped_column(String(100), default=None)
    file_name: Mapped[str | None] = mapped_column(String(255), default=None)
    crs: Mapped[str] = mapped_column(String(200))
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, Any]]
    reverted_at: Mapped[datetime | None] = mapped_column(default=None)
    reverted_by: Mapped[str | None] = mapped_column(String(128), default=None)

    def as_dict(self) -> dict[str, Any]:
        """API form."""
        return {
            "id": self.id,
            "layer": self.layer,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "source": self.source,
            "file_name": self.file_name,
            "crs": self.crs,
            "created": self.created,
            "updated": self.updated,
            "summary": self.summary,
            "reverted_at": self.reverted_at.isoformat() if self.reverted_at else None,
            "reverted_by": self.reverted_by,
        }


class ImportBatchItem(Base):
    """A feature an import wrote: the version before (None: created) and the version written."""

    __tablename__ = "gis_import_batch_items"
    __table_args__ = (Index("ix_gis_import_batch_items_batch", "batch_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("gis_import_batches.id", ondelete="CASCADE")
    )
    feature_id: Mapped[int] = mapped_column(BigId)
    fid: Mapped[str] = mapped_column(String(128))
    prev_version: Mapped[int | None] = mapped_column(Integer, default=None)
    new_version: Mapped[int] = mapped_column(Integer)

    def as_dict(self) -> dict[str, Any]:
        """API form."""
        return {
            "fid": self.fid,
            "action": "created" if self.prev_version is None else "updated",
            "prev_version": self.prev_version,
            "new_version": self.new_version,
        }


class RevertConflict(Exception):
    """Features changed after the import: reverting would throw those changes away."""

    def __init__(self, changed: list[tuple[str, int, int]]) -> None:
        super().__init__(f"{len(changed)} feature(s) changed after the import")
        self.changed = changed


async def record(
    db: AsyncSession,
    batch: ImportBatch,
    written: list[tuple[Feature, int | None]],
) -> ImportBatch:
    """Store the batch and one item per written feature. Caller commits."""
    batch.created = sum(1 for _f, prev in written if prev is None)
    batch.updated = len(written) - batch.created
    db.add(batch)
    await db.flush()
    db.add_all(
        ImportBatchItem(
            batch_id=batch.id,
            feature_id=f.id,
            fid=f.fid,
            prev_version=prev,
            new_version=f.version,
        )
        for f, prev in written
    )
    return batch


async def listing(db: AsyncSession, layer: str | None, limit: int) -> list[ImportBatch]:
    """Batches, newest first."""
    stmt = select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)
    if layer:
        stmt = stmt.where(ImportBatch.layer == layer)
    return list(await db.scalars(stmt))


async def items(db: AsyncSession, batch_id: int) -> list[ImportBatchItem]:
    """The features a batch wrote, in the order written."""
    stmt = select(ImportBatchItem).where(ImportBatchItem.batch_id == batch_id)
    return list(await db.scalars(stmt.order_by(ImportBatchItem.id)))


async def revert(db: AsyncSession, batch: ImportBatch, by: str) -> tuple[int, int]:
    """Put every feature back to its version before the batch; delete the ones it created.

    Each revert is a new version (history keeps the import). Refused with RevertConflict when
    any feature changed after the import. Returns (deleted, restored). Caller commits.
    """
    rows = await items(db, batch.id)
    feats: dict[int, Feature] = {}
    ids = [r.feature_id for r in rows]
    for k in range(0, len(ids), CHUNK):
        stmt = select(Feature).where(Feature.id.in_(ids[k : k + CHUNK])).with_for_update()
        feats.update((f.id, f) for f in await db.scalars(stmt))
    changed = [
        (r.fid, r.new_version, feats[r.feature_id].version)
        for r in rows
        if r.feature_id not in feats or feats[r.feature_id].version != r.new_version
    ]
    if changed:
        raise RevertConflict(changed)
    pairs = [(r.feature_id, r.prev_version) for r in rows if r.prev_version is not None]
    before: dict[tuple[int, int], FeatureVersion] = {}
    for k in range(0, len(pairs), CHUNK):
        vstmt = select(FeatureVersion).where(
            tuple_(FeatureVersion.feature_id, FeatureVersion.version).in_(pairs[k : k + CHUNK])
        )
        before.update(((v.feature_id, v.version), v) for v in await db.scalars(vstmt))
    deleted = restored = 0
    for r in rows:
        f = feats[r.feature_id]
        if r.prev_version is None:
            store.write(db, f, None, None, by, deleted=True)
            deleted += 1
            continue
        v = before[(f.id, r.prev_version)]
        store.write(db, f, shapely.from_geojson(v.geometry), dict(v.properties), by, v.deleted)
        restored += 1
    batch.reverted_at, batch.reverted_by = utcnow(), by
    return deleted, restored
