"""Notification channels, routing rules and the delivery log.

Revision ID: 0009_notify
Revises: 0008
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from console.store.models import BigId, UTCDateTime

revision = "0009_notify"
down_revision = "0009_incidents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the notification tables."""
    op.create_table(
        "notify_channels",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("unit_id", BigId, sa.ForeignKey("units.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("secrets_enc", sa.Text(), nullable=False),
        sa.Column("rate_per_minute", sa.Integer(), nullable=False),
        sa.Column("digest_threshold", sa.Integer(), nullable=True),
        sa.Column("digest_window_s", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('webhook', 'email', 'wecom', 'dingtalk', 'feishu')",
            name="ck_notify_channels_kind",
        ),
    )
    op.create_index("ix_notify_channels_unit_id", "notify_channels", ["unit_id"])
    op.create_table(
        "notify_rules",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "channel_id",
            BigId,
            sa.ForeignKey("notify_channels.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("min_severity", sa.String(16), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("unit_ids", sa.JSON(), nullable=False),
        sa.Column("exercise", sa.String(8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_notify_rules_channel_id", "notify_rules", ["channel_id"])
    op.create_table(
        "notify_deliveries",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "channel_id",
            BigId,
            sa.ForeignKey("notify_channels.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("unit_id", BigId, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("is_exercise", sa.Boolean(), nullable=False),
        sa.Column("is_test", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(500), nullable=False),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("digest_count", sa.Integer(), nullable=True),
        sa.Column("digest_id", BigId, nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
    )
    op.create_index(
        "ix_notify_deliveries_channel_id_desc", "notify_deliveries", ["channel_id", "id"]
    )
    op.create_index("ix_notify_deliveries_unit_id", "notify_deliveries", ["unit_id"])
    op.create_index("ix_notify_deliveries_created_at", "notify_deliveries", ["created_at"])


def downgrade() -> None:
    """Drop them."""
    op.drop_table("notify_deliveries")
    op.drop_table("notify_rules")
    op.drop_table("notify_channels")
