"""Health API: camera status table, detail with history, alerts, availability."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import lazyload

from console.audit import Actor
from console.auth.policy import Principal, Resource
from console.bounds import IdPath, id_query
from console.cameras import service as cameras
from console.cameras.models import Camera
from console.deps import DbDep, ServicesDep, absent, check, require
from console.errors import ProblemError
from console.events import Audience
from console.health.availability import Tally, tally
from console.health.maintenance import next_change
from console.health.models import CameraAlert, CameraHealth, MetricSample, StatusInterval
from console.health.recorder import alert_event
from console.store import changes
from console.store.models import utcnow
from console.viewcache import MAX_AGE_S, cached_json

router = APIRouter(prefix="/api/health", tags=["health"])
Reader = Annotated[Principal, Depends(require("health.read"))]
Manager = Annotated[Principal, Depends(require("health.manage"))]
PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}


def alert_dict(a: CameraAlert) -> dict[str, Any]:
    """API form of an alert."""
    return a.as_dict()


def status_dict(
    cam: Camera, h: CameraHealth | None, open_alerts: int, muted: Any = None
) -> dict[str, Any]:
    """One row of the health table (open alerts: not closed and not recovered)."""
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
        "tags": cam.tags,
        "maintenance": None
        if muted is None
        else {"id": muted.id, "reason": muted.reason, "scope": muted.scope},
    }


def _calendar(services: Any) -> Any:
    rec = services.extensions.get("health_recorder")
    return rec.calendar if rec is not None else None


@router.get("/cameras")
async def health_table(
    request: Request,
    principal: Reader,
    db: DbDep,
    services: ServicesDep,
    status: Annotated[
        Literal["ok", "learning", "degraded", "offline", "unknown"] | None,
        Query(description="Only this status."),
    ] = None,
    reason: Annotated[str | None, Query(max_length=32, description="Has this fault.")] = None,
    unit_id: Annotated[int | None, id_query("Owned by this unit.")] = None,
) -> Response:
    """Every visible camera with its status, reasons, latest metrics and open alerts."""
    cal = _calendar(services)
    windows = cal.windows if cal is not None else []
    now = utcnow()
    # A body holds until its rows change, the maintenance windows are reloaded (a new list)
    # or one of them starts or ends, whichever comes first.
    turns = [t for w in windows if (t := next_change(w, now)) is not None]
    max_age = min([MAX_AGE_S, *((t - now).total_seconds() for t in turns)])
    key = ("health.table", principal.unit_scope, status, reason, unit_id)
    return await cached_json(
        request,
        services,
        key,
        (changes.stamp(TABLE_SOURCES), id(windows)),
        lambda: _table(db, principal, cal, status, reason, unit_id),
        max_age_s=max_age,
    )


TABLE_SOURCES = ("cameras", "camera_shares", "camera_health", "camera_alerts", "health_maintenance")


async def _table(
    db: AsyncSession,
    principal: Principal,
    cal: Any,
    status: str | None,
    reason: str | None,
    unit_id: int | None,
) -> dict[str, Any]:
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
                # A recovered alert waiting out its quiet period is not open.
                .where(
                    CameraAlert.camera_id.in_(ids),
                    CameraAlert.state != "closed",
                    CameraAlert.recovered_at.is_(None),
                )
                .group_by(CameraAlert.camera_id)
            )
        ).all()
    )
    now = utcnow()
    rows = [
        status_dict(
            c,
            healths.get(c.id),
            open_counts.get(c.id, 0),
            cal.muting(c, now) if cal is not None else None,
        )
        for c in cams
    ]
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
        for s in ("ok", "learning", "degraded", "offline", "unknown")
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
        raise await absent(services, principal, "health.read", "camera", camera_id)
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
    cal = _calendar(services)
    return {
        **status_dict(cam, h, 0, cal.muting(cam, utcnow()) if cal is not None else None),
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
        Literal["active", "firing", "recovered", "open", "acknowledged", "closed", "all"],
        Query(
            description="active = open or acknowledged; firing = active and not recovered; "
            "recovered = active but recovered (closes itself after the quiet period)."
        ),
    ] = "active",
    severity: Annotated[
        Literal["minor", "major", "critical"] | None, Query(description="Only this severity.")
    ] = None,
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
    elif state == "firing":
        stmt = stmt.where(CameraAlert.state != "closed", CameraAlert.recovered_at.is_(None))
    elif state == "recovered":
        stmt = stmt.where(CameraAlert.state != "closed", CameraAlert.recovered_at.is_not(None))
    elif state != "all":
        stmt = stmt.where(CameraAlert.state == state)
    if camera_id:
        stmt = stmt.where(CameraAlert.camera_id == camera_id)
    if severity:
        stmt = stmt.where(CameraAlert.severity == severity)
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
    cam = await db.get(Camera, alert.camera_id) if alert is not None else None
    if alert is None or cam is None:
        raise await absent(services, principal, "health.manage", "alert", alert_id)
    res = cameras.resource(cam)
    await check(
        services,
        principal,
        "health.manage",
        Resource("alert", str(alert_id), res.owner_unit_id, res.shared_unit_ids),
    )
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
        alert_event(alert, cam, "acknowledged" if action == "ack" else "closed"),
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
    """Patrol round: progress, target cycle, expected and last actual cycle, concurrency."""
    w = services.extensions.get("camera_watching")
    if w is None:
        raise ProblemError(404, "camera watching is not running", code="not-running")
    progress: dict[str, Any] = w.watcher.patrol_progress()  # type: ignore[attr-defined]
    return progress


class PatrolTarget(BaseModel):
    """How long a patrol round should take."""

    model_config = ConfigDict(extra="forbid")

    target_cycle_s: float = Field(
        ge=60, le=86400, description="Seconds for one round over every patrol camera."
    )


@router.put("/patrol")
async def set_patrol(
    body: PatrolTarget, principal: Manager, services: ServicesDep
) -> dict[str, Any]:
    """Set the target patrol cycle (audited); concurrency follows within the CPU budget."""
    w = services.extensions.get("camera_watching")
    if w is None:
        raise ProblemError(404, "camera watching is not running", code="not-running")
    before = w.watcher.settings.patrol_target_cycle_s  # type: ignore[attr-defined]
    await w.set_patrol_target(body.target_cycle_s)  # type: ignore[attr-defined]
    await services.audit.record(
        Actor.of(principal),
        "health.patrol_target",
        target_type="patrol",
        detail={"before": before, "after": body.target_cycle_s},
    )
    progress: dict[str, Any] = w.watcher.patrol_progress()  # type: ignore[attr-defined]
    return progress
