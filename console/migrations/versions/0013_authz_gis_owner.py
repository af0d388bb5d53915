"""GIS features get an owning unit; existing (district) data belongs to the district.

Revision ID: 0009_authz
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from console.store.models import BigId

revision = "0009_authz"
down_revision = "0009_gisdata"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add gis_features.owner_unit_id and give every existing feature to the first top unit."""
    with op.batch_alter_table("gis_features") as batch:
        batch.add_column(sa.Column("owner_unit_id", BigId, nullable=True))
        batch.create_index("ix_gis_features_owner_unit_id", ["owner_unit_id"])
        batch.create_foreign_key(
            "fk_gis_features_owner_unit_id", "units", ["owner_unit_id"], ["id"]
        )
    op.execute(
        "UPDATE gis_features SET owner_unit_id = "
        "(SELECT MIN(id) FROM units WHERE parent_id IS NULL) WHERE owner_unit_id IS NULL"
    )


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("gis_features") as batch:
        batch.drop_constraint("fk_gis_features_owner_unit_id", type_="foreignkey")
        batch.drop_index("ix_gis_features_owner_unit_id")
        batch.drop_column("owner_unit_id")
