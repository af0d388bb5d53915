"""Health tables: current status, status intervals, alerts, metric samples."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from console.store.models import Base, BigId


class CameraHealth(Base):
    """The latest known status of a camera."""

    __tablename__ = "camera_health"

    camera_id: Mapped[str] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[str]]
    since: Mapped[datetime]
    checked_at: Mapped[datetime]
    metrics: Mapped[dict[str, Any]]


class StatusInterval(Base):
    """A period in one status; the open one has no end."""

    __tablename__ = "camera_status_intervals"
    __table_args__ = (Index("ix_status_intervals_camera_start", "camera_id", "started_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[str]]
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)


class CameraAlert(Base):
    """A fault raised on a camera; recovers by itself, acknowledged and closed by people."""

    __tablename__ = "camera_alerts"
    __table_args__ = (Index("ix_camera_alerts_camera_state", "camera_id", "state"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime]
    recovered_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    def as_dict(self) -> dict[str, Any]:
        """API and event form."""

        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "camera_id": self.camera_id,
            "kind": self.kind,
            "state": self.state,
            "opened_at": self.opened_at.isoformat(),
            "recovered_at": iso(self.recovered_at),
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": iso(self.acknowledged_at),
            "closed_by": self.closed_by,
            "closed_at": iso(self.closed_at),
            "note": self.note,
        }


class MetricSample(Base):
    """A periodic sample of a camera's metrics for the history chart."""

    __tablename__ = "camera_metric_samples"
    __table_args__ = (Index("ix_metric_samples_camera_ts", "camera_id", "ts"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    ts: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    values: Mapped[dict[str, Any]]
