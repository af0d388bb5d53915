"""GIS import batches (revertible as a whole) and defaults saved with import mappings.

Revision ID: 0009_gisdata
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from console.store.models import BigId, UTCDateTime

revision = "0009_gisdata"
down_revision = "0009_drills"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the batch tables; add the defaults column to saved mappings."""
    op.create_table(
        "gis_import_batches",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("layer", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("source", sa.String(100), nullable=True),
        sa.Column("file_name", sa.String(255), nullable=True),
        sa.Column("crs", sa.String(200), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("reverted_at", UTCDateTime(), nullable=True),
        sa.Column("reverted_by", sa.String(128), nullable=True),
    )
    op.create_index("ix_gis_import_batches_layer", "gis_import_batches", ["layer", "created_at"])
    op.create_table(
        "gis_import_batch_items",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "batch_id",
            BigId,
            sa.ForeignKey("gis_import_batches.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("feature_id", BigId, nullable=False),
        sa.Column("fid", sa.String(128), nullable=False),
        sa.Column("prev_version", sa.Integer(), nullable=True),
        sa.Column("new_version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_gis_import_batch_items_batch", "gis_import_batch_items", ["batch_id"])
    with op.batch_alter_table("gis_mappings") as batch:
        batch.add_column(sa.Column("defaults", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("gis_mappings") as batch:
        batch.drop_column("defaults")
    op.drop_index("ix_gis_import_batch_items_batch", "gis_import_batch_items")
    op.drop_table("gis_import_batch_items")
    op.drop_index("ix_gis_import_batches_layer", "gis_import_batches")
    op.drop_table("gis_import_batches")
