"""Camera status for everyone who may see a camera (wall tile badges, map markers): status,
fault reasons and since when, read-only, for the cameras the caller's units own or share. The
full health view (metrics, alerts, history) stays with health.read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy import select

from console.auth.policy import Principal
from console.cameras import service as cameras
from console.cameras.models import Camera
from console.deps import DbDep, require
from console.health.models import CameraHealth

router = APIRouter(prefix="/api/health", tags=["health"])
StatusReader = Annotated[Principal, Depends(require("cameras.status"))]


@router.get("/status")
async def camera_status(principal: StatusReader, db: DbDep) -> dict[str, Any]:
    """Status, reasons and since-when of every camera the caller may see."""
    visible = cameras.visible(principal.unit_scope).with_only_columns(Camera.id)
    rows = await db.execute(
        select(Camera.id, CameraHealth.status, CameraHealth.reasons, CameraHealth.since)
        .outerjoin(CameraHealth, CameraHealth.camera_id == Camera.id)
        .where(Camera.id.in_(visible))
        .order_by(Camera.id)
    )
    items = [
        {
            "camera_id": cid,
            "status": status or "unknown",
            "reasons": list(reasons or []),
            "since": since.isoformat() if since else None,
        }
        for cid, status, reasons, since in rows
    ]
    return {"items": items}
