"""GIS tables: layer features with version history, kits, readiness snapshots, occupancy."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from console.store.models import Base, BigId, utcnow


class Feature(Base):
    """One feature of a typed layer; geometry is GeoJSON text in WGS84."""

    __tablename__ = "gis_features"
    __table_args__ = (
        UniqueConstraint("layer", "fid", name="uq_gis_features_layer_fid"),
        Index("ix_gis_features_layer_bbox", "layer", "min_lon", "min_lat", "max_lon", "max_lat"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    layer: Mapped[str] = mapped_column(String(32))
    fid: Mapped[str] = mapped_column(String(128))
    geometry: Mapped[str] = mapped_column(Text)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    properties: Mapped[dict[str, Any]]
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(128), default=None)
    # The unit that edits it; None: district data (owned by the first top-level unit).
    owner_unit_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("units.id"), index=True, default=None
    )


class FeatureVersion(Base):
    """A past or current version of a feature (written on every change)."""

    __tablename__ = "gis_feature_versions"
    __table_args__ = (Index("ix_gis_feature_versions_feature", "feature_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feature_id: Mapped[int] = mapped_column(BigId)
    version: Mapped[int] = mapped_column(Integer)
    geometry: Mapped[str] = mapped_column(Text)
    properties: Mapped[dict[str, Any]]
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str | None] = mapped_column(String(128), default=None)


class KitDistribution(Base):
    """A batch of household kits delivered in a community (many rows: kept narrow)."""

    __tablename__ = "gis_kit_distributions"
    __table_args__ = (Index("ix_gis_kits_community", "community_code", "category"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    community_code: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(Integer)
    date: Mapped[date] = mapped_column(Date)
    unit: Mapped[str | None] = mapped_column(String(128), default=None)
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    lat: Mapped[float | None] = mapped_column(Float, default=None)


class ReadinessSnapshot(Base):
    """A community's readiness score at a recompute where it moved."""

    __tablename__ = "gis_readiness_snapshots"
    __table_args__ = (Index("ix_gis_readiness_code_at", "community_code", "computed_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    community_code: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    components: Mapped[dict[str, Any]]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class OccupancyReport(Base):
    """A shelter's reported head count and open state at one time."""

    __tablename__ = "gis_shelter_occupancy"
    __table_args__ = (
        UniqueConstraint("fid", "reported_at", name="uq_gis_shelter_occupancy_fid_at"),
        CheckConstraint("count >= 0", name="ck_gis_shelter_occupancy_count"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    fid: Mapped[str] = mapped_column(String(128))
    reported_at: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer)
    open: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(200), default="api")
    reported_by: Mapped[str | None] = mapped_column(String(128), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
