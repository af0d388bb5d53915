"""Compact views for the operations map: every visible camera as columns (for clustering
20,000 cameras in the browser), and readiness as a score per community plus the weakest.
Big bodies are encoded in a worker thread and sent as they are, so a 20,000-camera city
never holds the event loop."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import func, select

from console.auth.policy import Principal
from console.cameras import service as cameras
from console.cameras.models import Camera, CameraShare
from console.deps import DbDep, ServicesDep, require
from console.gis.readiness_router import readiness
from console.health.models import CameraHealth
from console.ops.cache import cache_of
from gis import readiness as model

router = APIRouter(prefix="/api/ops", tags=["operations view"])
CameraReader = Annotated[Principal, Depends(require("cameras.read"))]
ReadinessReader = Annotated[Principal, Depends(require("readiness.read"))]


def status_of(enabled: bool, health: str | None) -> str:
    """The map status: the health status, "unknown" before the first check, "disabled"."""
    if not enabled:
        return "disabled"
    return health or "unknown"


def camera_columns(rows: list[Any]) -> str:
    """The camera columns as JSON text (CPU-bound for 20,000 cameras: worker thread)."""
    ids, names, lon, lat, enabled, key, health = (
        (list(c) for c in zip(*rows, strict=True)) if rows else ([] for _ in range(7))
    )
    status = [status_of(e, h) for e, h in zip(enabled, health, strict=True)]
    counts: dict[str, int] = {}
    for st in status:
        counts[st] = counts.get(st, 0) + 1
    body = {
        "count": len(ids),
        "counts": counts,
        "id": ids,
        "name": names,
        "lon": [round(v, 6) for v in lon],
        "lat": [round(v, 6) for v in lat],
        "status": status,
        "key": [i for i, k in enumerate(key) if k],
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


async def camera_stamp(db: DbDep) -> tuple[Any, ...]:
    """Changes when a camera is added, edited, shared or deleted or changes health status."""
    cams = (
        await db.execute(
            select(func.count(), func.sum(Camera.version), func.max(Camera.updated_at))
        )
    ).one()
    shares = (await db.execute(select(func.count()).select_from(CameraShare))).one()
    health = (await db.execute(select(func.count(), func.max(CameraHealth.since)))).one()
    return (*cams, *shares, *health)


@router.get("/cameras")
async def cameras_view(principal: CameraReader, services: ServicesDep, db: DbDep) -> Response:
    """Cameras the caller's units may see that have a position, as parallel columns
    (id, name, lon, lat, status, indices of key cameras); no stream details."""
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

    async def build() -> str:
        return await asyncio.to_thread(camera_columns, list((await db.execute(stmt)).all()))

    key = ("cameras", tuple(sorted(principal.unit_scope)))
    body = await cache_of(services).get(key, await camera_stamp(db), build)
    return Response(body, media_type="application/json")


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
