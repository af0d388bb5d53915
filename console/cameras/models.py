"""Camera registry tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.store.models import Base, BigId, utcnow


class Camera(Base):
    """A camera; URLs and credentials are stored encrypted; credentials are never shown."""

    __tablename__ = "cameras"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    bearing: Mapped[float | None] = mapped_column(Float, default=None)
    fov_angle: Mapped[float | None] = mapped_column(Float, default=None)
    fov_range_m: Mapped[float | None] = mapped_column(Float, default=None)
    main_url_enc: Mapped[str] = mapped_column(Text)
    main_url_masked: Mapped[str] = mapped_column(String(1000))
    sub_url_enc: Mapped[str | None] = mapped_column(Text, default=None)
    sub_url_masked: Mapped[str | None] = mapped_column(String(1000), default=None)
    # Sealed like the URLs, which hold only markers where the credentials go.
    username_enc: Mapped[str | None] = mapped_column(Text, default=None)
    password_enc: Mapped[str | None] = mapped_column(Text, default=None)
    credentials_split: Mapped[bool] = mapped_column(Boolean, default=True)
    tags: Mapped[list[str]] = mapped_column(default=list)
    key_camera: Mapped[bool] = mapped_column(Boolean, default=False)
    watch_mode: Mapped[str] = mapped_column(String(16), default="patrol")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    shares: Mapped[list[CameraShare]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", back_populates="camera"
    )

    @property
    def shared_unit_ids(self) -> list[int]:
        """Units this camera is shared with (besides its owner)."""
        return sorted(s.unit_id for s in self.shares)


class CameraShare(Base):
    """A unit a camera is shared with."""

    __tablename__ = "camera_shares"

    camera_id: Mapped[str] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("units.id"), primary_key=True, index=True
    )

    camera: Mapped[Camera] = relationship(back_populates="shares")
