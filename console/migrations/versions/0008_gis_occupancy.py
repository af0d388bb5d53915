"""Shelter occupancy reports over time.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from console.store.models import BigId, UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the occupancy table."""
    op.create_table(
        "gis_shelter_occupancy",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("fid", sa.String(128), nullable=False),
        sa.Column("reported_at", UTCDateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("reported_by", sa.String(128), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("fid", "reported_at", name="uq_gis_shelter_occupancy_fid_at"),
        sa.CheckConstraint("count >= 0", name="ck_gis_shelter_occupancy_count"),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("gis_shelter_occupancy")
