"""Earthquake incidents: events, reports, incidents, timeline, shelters, dispatches, picks,
exercise occupancy, feeds and scenarios.

Revision ID: 0009_incidents
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from console.store.models import BigId, UTCDateTime

revision = "0009_incidents"
down_revision = "0008"
branch_labels = None
depends_on = None


def _id() -> sa.Column[int]:
    return sa.Column("id", BigId, primary_key=True)


def upgrade() -> None:
    """Create the incident tables."""
    op.create_table(
        "quake_events",
        _id(),
        sa.Column("is_exercise", sa.Boolean(), nullable=False),
        sa.Column("origin_time", UTCDateTime(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("depth_km", sa.Float(), nullable=False),
        sa.Column("magnitude", sa.Float(), nullable=False),
        sa.Column("mag_type", sa.String(16), nullable=False),
        sa.Column("place", sa.String(300), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("solution", sa.JSON(), nullable=False),
        sa.Column("ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decision", sa.JSON(), nullable=False),
        sa.Column("incident_id", BigId, nullable=True),
        sa.Column("revisions", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_quake_events_time", "quake_events", ["origin_time"])
    op.create_table(
        "quake_reports",
        _id(),
        sa.Column("event_id", BigId, nullable=False),
        sa.Column("is_exercise", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("source_id", sa.String(200), nullable=False),
        sa.Column("revised_at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
    )
    op.create_index("ix_quake_reports_event", "quake_reports", ["event_id"])
    op.create_table(
        "incidents",
        _id(),
        sa.Column("is_exercise", sa.Boolean(), nullable=False),
        sa.Column("event_id", BigId, nullable=False, unique=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner_unit_id", BigId, nullable=False),
        sa.Column("unit_ids", sa.JSON(), nullable=False),
        sa.Column("responder_unit_ids", sa.JSON(), nullable=False),
        sa.Column("strike", sa.JSON(), nullable=False),
        sa.Column("strike_override", sa.Float(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.String(64), nullable=True),
        sa.Column("scenario_id", BigId, nullable=True),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "incident_timeline",
        _id(),
        sa.Column("incident_id", BigId, nullable=False),
        sa.Column("is_exercise", sa.Boolean(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
    )
    op.create_index("ix_incident_timeline_incident", "incident_timeline", ["incident_id", "at"])
    op.create_table(
        "incident_shelters",
        _id(),
        sa.Column("incident_id", BigId, nullable=False),
        sa.Column("is_exercise", sa.Boolean(), nullable=False),
        sa.Column("fid", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.UniqueConstraint("incident_id", "fid", name="uq_incident_shelters"),
    )
    op.create_table(
        "incident_exercise_occupancy",
        _id(),
        sa.Column("incident_id", BigId, nullable=False),
        sa.Column("fid", sa.String(128), nullable=False),
        sa.Column("reported_at", UTCDateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.UniqueConstraint("incident_id", "fid", "reported_at", name="uq_incident_ex_occ"),
    )
    op.create_table(
        "incident_dispatches",
        _id(),
        sa.Column("incident_id", BigId, nullable=False),
        sa.Column("is_exercise", sa.Boolean(), nullable=False),
        sa.Column("community_code", sa.String(64), nullable=True),
        sa.Column("shelter_fid", sa.String(128), nullable=True),
        sa.Column("item", sa.String(32), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
    )
    op.create_index("ix_incident_dispatches_incident", "incident_dispatches", ["incident_id"])
    op.create_table(
        "incident_camera_picks",
        _id(),
        sa.Column("incident_id", BigId, nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("incident_id", "camera_id", name="uq_incident_picks"),
    )
    op.create_table(
        "quake_feeds",
        _id(),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("url", sa.String(500), nullable=True),
        sa.Column("poll_seconds", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("last_ok_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", UTCDateTime(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "quake_scenarios",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("magnitude", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("depth_km", sa.Float(), nullable=False),
        sa.Column("strike_deg", sa.Float(), nullable=True),
        sa.Column("fault_fid", sa.String(128), nullable=True),
        sa.Column("replay_hours", sa.Float(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop them."""
    for name in (
        "quake_scenarios",
        "quake_feeds",
        "incident_camera_picks",
        "incident_dispatches",
        "incident_exercise_occupancy",
        "incident_shelters",
        "incident_timeline",
        "incidents",
        "quake_reports",
        "quake_events",
    ):
        op.drop_table(name)
