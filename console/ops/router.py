"""Compact views for the operations map: every visible camera as columns (for clustering
20,000 cameras in the browser), and readiness as a score per community plus the weakest."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from console.auth.policy import Principal
from console.cameras import service as cameras
from console.cameras.models import Camera
from console.deps import DbDep, ServicesDep, require
from console.gis.readiness_router import readiness
from console.health.models import CameraHealth
from gis import readiness as model

router = APIRouter(prefix="/api/ops", tags=["operations view"])
CameraReader = Annotated[Principal, Depends(require("cameras.read"))]
ReadinessReader = Annotated[Principal, Depends(require("readiness.read"))]


def status_of(enabled: bool, health: str | None) -> str:
    """The map status: the health status, "unknown" before the first check, "disabled"."""
    if not enabled:
        return "disabled"
    return health or "unknown"


@router.get("/cameras")
async def camera_columns(principal: CameraReader, db: DbDep) -> dict[str, Any]:
    """Cameras the caller's units may see that have a position, as parallel columns
    (id, name, lon, lat, status, key camera); no stream details."""
    stmt = (
        cameras.visible(principal.unit_scope)
        .with_only_columns(
            Camera.id,
            Camera.name,
            Camera.lon,
            Camera.lat,
            Camera.enabled,
            Camera.key_camera,
            CameraHealth.status,
        )
        .outerjoin(CameraHealth, CameraHealth.camera_id == Camera.id)
        .where(Camera.lon.is_not(None), Camera.lat.is_not(None))
        .order_by(Camera.id)
    )
    rows = (await db.execute(stmt)).all()
    counts: dict[str, int] = {}
    status = []
    for r in rows:
        s = status_of(r.enabled, r.status)
        status.append(s)
        counts[s] = counts.get(s, 0) + 1
    return {
        "count": len(rows),
        "counts": counts,
        "id": [r.id for r in rows],
        "name": [r.name for r in rows],
        "lon": [round(r.lon, 6) for r in rows],
        "lat": [round(r.lat, 6) for r in rows],
        "status": status,
        "key": [i for i, r in enumerate(rows) if r.key_camera],
    }


@router.get("/readiness")
async def readiness_summary(
    principal: ReadinessReader,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=0, le=200)] = 10,
) -> dict[str, Any]:
    """Each community's score (for the choropleth) and the `limit` weakest with their
    components and weakest component in plain words (as GET /api/readiness explains)."""
    svc = readiness(services)
    st = await svc.current()
    total = st.total
    scores = {
        c["code"]: (None if total[i] != total[i] else round(float(total[i]), 1))
        for i, c in enumerate(st.communities)
    }
    ranked = sorted(
        (i for i, c in enumerate(st.communities) if scores[c["code"]] is not None),
        key=lambda i: (float(total[i]), st.communities[i]["code"]),
    )
    weakest = []
    for i in ranked[:limit]:
        drill = st.drills[i] if st.drills is not None else None
        weakest.append(
            st.communities[i] | model.explain(i, st.metrics, st.scores, total, svc.cfg, drill)
        )
    return {
        "computed_at": st.computed_at.isoformat(),
        "communities": len(st.communities),
        "scored": len(ranked),
        "scores": scores,
        "weakest": weakest,
    }
