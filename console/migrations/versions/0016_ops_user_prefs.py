"""Per-user preferences (the operations view's layout and pinned cameras).

Revision ID: 0010_ops
Revises: 0009_incidents
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from console.store.models import BigId, UTCDateTime

revision = "0010_ops"
down_revision = "0009_harden"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the preferences table."""
    op.create_table(
        "user_preferences",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "user_id",
            BigId,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("user_id", "key", name="uq_user_preferences_key"),
    )
    op.create_index("ix_user_preferences_user_id", "user_preferences", ["user_id"])


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_user_preferences_user_id", table_name="user_preferences")
    op.drop_table("user_preferences")
