"""Camera health: persisted baselines and reference pictures, per-camera tuning, maintenance
windows, alert severity and occurrences.

Revision ID: 0009_health
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from console.store.models import BigId, UTCDateTime

revision = "0009_health"
down_revision = "0009_authz"
branch_labels = None
depends_on = None


def _camera_pk() -> sa.Column[str]:
    return sa.Column(
        "camera_id",
        sa.String(64),
        sa.ForeignKey("cameras.id", ondelete="CASCADE"),
        primary_key=True,
    )


def upgrade() -> None:
    """Create the tables and add the alert columns."""
    op.create_table(
        "camera_baselines",
        _camera_pk(),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("ready", sa.Boolean(), nullable=False),
        sa.Column("reference_jpeg", sa.LargeBinary(), nullable=True),
        sa.Column("reference_at", UTCDateTime(), nullable=True),
        sa.Column("accepted_by", sa.String(64), nullable=True),
        sa.Column("accepted_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "camera_health_tuning",
        _camera_pk(),
        sa.Column("sensitivity", sa.JSON(), nullable=False),
        sa.Column("disabled", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "health_maintenance",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column(
            "camera_id",
            sa.String(64),
            sa.ForeignKey("cameras.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("unit_id", BigId, sa.ForeignKey("units.id"), nullable=True),
        sa.Column("tag", sa.String(64), nullable=True),
        sa.Column("within_units", sa.JSON(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("repeat", sa.String(16), nullable=False),
        sa.Column("repeat_until", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("ended_by", sa.String(64), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_health_maintenance_ends", "health_maintenance", ["ends_at"])
    with op.batch_alter_table("camera_alerts") as batch:
        batch.add_column(
            sa.Column("severity", sa.String(16), nullable=False, server_default="minor")
        )
        batch.add_column(sa.Column("occurrences", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("last_raised_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("camera_alerts") as batch:
        batch.drop_column("last_raised_at")
        batch.drop_column("occurrences")
        batch.drop_column("severity")
    op.drop_index("ix_health_maintenance_ends", "health_maintenance")
    for table in ("health_maintenance", "camera_health_tuning", "camera_baselines"):
        op.drop_table(table)
