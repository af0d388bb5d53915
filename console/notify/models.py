"""Notification tables: channels, routing rules, the delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from console.store.models import Base, BigId, utcnow


class NotifyChannel(Base):
    """Where messages go: a webhook, a mailbox or a group robot, owned by one unit."""

    __tablename__ = "notify_channels"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(8), default="zh-CN")
    # Non-secret settings (SMTP host, recipients, message format, masked URL ...).
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Sealed JSON of the write-only values (target URL, signing secret, SMTP password).
    secrets_enc: Mapped[str] = mapped_column(Text, default="")
    rate_per_minute: Mapped[int] = mapped_column(Integer)
    digest_threshold: Mapped[int | None] = mapped_column(Integer, default=None)
    digest_window_s: Mapped[int | None] = mapped_column(Integer, default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class NotifyRule(Base):
    """Which notifications a channel receives: kinds, least severity, tags, units, exercises."""

    __tablename__ = "notify_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("notify_channels.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    kinds: Mapped[list[str]] = mapped_column(default=list)
    min_severity: Mapped[str] = mapped_column(String(16), default="warning")
    tags: Mapped[list[str]] = mapped_column(default=list)
    unit_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    exercise: Mapped[str] = mapped_column(String(8), default="include")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class NotifyDelivery(Base):
    """One message to one channel and what became of it (sent, retrying, failed, suppressed)."""

    __tablename__ = "notify_deliveries"
    __table_args__ = (Index("ix_notify_deliveries_channel_id_desc", "channel_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("notify_channels.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(BigId, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    is_exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    # sent | retrying | failed | suppressed
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    response_code: Mapped[int | None] = mapped_column(Integer, default=None)
    # A digest row counts the messages folded into it; a suppressed row names its digest.
    digest_count: Mapped[int | None] = mapped_column(Integer, default=None)
    digest_id: Mapped[int | None] = mapped_column(BigId, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
