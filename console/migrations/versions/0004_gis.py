"""gis tables: layer features and their versions, kit distributions, readiness snapshots.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from console.store.models import BigId, UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the gis tables."""
    op.create_table(
        "gis_features",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("layer", sa.String(32), nullable=False),
        sa.Column("fid", sa.String(128), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=True),
        sa.UniqueConstraint("layer", "fid", name="uq_gis_features_layer_fid"),
    )
    op.create_index(
        "ix_gis_features_layer_bbox",
        "gis_features",
        ["layer", "min_lon", "min_lat", "max_lon", "max_lat"],
    )
    op.create_table(
        "gis_feature_versions",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("feature_id", BigId, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("changed_by", sa.String(128), nullable=True),
    )
    op.create_index(
        "ix_gis_feature_versions_feature", "gis_feature_versions", ["feature_id", "version"]
    )
    op.create_table(
        "gis_kit_distributions",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("community_code", sa.String(64), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("unit", sa.String(128), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
    )
    op.create_index(
        "ix_gis_kits_community", "gis_kit_distributions", ["community_code", "category"]
    )
    op.create_table(
        "gis_readiness_snapshots",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("community_code", sa.String(64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_gis_readiness_code_at", "gis_readiness_snapshots", ["community_code", "computed_at"]
    )


def downgrade() -> None:
    """Drop the gis tables."""
    op.drop_index("ix_gis_readiness_code_at", table_name="gis_readiness_snapshots")
    op.drop_table("gis_readiness_snapshots")
    op.drop_index("ix_gis_kits_community", table_name="gis_kit_distributions")
    op.drop_table("gis_kit_distributions")
    op.drop_index("ix_gis_feature_versions_feature", table_name="gis_feature_versions")
    op.drop_table("gis_feature_versions")
    op.drop_index("ix_gis_features_layer_bbox", table_name="gis_features")
    op.drop_table("gis_features")
