"""What a browser needs around live views: ICE servers, the poster picture while a stream
starts, and pre-opening what the operator is about to see (next tour step, full screen)."""

from __future__ import annotations

import time
from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from console.audit import Actor
from console.cameras import service as cameras
from console.cameras.models import Camera
from console.deps import DbDep, ServicesDep, absent, check
from console.errors import ProblemError
from console.live.deps import Viewer, hub_for, watching_of
from console.live.ice import for_browser
from console.live.warm import Warmer
from streams.webrtc.snapshot import snapshot_jpeg

extras_router = APIRouter()
_posters_audited: dict[tuple[int, str], float] = {}


@extras_router.get("/config")
async def live_config(principal: Viewer, services: ServicesDep) -> Response:
    """STUN/TURN servers for this viewer's peer connections (no-store: TURN passwords)."""
    import json

    cfg = services.settings.live
    body = {
        "ice_servers": for_browser(cfg.ice_servers, principal.username),
        "linger_s": cfg.linger_s,
        "prewarm_max_s": cfg.prewarm_max_s,
    }
    return Response(
        json.dumps(body), media_type="application/json", headers={"Cache-Control": "no-store"}
    )


async def _camera(camera_id: str, principal: Viewer, services: ServicesDep, db: DbDep) -> Camera:
    cam = await db.get(Camera, camera_id)
    if cam is None:
        raise await absent(services, principal, "live.view", "camera", camera_id)
    await check(services, principal, "live.view", cameras.resource(cam))
    return cam


@extras_router.get("/{camera_id}/poster.jpg", response_class=Response)
async def poster(
    camera_id: str,
    principal: Viewer,
    services: ServicesDep,
    db: DbDep,
    stream: Literal["main", "sub", "auto"] = Query("auto", description="As for offers."),
) -> Response:
    """The newest keyframe of the stream a tile is about to play, shown while it starts.

    From the live stream's cache when it is open, else the health check's last picture;
    X-Captured-At says when it was taken (Unix seconds) when that is known.
    """
    cam = await _camera(camera_id, principal, services, db)
    watching = watching_of(services)
    hub, _stream = hub_for(cam, stream, watching)
    jpeg = await snapshot_jpeg(hub) if hub.gop else None
    headers = {"Cache-Control": "no-store"}
    if jpeg is not None:
        age = time.monotonic() - hub.gop[0].arrival
        headers["X-Captured-At"] = f"{time.time() - age:.3f}"
    else:
        jpeg = await watching.snapshot(cam.id)
    if jpeg is None:
        raise ProblemError(404, f"no picture from camera {camera_id} yet", code="no-picture")
    key = (principal.user_id, camera_id)
    now = time.monotonic()
    if now - _posters_audited.get(key, -1e9) > 600:  # as camera snapshots: 10 min apart
        _posters_audited[key] = now
        await services.audit.record(
            Actor.of(principal), "camera.snapshot", target_type="camera", target_id=camera_id
        )
    return Response(jpeg, media_type="image/jpeg", headers=headers)


class PrewarmIn(BaseModel):
    """Cameras to open ahead of showing them."""

    model_config = ConfigDict(extra="forbid")

    cameras: list[str] = Field(min_length=1, max_length=64, description="Camera ids.")
    stream: Literal["main", "sub", "auto"] = Field("auto", description="Which stream.")
    seconds: float = Field(30, gt=0, le=3600, description="How long to keep them open.")


@extras_router.post("/prewarm", status_code=202)
async def prewarm(
    body: PrewarmIn, principal: Viewer, services: ServicesDep, db: DbDep
) -> dict[str, Any]:
    """Open cameras' streams before they are shown (the next tour step, full screen), so
    they start from a cached GOP; each camera is checked as for viewing it."""
    warmer = services.extensions.get("live_warmer")
    if not isinstance(warmer, Warmer):
        raise ProblemError(503, "live view is not running", code="not-running")
    watching = watching_of(services)
    hubs = []
    for cid in dict.fromkeys(body.cameras):
        cam = await _camera(cid, principal, services, db)
        hubs.append(hub_for(cam, body.stream, watching, services.settings.live.linger_s)[0])
    leased = warmer.lease(principal.username, hubs, body.seconds)
    return {
        "cameras": list(dict.fromkeys(body.cameras))[:leased],
        "seconds": min(body.seconds, services.settings.live.prewarm_max_s),
        "refused": len(hubs) - leased,
    }
