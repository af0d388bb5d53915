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
    # First start and last end of all occurrences, so far-off drills are never expanded.
    first_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None, index=True)
    last_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None, index=True)
    # Why it was cancelled or aborted; which occurrence is (or was) being run.
    status_reason: Mapped[str] = mapped_column(Text, default="")
    run_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


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


class DrillReportRow(Base):
    """A drill's after-action report (JSON, versioned separately from the plan)."""

    __tablename__ = "drill_reports"

    drill_id: Mapped[str] = mapped_column(
        ForeignKey("drills.id", ondelete="CASCADE"), primary_key=True
    )
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class DrillFeedRow(Base):
    """An iCalendar feed subscription; only the token's SHA-256 is stored."""

    __tablename__ = "drill_feeds"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("units.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class DrillReminderRow(Base):
    """A reminder already published for one occurrence (so each is sent once)."""

    __tablename__ = "drill_reminders"

    drill_id: Mapped[str] = mapped_column(
        ForeignKey("drills.id", ondelete="CASCADE"), primary_key=True
    )
    occurrence: Mapped[str] = mapped_column(String(40), primary_key=True)
    lead: Mapped[str] = mapped_column(String(8), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
