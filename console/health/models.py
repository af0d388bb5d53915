"""Health tables: status, intervals, alerts, samples, baselines, tuning, maintenance windows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

# The cameras table these keys point at must be known to the metadata wherever this is used.
import console.cameras.models  # noqa: F401
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
    severity: Mapped[str] = mapped_column(String(16), default="minor")
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    last_raised_at: Mapped[datetime | None] = mapped_column(default=None)

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
            "severity": self.severity,
            "occurrences": self.occurrences,
            "last_raised_at": iso(self.last_raised_at or self.opened_at),
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


class CameraBaseline(Base):
    """A camera's learned healthy look and its reference picture, kept across restarts."""

    __tablename__ = "camera_baselines"

    camera_id: Mapped[str] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[dict[str, Any]]
    ready: Mapped[bool] = mapped_column(Boolean, default=False)
    reference_jpeg: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    reference_at: Mapped[datetime | None] = mapped_column(default=None)
    accepted_by: Mapped[str | None] = mapped_column(String(64), default=None)
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime]


class CameraTuning(Base):
    """Per-camera diagnosis choices: sensitivity per fault, checks switched off."""

    __tablename__ = "camera_health_tuning"

    camera_id: Mapped[str] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    sensitivity: Mapped[dict[str, Any]] = mapped_column(default=dict)
    disabled: Mapped[list[str]] = mapped_column(default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str | None] = mapped_column(String(64), default=None)
    updated_at: Mapped[datetime]


class MaintenanceWindow(Base):
    """A period in which alerts of a camera, a unit's cameras or tagged cameras are muted."""

    __tablename__ = "health_maintenance"
    __table_args__ = (Index("ix_health_maintenance_ends", "ends_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # camera | unit | tag
    camera_id: Mapped[str | None] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), default=None
    )
    unit_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("units.id"), default=None)
    tag: Mapped[str | None] = mapped_column(String(64), default=None)
    # A tag window mutes only cameras owned by these units (the creator's scope).
    within_units: Mapped[list[int]] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    repeat: Mapped[str] = mapped_column(String(16), default="none")  # none | daily | weekly
    repeat_until: Mapped[datetime | None] = mapped_column(default=None)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    ended_by: Mapped[str | None] = mapped_column(String(64), default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
