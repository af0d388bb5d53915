"""Saved import attribute mappings: source column -> layer field, per (layer, source)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from console.store.models import Base, BigId, utcnow


class GisMapping(Base):
    """The attribute mapping last used to import one source into one layer."""

    __tablename__ = "gis_mappings"
    __table_args__ = (UniqueConstraint("layer", "source", name="uq_gis_mappings_layer_source"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    layer: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(100))
    mapping: Mapped[dict[str, Any]]
    defaults: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(128), default=None)

    def as_dict(self) -> dict[str, object]:
        """API form."""
        return {
            "layer": self.layer,
            "source": self.source,
            "mapping": self.mapping,
            "defaults": self.defaults or {},
            "updated_at": self.updated_at.isoformat(),
            "updated_by": self.updated_by,
        }


async def get(db: AsyncSession, layer: str, source: str) -> GisMapping | None:
    """The saved mapping for (layer, source), if any."""
    row: GisMapping | None = await db.scalar(
        select(GisMapping).where(GisMapping.layer == layer, GisMapping.source == source)
    )
    return row


async def save(
    db: AsyncSession,
    layer: str,
    source: str,
    mapping: dict[str, str],
    by: str,
    defaults: dict[str, Any] | None = None,
) -> GisMapping:
    """Insert or replace the mapping (and defaults) for (layer, source). Caller commits."""
    row = await get(db, layer, source)
    if row is None:
        row = GisMapping(
            layer=layer, source=source, mapping=mapping, defaults=defaults or None, updated_by=by
        )
        db.add(row)
    else:
        row.mapping, row.defaults, row.updated_by = dict(mapping), dict(defaults or {}), by
    await db.flush()
    return row


async def remove(db: AsyncSession, layer: str, source: str) -> bool:
    """Delete the mapping; False when there was none. Caller commits."""
    result = await db.execute(
        delete(GisMapping).where(GisMapping.layer == layer, GisMapping.source == source)
    )
    return bool(getattr(result, "rowcount", 0))
