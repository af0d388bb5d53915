"""Maintenance windows: mute a camera, a unit's cameras or tagged cameras for a period."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from console.audit import Actor
from console.auth.policy import Principal, Resource, authorize
from console.cameras import service as cameras
from console.cameras.models import Camera
from console.deps import DbDep, ServicesDep, check, require
from console.errors import ProblemError
from console.health.maintenance import active_at, next_change
from console.health.models import MaintenanceWindow
from console.services import Services
from console.store.models import Unit, utcnow

router = APIRouter(prefix="/api/health/maintenance", tags=["health"])
Reader = Annotated[Principal, Depends(require("health.read"))]
Manager = Annotated[Principal, Depends(require("health.manage"))]
LONGEST = timedelta(days=31)


class WindowIn(BaseModel):
    """A window: now for `minutes` (ad hoc), or from `starts_at` to `ends_at` (scheduled)."""

    model_config = ConfigDict(extra="forbid")

    scope: Literal["camera", "unit", "tag"] = Field(description="What the window mutes.")
    camera_id: str | None = Field(None, max_length=64, description="With scope=camera.")
    unit_id: int | None = Field(None, description="With scope=unit: the unit's own cameras.")
    tag: str | None = Field(None, min_length=1, max_length=64, description="With scope=tag.")
    starts_at: datetime | None = Field(None, description="Start (aware); absent: now.")
    ends_at: datetime | None = Field(None, description="End (aware); or give minutes.")
    minutes: int | None = Field(None, ge=1, le=31 * 24 * 60, description="Length from start.")
    repeat: Literal["none", "daily", "weekly"] = Field("none", description="Repeat the window.")
    repeat_until: datetime | None = Field(None, description="Last repetition starts by then.")
    reason: str = Field(..., min_length=1, max_length=500, description="Why (shown to operators).")

    @model_validator(mode="after")
    def _consistent(self) -> WindowIn:
        wanted = {"camera": "camera_id", "unit": "unit_id", "tag": "tag"}[self.scope]
        if getattr(self, wanted) in (None, ""):
            raise ValueError(f"{wanted} is required with scope={self.scope}")
        for other in {"camera_id", "unit_id", "tag"} - {wanted}:
            if getattr(self, other) is not None:
                raise ValueError(f"{other} does not go with scope={self.scope}")
        if (self.ends_at is None) == (self.minutes is None):
            raise ValueError("give either ends_at or minutes")
        for name in ("starts_at", "ends_at", "repeat_until"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} needs a time zone (e.g. 2026-12-08T02:00:00+08:00)")
        if self.repeat_until is not None and self.repeat == "none":
            raise ValueError("repeat_until needs repeat daily or weekly")
        return self


def window_dict(w: MaintenanceWindow, now: datetime) -> dict[str, Any]:
    """API form, with whether it mutes now and when that next changes."""

    def iso(v: datetime | None) -> str | None:
        return v.isoformat() if v else None

    return {
        "id": w.id,
        "scope": w.scope,
        "camera_id": w.camera_id,
        "unit_id": w.unit_id,
        "tag": w.tag,
        "starts_at": iso(w.starts_at),
        "ends_at": iso(w.ends_at),
        "repeat": w.repeat,
        "repeat_until": iso(w.repeat_until),
        "reason": w.reason,
        "created_by": w.created_by,
        "created_at": iso(w.created_at),
        "ended_by": w.ended_by,
        "ended_at": iso(w.ended_at),
        "active": active_at(w, now),
        "next_change": iso(next_change(w, now)),
    }


def _problem(loc: str, msg: str) -> ProblemError:
    return ProblemError(
        422,
        f"body.{loc}: {msg}",
        code="validation",
        errors=[{"loc": f"body.{loc}", "msg": msg, "type": "value_error"}],
    )


async def _authorize(
    services: Services, principal: Principal, db: Any, w: MaintenanceWindow | WindowIn
) -> None:
    if w.scope == "camera":
        cam = await db.get(Camera, w.camera_id)
        res = cameras.resource(cam) if cam is not None else None
        # A camera the caller may not see is named like one that does not exist.
        if res is None or authorize(principal, "health.manage", res).hidden:
            raise _problem("camera_id", f"camera {w.camera_id} does not exist")
        # Muting is a change: only the owning unit may, not a unit the camera is shared with.
        await check(services, principal, "health.manage", res)
    elif w.scope == "unit":
        if await db.get(Unit, w.unit_id) is None:
            raise _problem("unit_id", f"unit {w.unit_id} does not exist")
        await check(
            services, principal, "health.manage", Resource("unit", str(w.unit_id), w.unit_id)
        )


@router.get("")
async def list_windows(
    principal: Reader,
    db: DbDep,
    include_past: Annotated[bool, Query(description="Also windows that are over.")] = False,
) -> dict[str, Any]:
    """Maintenance windows over cameras and units the caller can see."""
    now = utcnow()
    visible = set(
        await db.scalars(cameras.visible(principal.unit_scope).with_only_columns(Camera.id))
    )
    out = []
    rows = await db.scalars(select_windows())
    for w in rows:
        if w.scope == "camera" and w.camera_id not in visible:
            continue
        if w.scope == "unit" and w.unit_id not in principal.unit_scope:
            continue
        if w.scope == "tag" and not principal.unit_scope.intersection(w.within_units or []):
            continue
        over = next_change(w, now) is None and not active_at(w, now)
        if over and not include_past:
            continue
        out.append(window_dict(w, now))
    return {"items": out}


def select_windows() -> Any:
    """Every window, newest first."""
    from sqlalchemy import select

    return select(MaintenanceWindow).order_by(MaintenanceWindow.id.desc()).limit(1000)


@router.post("", status_code=201)
async def create_window(
    body: WindowIn, principal: Manager, services: ServicesDep, db: DbDep
) -> dict[str, Any]:
    """Mute for a period (ad hoc: now for N minutes; or scheduled, optionally repeating)."""
    await _authorize(services, principal, db, body)
    now = utcnow()
    starts = body.starts_at or now
    ends = body.ends_at or starts + timedelta(minutes=body.minutes or 0)
    if ends <= starts:
        raise _problem("ends_at", "must be after starts_at")
    if ends - starts > LONGEST:
        raise _problem("ends_at", "a window lasts at most 31 days (repeat it instead)")
    if body.repeat == "none" and ends <= now:
        raise _problem("ends_at", "is in the past")
    if body.repeat == "daily" and ends - starts >= timedelta(days=1):
        raise _problem("ends_at", "a daily window must be shorter than a day")
    if body.repeat == "weekly" and ends - starts >= timedelta(days=7):
        raise _problem("ends_at", "a weekly window must be shorter than a week")
    if body.repeat_until is not None and body.repeat_until < starts:
        raise _problem("repeat_until", "is before starts_at")
    w = MaintenanceWindow(
        scope=body.scope,
        camera_id=body.camera_id,
        unit_id=body.unit_id,
        tag=body.tag.strip() if body.tag else None,
        within_units=sorted(principal.unit_scope) if body.scope == "tag" else [],
        starts_at=starts,
        ends_at=ends,
        repeat=body.repeat,
        repeat_until=body.repeat_until,
        reason=body.reason.strip(),
        created_by=principal.username,
        created_at=now,
    )
    db.add(w)
    await db.flush()
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "maintenance.create",
        target_type="maintenance",
        target_id=w.id,
        detail=window_dict(w, now),
    )
    await db.commit()
    await services.audit.announce(entry)
    await _refresh(services)
    return window_dict(w, now)


class EndBody(BaseModel):
    """Why the window ends early."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=500, description="E.g. the work finished early.")


@router.post("/{window_id}/end")
async def end_window(
    window_id: int, body: EndBody, principal: Manager, services: ServicesDep, db: DbDep
) -> dict[str, Any]:
    """End a window now (a repeating one stops repeating); audited."""
    w = await db.get(MaintenanceWindow, window_id)
    if w is None:
        raise ProblemError(404, f"maintenance window {window_id} not found", code="not-found")
    if w.scope == "tag":
        if not principal.unit_scope.intersection(w.within_units or []):
            raise ProblemError(404, f"maintenance window {window_id} not found", code="not-found")
    else:
        await _authorize(services, principal, db, w)
    now = utcnow()
    if w.ended_at is not None or next_change(w, now) is None:
        raise ProblemError(409, f"maintenance window {window_id} is already over", code="over")
    w.ended_at, w.ended_by = now, principal.username
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "maintenance.end",
        target_type="maintenance",
        target_id=w.id,
        detail={"note": body.note},
    )
    await db.commit()
    await services.audit.announce(entry)
    await _refresh(services)
    return window_dict(w, now)


async def _refresh(services: Services) -> None:
    rec = services.extensions.get("health_recorder")
    if rec is not None:
        await rec.calendar.refresh()  # type: ignore[attr-defined]
        # A camera whose window ended early alerts on the faults it still has.
        await rec.sweep()  # type: ignore[attr-defined]
