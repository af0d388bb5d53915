"""Drill tables: plans (JSON, versioned) and live timeline entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from console.store.models import Base, BigId, UTCDateTime, utcnow


class DrillRow(Base):
    """A drill: its plan as JSON, workflow status and optimistic-concurrency version."""

    __tablename__ = "drills"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organising_unit_id: Mapped[int] = mapped_column(BigId, ForeignKey("units.id"), index=True)
    participating_unit_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class DrillEventRow(Base):
    """One live timeline entry of a drill."""

    __tablename__ = "drill_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    drill_id: Mapped[str] = mapped_column(ForeignKey("drills.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    count: Mapped[int | None] = mapped_column(Integer, default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
