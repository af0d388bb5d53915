"""Incident tables: quake events and their reports, incidents, timeline, shelters, dispatches,
camera picks, exercise occupancy, feeds and exercise scenarios.

Every incident-scoped row carries is_exercise as well as the incident id, and every query
joins on both, so an exercise can never leak into a real incident (or the reverse).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from console.store.models import Base, BigId, utcnow


class QuakeEvent(Base):
    """One earthquake (deduplicated over sources and revisions): logged or opened."""

    __tablename__ = "quake_events"
    __table_args__ = (Index("ix_quake_events_time", "origin_time"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    is_exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    origin_time: Mapped[datetime]
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    depth_km: Mapped[float] = mapped_column(Float)
    magnitude: Mapped[float] = mapped_column(Float)
    mag_type: Mapped[str] = mapped_column(String(16), default="M")
    place: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[str] = mapped_column(String(64))
    solution: Mapped[dict[str, Any]] = mapped_column(JSON)
    ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="logged")
    decision: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    incident_id: Mapped[int | None] = mapped_column(BigId, default=None)
    revisions: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class QuakeReportRow(Base):
    """Every report received for an event (revisions, other sources, stale ones)."""

    __tablename__ = "quake_reports"
    __table_args__ = (Index("ix_quake_reports_event", "event_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(BigId)
    is_exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(200))
    revised_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(16))  # new, applied, stale, duplicate
    changes: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Incident(Base):
    """An earthquake incident (real or exercise) opened from one event."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    is_exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    event_id: Mapped[int] = mapped_column(BigId, unique=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="open")
    owner_unit_id: Mapped[int] = mapped_column(BigId)
    unit_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    responder_unit_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    strike: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    strike_override: Mapped[float | None] = mapped_column(Float, default=None)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    drill_id: Mapped[str | None] = mapped_column(String(64), default=None)
    scenario_id: Mapped[int | None] = mapped_column(BigId, default=None)
    opened_by: Mapped[str] = mapped_column(String(64), default="system")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)


class TimelineEntry(Base):
    """One event, decision or note of an incident."""

    __tablename__ = "incident_timeline"
    __table_args__ = (Index("ix_incident_timeline_incident", "incident_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    incident_id: Mapped[int] = mapped_column(BigId)
    is_exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(64), default="system")


class IncidentShelter(Base):
    """A shelter's state in an incident: opened, full or closed."""

    __tablename__ = "incident_shelters"
    __table_args__ = (UniqueConstraint("incident_id", "fid", name="uq_incident_shelters"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    incident_id: Mapped[int] = mapped_column(BigId)
    is_exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    fid: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")


class ExerciseOccupancy(Base):
    """Occupancy counts of an exercise (kept apart from the real shelter occupancy series)."""

    __tablename__ = "incident_exercise_occupancy"
    __table_args__ = (
        UniqueConstraint("incident_id", "fid", "reported_at", name="uq_incident_ex_occ"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    incident_id: Mapped[int] = mapped_column(BigId)
    fid: Mapped[str] = mapped_column(String(128))
    reported_at: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer)
    open: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(200), default="exercise")


class Dispatch(Base):
    """Kits or supplies sent to a community or shelter."""

    __tablename__ = "incident_dispatches"
    __table_args__ = (Index("ix_incident_dispatches_incident", "incident_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    incident_id: Mapped[int] = mapped_column(BigId)
    is_exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    community_code: Mapped[str | None] = mapped_column(String(64), default=None)
    shelter_fid: Mapped[str | None] = mapped_column(String(128), default=None)
    item: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[str] = mapped_column(String(64), default="")


class CameraPick(Base):
    """An operator's pin or dismissal of an auto-wall suggestion."""

    __tablename__ = "incident_camera_picks"
    __table_args__ = (UniqueConstraint("incident_id", "camera_id", name="uq_incident_picks"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    incident_id: Mapped[int] = mapped_column(BigId)
    camera_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    by: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class QuakeFeed(Base):
    """A machine feed: polled from a URL on a schedule, or pushed to the ingest route."""

    __tablename__ = "quake_feeds"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    format: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(500), default=None)
    poll_seconds: Mapped[int] = mapped_column(Integer, default=60)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_ok_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_error_at: Mapped[datetime | None] = mapped_column(default=None)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(64), default="")


class Scenario(Base):
    """An exercise scenario: a magnitude on a fault, or an epicentre and strike."""

    __tablename__ = "quake_scenarios"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    magnitude: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    depth_km: Mapped[float] = mapped_column(Float, default=10.0)
    strike_deg: Mapped[float | None] = mapped_column(Float, default=None)
    fault_fid: Mapped[str | None] = mapped_column(String(128), default=None)
    replay_hours: Mapped[float] = mapped_column(Float, default=2.0)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
