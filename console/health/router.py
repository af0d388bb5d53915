"""Health API: camera status table, detail with history, alerts, availability."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select
from sqlalchemy.orm import lazyload

from console.audit import Actor
from console.auth.policy import Principal
from console.bounds import IdPath, id_query
from console.cameras import service as cameras
from console.cameras.models import Camera
from console.deps import DbDep, ServicesDep, check, require
from console.errors import ProblemError
from console.events import Audience
from console.health.availability import Tally, tally
from console.health.models import CameraAlert, CameraHealth, MetricSample, StatusInterval
from console.store.models import utcnow

router = APIRouter(prefix="/api/health", tags=["health"])
Reader = Annotated[Principal, Depends(require("health.read"))]
Manager = Annotated[Principal, Depends(require("health.manage"))]
PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}


def alert_dict(a: CameraAlert) -> dict[str, Any]:
    """API form of an alert."""
    return a.as_dict()


def status_dict(cam: Camera, h: CameraHealth | None, open_alerts: int) -> dict[str, Any]:
    """One row of the health table."""
    return {
        "camera_id": cam.id,
        "name": cam.name,
        "owner_unit_id": cam.owner_unit_id,
        "watch_mode": cam.watch_mode,
        "key_camera": cam.key_camera,
        "enabled": cam.enabled,
        "status": h.status if h else "unknown",
        "reasons": h.reasons if h else [],
        "since": h.since.isoformat() if h else None,
        "checked_at": h.checked_at.isoformat() if h else None,
        "metrics": h.metrics if h else {},
        "open_alerts": open_alerts,
    }


@router.get("/cameras")
async def health_table(
    principal: Reader,
    db: DbDep,
    status: Annotated[
        Literal["ok", "degraded", "offline", "unknown"] | None,
        Query(description="Only this status."),
    ] = None,
    reason: Annotated[str | None, Query(max_length=32, description="Has this fault.")] = None,
    unit_id: Annotated[int | None, id_query("Owned by this unit.")] = None,
) -> dict[str, Any]:
    """Every visible camera with its status, reasons, latest metrics and open alerts."""
    # The table needs no sharing lists: skip their extra query.
    visible = cameras.visible(principal.unit_scope).options(lazyload(Camera.shares))
    cams = list(await db.scalars(visible.order_by(Camera.id)))
    ids = [c.id for c in cams]
    healths = {
        h.camera_id: h
        for h in await db.scalars(select(CameraHealth).where(CameraHealth.camera_id.in_(ids)))
    }
    open_counts: dict[str, int] = dict(
        (
            await db.execute(
                select(CameraAlert.camera_id, func.count())
                .where(CameraAlert.camera_id.in_(ids), CameraAlert.state != "closed")
                .group_by(CameraAlert.camera_id)
            )
        ).all()
    )
    rows = [status_dict(c, healths.get(c.id), open_counts.get(c.id, 0)) for c in cams]
    if status:
        rows = [r for r in rows if r["status"] == status]
    if reason:
        rows = [
            r
            for r in rows
            if reason in r["reasons"] or (reason == "offline" and r["status"] == "offline")
        ]
    if unit_id is not None:
        rows = [r for r in rows if r["owner_unit_id"] == unit_id]
    summary = {
        s: sum(1 for r in rows if r["status"] == s)
        for s in ("ok", "degraded", "offline", "unknown")
    }
    return {"items": rows, "summary": summary}


@router.get("/cameras/{camera_id}")
async def health_detail(
    camera_id: str,
    principal: Reader,
    services: ServicesDep,
    db: DbDep,
    hours: Annotated[int, Query(ge=1, le=24 * 31, description="History window.")] = 24,
) -> dict[str, Any]:
    """Status, metric history, status changes and alerts of one camera."""
    cam = await db.get(Camera, camera_id)
    if cam is None:
        raise ProblemError(404, f"camera {camera_id} not found", code="not-found")
    await check(services, principal, "health.read", cameras.resource(cam))
    since = utcnow() - timedelta(hours=hours)
    h = await db.get(CameraHealth, camera_id)
    samples = await db.scalars(
        select(MetricSample)
        .where(MetricSample.camera_id == camera_id, MetricSample.ts >= since)
        .order_by(MetricSample.ts)
    )
    intervals = await db.scalars(
        select(StatusInterval)
        .where(
            StatusInterval.camera_id == camera_id,
            or_(StatusInterval.ended_at.is_(None), StatusInterval.ended_at >= since),
        )
        .order_by(StatusInterval.started_at.desc())
        .limit(200)
    )
    alerts = await db.scalars(
        select(CameraAlert)
        .where(CameraAlert.camera_id == camera_id)
        .order_by(CameraAlert.id.desc())
        .limit(100)
    )
    return {
        **status_dict(cam, h, 0),
        "history": [{"ts": s.ts.isoformat(), "status": s.status, **s.values} for s in samples],
        "changes": [
            {
                "status": i.status,
                "reasons": i.reasons,
                "started_at": i.started_at.isoformat(),
                "ended_at": i.ended_at.isoformat() if i.ended_at else None,
            }
            for i in intervals
        ],
        "alerts": [alert_dict(a) for a in alerts],
    }


@router.get("/alerts")
async def list_alerts(
    principal: Reader,
    db: DbDep,
    state: Annotated[
        Literal["active", "open", "acknowledged", "closed", "all"],
        Query(description="active = open or acknowledged."),
    ] = "active",
    camera_id: Annotated[str | None, Query(max_length=64, description="One camera.")] = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="Most rows.")] = 500,
) -> dict[str, Any]:
    """Alerts on visible cameras, newest first."""
    stmt = select(CameraAlert).where(
        CameraAlert.camera_id.in_(
            cameras.visible(principal.unit_scope).with_only_columns(Camera.id)
        )
    )
    if state == "active":
        stmt = stmt.where(CameraAlert.state != "closed")
    elif state != "all":
        stmt = stmt.where(CameraAlert.state == state)
    if camera_id:
        stmt = stmt.where(CameraAlert.camera_id == camera_id)
    rows = await db.scalars(stmt.order_by(CameraAlert.id.desc()).limit(limit))
    return {"items": [alert_dict(a) for a in rows]}


class AlertAction(BaseModel):
    """A note with an acknowledgement or closure."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=2000, description="What was done or seen.")


async def _alert_action(
    alert_id: int,
    body: AlertAction,
    principal: Principal,
    services: Any,
    db: Any,
    action: Literal["ack", "close"],
) -> dict[str, Any]:
    alert = await db.get(CameraAlert, alert_id)
    if alert is None:
        raise ProblemError(404, f"alert {alert_id} not found", code="not-found")
    cam = await db.get(Camera, alert.camera_id)
    await check(services, principal, "health.manage", cameras.resource(cam))
    if alert.state == "closed":
        raise ProblemError(409, f"alert {alert_id} is already closed", code="closed")
    now = utcnow()
    if action == "ack":
        if alert.state == "acknowledged":
            raise ProblemError(
                409, f"alert {alert_id} is already acknowledged", code="acknowledged"
            )
        alert.state, alert.acknowledged_by, alert.acknowledged_at = (
            "acknowledged",
            principal.username,
            now,
        )
    else:
        alert.state, alert.closed_by, alert.closed_at = "closed", principal.username, now
    if body.note:
        alert.note = (alert.note + "\n" if alert.note else "") + body.note
    entry = services.audit.add(
        db,
        Actor.of(principal),
        f"alert.{action}",
        target_type="alert",
        target_id=alert.id,
        detail={"camera_id": alert.camera_id, "kind": alert.kind, "note": body.note},
    )
    await db.commit()
    await services.audit.announce(entry)
    out = alert_dict(alert)
    await services.bus.publish(
        "camera.alert",
        out,
        audience=Audience("health.read", frozenset({cam.owner_unit_id, *cam.shared_unit_ids})),
    )
    return out


@router.post("/alerts/{alert_id}/ack")
async def acknowledge_alert(
    alert_id: IdPath, body: AlertAction, principal: Manager, services: ServicesDep, db: DbDep
) -> dict[str, Any]:
    """Acknowledge an alert (someone is on it)."""
    return await _alert_action(alert_id, body, principal, services, db, "ack")


@router.post("/alerts/{alert_id}/close")
async def close_alert(
    alert_id: IdPath, body: AlertAction, principal: Manager, services: ServicesDep, db: DbDep
) -> dict[str, Any]:
    """Close an alert (fixed or accepted)."""
    return await _alert_action(alert_id, body, principal, services, db, "close")


@router.get("/availability")
async def availability(
    principal: Reader,
    db: DbDep,
    period: Annotated[Literal["day", "week", "month"], Query(description="Window.")] = "day",
    by: Annotated[Literal["camera", "unit"], Query(description="Group by.")] = "camera",
) -> dict[str, Any]:
    """Online and healthy percentages over the last day, week or month."""
    end = utcnow()
    start = end - PERIODS[period]
    cams = {c.id: c for c in await db.scalars(cameras.visible(principal.unit_scope))}
    intervals = await db.scalars(
        select(StatusInterval).where(
            StatusInterval.camera_id.in_(list(cams)),
            or_(StatusInterval.ended_at.is_(None), StatusInterval.ended_at > start),
            StatusInterval.started_at < end,
        )
    )
    per_cam = tally(intervals, start, end)
    if by == "camera":
        items = [
            {"camera_id": cid, "name": cams[cid].name, **per_cam[cid].as_dict()}
            for cid in sorted(cams)
            if cid in per_cam
        ]
    else:
        units: dict[int, Tally] = {}
        for cid, t in per_cam.items():
            units.setdefault(cams[cid].owner_unit_id, Tally()).merge(t)
        items = [{"unit_id": uid, **t.as_dict()} for uid, t in sorted(units.items())]
    return {"period": period, "start": start.isoformat(), "end": end.isoformat(), "items": items}


@router.get("/patrol")
async def patrol(principal: Reader, services: ServicesDep) -> dict[str, Any]:
    """Patrol round progress: cameras, checked this round, cycle times, visits in flight."""
    w = services.extensions.get("camera_watching")
    if w is None:
        raise ProblemError(404, "camera watching is not running", code="not-running")
    progress: dict[str, Any] = w.watcher.patrol_progress()  # type: ignore[attr-defined]
    return progress
