"""Saved walls and tours.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from console.store.models import BigId, UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _common(name: str, payload: str) -> None:
    op.create_table(
        name,
        sa.Column("id", BigId, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("owner_id", BigId, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("unit_id", BigId, sa.ForeignKey("units.id"), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        *([sa.Column("layout", sa.String(8), nullable=False)] if name == "walls" else []),
        sa.Column(payload, sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index(f"ix_{name}_owner_id", name, ["owner_id"])


def upgrade() -> None:
    """Create the wall and tour tables."""
    _common("walls", "tiles")
    _common("tours", "steps")


def downgrade() -> None:
    """Drop them."""
    op.drop_table("tours")
    op.drop_table("walls")
