"""drills tables: plans, timeline entries, after-action reports, feeds, sent reminders.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from console.store.models import BigId, UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the drills tables."""
    op.create_table(
        "drills",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("organising_unit_id", BigId, sa.ForeignKey("units.id"), nullable=False),
        sa.Column("participating_unit_ids", sa.JSON(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_drills_organising_unit_id", "drills", ["organising_unit_id"])
    op.create_table(
        "drill_events",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "drill_id",
            sa.String(64),
            sa.ForeignKey("drills.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_drill_events_drill_id", "drill_events", ["drill_id"])
    op.create_table(
        "drill_reports",
        sa.Column(
            "drill_id",
            sa.String(64),
            sa.ForeignKey("drills.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "drill_feeds",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("user_id", BigId, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("unit_id", BigId, sa.ForeignKey("units.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "drill_reminders",
        sa.Column(
            "drill_id",
            sa.String(64),
            sa.ForeignKey("drills.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("occurrence", sa.String(40), primary_key=True),
        sa.Column("lead", sa.String(8), primary_key=True),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop the drills tables."""
    op.drop_table("drill_reminders")
    op.drop_table("drill_feeds")
    op.drop_table("drill_reports")
    op.drop_index("ix_drill_events_drill_id", "drill_events")
    op.drop_table("drill_events")
    op.drop_index("ix_drills_organising_unit_id", "drills")
    op.drop_table("drills")
