"""JSON forms of incident records; every one carries is_exercise and, for exercises, the label."""

from __future__ import annotations

from typing import Any

from console.auth.policy import Resource
from console.events import Audience
from console.incidents.models import Dispatch, Incident, QuakeEvent, TimelineEntry

LABEL = "演练 / EXERCISE"
PERMISSION = "incidents.read"


def label(is_exercise: bool) -> str | None:
    """The exercise label, or None for a real event."""
    return LABEL if is_exercise else None


def mark(is_exercise: bool, body: dict[str, Any]) -> dict[str, Any]:
    """Add is_exercise and the label to a response body."""
    return {**body, "is_exercise": is_exercise, "label": label(is_exercise)}


def title(is_exercise: bool, text: str) -> str:
    """A title that can never be mistaken: exercises start with 【演练 EXERCISE】."""
    return f"【演练 EXERCISE】{text}" if is_exercise else text


def event_dict(ev: QuakeEvent) -> dict[str, Any]:
    """An earthquake event."""
    return mark(
        ev.is_exercise,
        {
            "id": ev.id,
            "origin_time": ev.origin_time.isoformat(),
            "lat": ev.lat,
            "lon": ev.lon,
            "depth_km": ev.depth_km,
            "magnitude": ev.magnitude,
            "mag_type": ev.mag_type,
            "place": ev.place,
            "source": ev.source,
            "status": ev.status,
            "decision": ev.decision,
            "incident_id": ev.incident_id,
            "revisions": ev.revisions,
            "ids": ev.ids,
            "updated_at": ev.updated_at.isoformat() if ev.updated_at else None,
        },
    )


def incident_dict(inc: Incident, ev: QuakeEvent | None = None) -> dict[str, Any]:
    """An incident with its event."""
    body: dict[str, Any] = {
        "id": inc.id,
        "title": inc.title,
        "status": inc.status,
        "event_id": inc.event_id,
        "owner_unit_id": inc.owner_unit_id,
        "unit_ids": inc.unit_ids,
        "responder_unit_ids": inc.responder_unit_ids,
        "strike": inc.strike,
        "revision": inc.revision,
        "summary": inc.summary,
        "drill_id": inc.drill_id,
        "scenario_id": inc.scenario_id,
        "opened_by": inc.opened_by,
        "opened_at": inc.opened_at.isoformat(),
        "closed_at": inc.closed_at.isoformat() if inc.closed_at else None,
        "link": f"#/incidents/{inc.id}",
    }
    if ev is not None:
        body["event"] = event_dict(ev)
    return mark(inc.is_exercise, body)


def entry_dict(e: TimelineEntry) -> dict[str, Any]:
    """A timeline entry."""
    return mark(
        e.is_exercise,
        {
            "id": e.id,
            "incident_id": e.incident_id,
            "at": e.at.isoformat(),
            "kind": e.kind,
            "text": e.text,
            "data": e.data,
            "actor": e.actor,
        },
    )


def dispatch_dict(d: Dispatch) -> dict[str, Any]:
    """A kit or supply dispatch."""
    return mark(
        d.is_exercise,
        {
            "id": d.id,
            "incident_id": d.incident_id,
            "community_code": d.community_code,
            "shelter_fid": d.shelter_fid,
            "item": d.item,
            "quantity": d.quantity,
            "note": d.note,
            "at": d.at.isoformat(),
            "by": d.by,
        },
    )


def units(inc: Incident) -> frozenset[int]:
    """Every unit involved in an incident: owner, responders and affected street offices."""
    return frozenset({inc.owner_unit_id, *inc.responder_unit_ids, *inc.unit_ids})


def resource(inc: Incident, write: bool = False) -> Resource:
    """The incident for authorize(). The district (owner) and the EOC's departments
    (responders) run it; street offices of affected communities watch, never change."""
    if write:
        return Resource(
            "incident", str(inc.id), inc.owner_unit_id, frozenset(inc.responder_unit_ids)
        )
    return Resource("incident", str(inc.id), inc.owner_unit_id, units(inc))


def audience(inc: Incident) -> Audience:
    """Users of the units involved, with incidents.read."""
    return Audience(permission=PERMISSION, unit_ids=units(inc))


def notification(
    inc: Incident, kind: str, severity: str, text: str, body: str, tags: list[str]
) -> dict[str, Any]:
    """Fields the notification dispatcher routes on (console.notify's Notification)."""
    return {
        "kind": kind,
        "severity": severity,
        "unit_ids": sorted(units(inc)),
        "tags": ["earthquake", *tags, *(["exercise"] if inc.is_exercise else [])],
        "title": title(inc.is_exercise, text),
        "body": body,
        "link": f"#/incidents/{inc.id}",
        "is_exercise": inc.is_exercise,
    }


def severity(max_intensity: float | None) -> str:
    """critical from VII, warning from V, else info."""
    if max_intensity is None:
        return "info"
    return "critical" if max_intensity >= 6.5 else "warning" if max_intensity >= 4.5 else "info"
