"""drills: stored occurrence bounds, status reason and the occurrence being run.

Revision ID: 0009_drills
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from console.store.models import UTCDateTime

revision = "0009_drills"
down_revision = "0009_notify"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the columns; existing rows get their bounds when the drills module starts."""
    with op.batch_alter_table("drills") as batch:
        batch.add_column(sa.Column("first_start", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("last_end", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("status_reason", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("run_start", UTCDateTime(), nullable=True))
    op.create_index("ix_drills_first_start", "drills", ["first_start"])
    op.create_index("ix_drills_last_end", "drills", ["last_end"])


def downgrade() -> None:
    """Drop the columns."""
    op.drop_index("ix_drills_last_end", "drills")
    op.drop_index("ix_drills_first_start", "drills")
    with op.batch_alter_table("drills") as batch:
        for name in ("run_start", "status_reason", "last_end", "first_start"):
            batch.drop_column(name)
