"""Camera registry: cameras and the units they are shared with.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from console.store.models import BigId, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the camera tables."""
    op.create_table(
        "cameras",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("owner_unit_id", BigId, sa.ForeignKey("units.id"), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("bearing", sa.Float(), nullable=True),
        sa.Column("fov_angle", sa.Float(), nullable=True),
        sa.Column("fov_range_m", sa.Float(), nullable=True),
        sa.Column("main_url_enc", sa.Text(), nullable=False),
        sa.Column("main_url_masked", sa.String(1000), nullable=False),
        sa.Column("sub_url_enc", sa.Text(), nullable=True),
        sa.Column("sub_url_masked", sa.String(1000), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("key_camera", sa.Boolean(), nullable=False),
        sa.Column("watch_mode", sa.String(16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_cameras_owner_unit_id", "cameras", ["owner_unit_id"])
    op.create_table(
        "camera_shares",
        sa.Column(
            "camera_id",
            sa.String(64),
            sa.ForeignKey("cameras.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("unit_id", BigId, sa.ForeignKey("units.id"), primary_key=True),
    )
    op.create_index("ix_camera_shares_unit_id", "camera_shares", ["unit_id"])


def downgrade() -> None:
    """Drop the camera tables."""
    op.drop_table("camera_shares")
    op.drop_table("cameras")
