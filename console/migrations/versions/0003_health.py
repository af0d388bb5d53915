"""Camera health: current status, status intervals, alerts, metric samples.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from console.store.models import BigId, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _camera_fk() -> sa.Column[str]:
    return sa.Column(
        "camera_id", sa.String(64), sa.ForeignKey("cameras.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    """Create the health tables."""
    op.create_table(
        "camera_health",
        sa.Column(
            "camera_id",
            sa.String(64),
            sa.ForeignKey("cameras.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
    )
    op.create_table(
        "camera_status_intervals",
        sa.Column("id", BigId, primary_key=True),
        _camera_fk(),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
    )
    op.create_index(
        "ix_status_intervals_camera_start", "camera_status_intervals", ["camera_id", "started_at"]
    )
    op.create_table(
        "camera_alerts",
        sa.Column("id", BigId, primary_key=True),
        _camera_fk(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("recovered_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(64), nullable=True),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(64), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_camera_alerts_camera_state", "camera_alerts", ["camera_id", "state"])
    op.create_table(
        "camera_metric_samples",
        sa.Column("id", BigId, primary_key=True),
        _camera_fk(),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
    )
    op.create_index("ix_metric_samples_camera_ts", "camera_metric_samples", ["camera_id", "ts"])


def downgrade() -> None:
    """Drop the health tables."""
    for table in (
        "camera_metric_samples",
        "camera_alerts",
        "camera_status_intervals",
        "camera_health",
    ):
        op.drop_table(table)
