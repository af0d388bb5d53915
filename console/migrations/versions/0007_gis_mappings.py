"""Saved GIS import attribute mappings per (layer, source).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from console.store.models import BigId, UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the mappings table."""
    op.create_table(
        "gis_mappings",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("layer", sa.String(32), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=True),
        sa.UniqueConstraint("layer", "source", name="uq_gis_mappings_layer_source"),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("gis_mappings")
