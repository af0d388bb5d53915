"""WebRTC signalling: offer for a camera, answer back; list and close live views."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from console.audit import Actor
from console.auth.policy import authorize
from console.bounds import IdPath
from console.cameras import service as cameras
from console.cameras.models import Camera
from console.cameras.watching import CameraWatching
from console.deps import DbDep, ServicesDep, absent, check
from console.errors import ProblemError
from console.live.deps import Viewer, hub_for, mse_codec_soon, peers_of, view_resource, watching_of
from console.live.extras_router import extras_router
from console.live.group_router import group_router
from console.live.mse_router import mse_router
from streams.urls import SourceUrlError
from streams.webrtc.mjpeg import mjpeg_frames
from streams.webrtc.peers import NeedsTranscode, OfferError

router = APIRouter(prefix="/api/live", tags=["live"])
router.include_router(extras_router)
router.include_router(group_router)
router.include_router(mse_router)


class OfferIn(BaseModel):
    """An SDP offer from a browser tile."""

    model_config = ConfigDict(extra="forbid")

    sdp: str = Field(max_length=65536, description="The browser's SDP offer.")
    type: Literal["offer"] = Field("offer", description="Always 'offer'.")
    stream: Literal["main", "sub", "auto"] = Field(
        "auto", description="Main stream (full screen) or sub-stream (tiles); auto = sub if any."
    )
    instant: bool = Field(
        True, description="Start from the cached GOP; false waits for the next keyframe."
    )
    transcode: bool = Field(
        False, description="Force a transcode (clients that cannot decode the camera's stream)."
    )
    allow_transcode: bool = Field(
        True,
        description="False: refuse with 409 needs_transcode (and the MSE codec) instead of "
        "transcoding a stream that cannot pass through, so the client can try MSE first.",
    )


class AnswerOut(BaseModel):
    """The server's answer."""

    viewer_id: int
    sdp: str
    type: Literal["answer"] = "answer"
    mode: str = Field(description="passthrough or transcode:<reason>.")
    stream: str


@router.post("/{camera_id}/offer", status_code=201, response_model=AnswerOut)
async def offer(
    camera_id: str,
    body: OfferIn,
    principal: Viewer,
    services: ServicesDep,
    db: DbDep,
    request: Request,
) -> AnswerOut | Response:
    """Start a live view of a camera (checked against role and unit, and audited)."""
    cam = await db.get(Camera, camera_id)
    if cam is None:
        raise await absent(services, principal, "live.view", "camera", camera_id)
    await check(services, principal, "live.view", cameras.resource(cam))
    # Answering can wait seconds for the camera: do not hold a pooled connection meanwhile.
    await db.commit()
    manager = peers_of(services)
    watching = watching_of(services)
    hub, stream = hub_for(cam, body.stream, watching, services.settings.live.linger_s)
    actor = Actor.of(principal)
    try:
        viewer, answer = await manager.offer(
            hub,
            body.sdp,
            principal.username,
            body.instant,
            body.transcode,
            body.allow_transcode,
        )
    except NeedsTranscode as exc:
        # Not a failure: the client goes on to MSE (or asks again allowing a transcode).
        raise ProblemError(
            409,
            str(exc),
            code=exc.code,
            extra={"reason": exc.reason, "mse": await mse_codec_soon(hub), "stream": stream},
        ) from exc
    except OfferError as exc:
        await services.audit.record(
            actor,
            "live.start",
            outcome="failure",
            target_type="camera",
            target_id=camera_id,
            detail={"reason": exc.code},
        )
        raise ProblemError(exc.status, str(exc), code=exc.code) from exc
    live = services.extensions.get("live")
    if live is not None:
        live.viewer_actors[viewer.id] = actor  # type: ignore[attr-defined]
    await services.audit.record(
        actor,
        "live.start",
        target_type="camera",
        target_id=camera_id,
        detail={"viewer": viewer.id, "mode": viewer.mode, "stream": stream},
    )
    if await request.is_disconnected():
        # The tile was stopped before its answer came: nobody will connect, close it now.
        await manager.close(viewer.id, "abandoned")
        return Response(status_code=204)
    return AnswerOut(viewer_id=viewer.id, sdp=answer, mode=viewer.mode, stream=stream)


BOUNDARY = "eocframe"
# Every MJPEG producer, so the cap can count them and shutdown can stop them.
MJPEG_TASKS: set[asyncio.Task[None]] = set()
# Who watches what through each producer, so a view stops when its user's access goes.
MJPEG_OWNERS: dict[asyncio.Task[None], tuple[Actor, str]] = {}


@router.get("/{camera_id}/mjpeg", response_class=StreamingResponse)
async def mjpeg(
    camera_id: str,
    principal: Viewer,
    services: ServicesDep,
    db: DbDep,
    fps: Annotated[float, Query(gt=0, le=15, description="Pictures per second.")] = 5.0,
) -> StreamingResponse:
    """Motion JPEG for clients without WebRTC (decodes on the server; capped, audited)."""
    cam = await db.get(Camera, camera_id)
    if cam is None:
        raise await absent(services, principal, "live.view", "camera", camera_id)
    await check(services, principal, "live.view", cameras.resource(cam))
    await db.commit()  # the stream lasts long: give the connection back now
    watching = services.extensions.get("camera_watching")
    if not isinstance(watching, CameraWatching):
        raise ProblemError(503, "camera ingest is not running", code="not-running")
    try:
        src = cameras.source(cam, watching.vault, watching.media_root)
    except SourceUrlError as exc:
        raise ProblemError(
            409, f"camera {camera_id} has an unusable URL: {exc}", code=exc.code
        ) from exc
    hub = watching.registry.get(camera_id) or watching.registry.configure(camera_id, src)
    actor = Actor.of(principal)
    queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=2)
    started = time.monotonic()

    async def produce() -> None:
        # Runs as its own task so cleanup happens even when the client vanishes mid-send.
        stalled_since: float | None = None
        try:
            await services.audit.record(
                actor,
                "live.start",
                target_type="camera",
                target_id=camera_id,
                detail={"mode": "mjpeg"},
            )
            async for jpeg in mjpeg_frames(hub, fps):
                try:
                    queue.put_nowait(jpeg)
                    stalled_since = None
                except asyncio.QueueFull:
                    stalled_since = stalled_since or time.monotonic()
                    if time.monotonic() - stalled_since > 3:
                        return  # nobody reads any more: the client has gone
        finally:
            MJPEG_TASKS.discard(task)
            MJPEG_OWNERS.pop(task, None)
            await services.audit.record(
                actor,
                "live.stop",
                target_type="camera",
                target_id=camera_id,
                detail={"mode": "mjpeg", "seconds": round(time.monotonic() - started, 1)},
            )

    cap = max(1, services.settings.live.max_transcodes * 2)
    # Count and claim the slot with no await in between, so concurrent requests cannot pass
    # the cap together.
    if len(MJPEG_TASKS) >= cap:
        raise ProblemError(429, f"at most {cap} MJPEG streams at once", code="mjpeg_cap")
    task = asyncio.create_task(produce(), name=f"mjpeg-{camera_id}")
    MJPEG_TASKS.add(task)
    MJPEG_OWNERS[task] = (actor, camera_id)

    async def body() -> AsyncIterator[bytes]:
        while not task.done():
            try:
                jpeg = await asyncio.wait_for(queue.get(), 10)
            except TimeoutError:
                continue
            yield (
                (
                    f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                    f"Content-Length: {len(jpeg)}\r\n\r\n"
                ).encode()
                + jpeg
                + b"\r\n"
            )

    return StreamingResponse(
        body(),
        media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}",
        headers={"Cache-Control": "no-store"},
    )


@router.get("")
async def list_views(principal: Viewer, services: ServicesDep) -> dict[str, Any]:
    """Live views: your own, and for an admin those of users in the admin's units."""
    manager = peers_of(services)
    views: list[Any] = [*manager.viewers.values(), *manager.streams.values()]
    return {
        "items": [
            v.stats()
            for v in views
            if authorize(
                principal, "live.list", view_resource(services, "live_view", v.id, v.user)
            ).allowed
        ],
        **manager.counters(),
    }


@router.delete("/{viewer_id}", status_code=204)
async def stop_view(viewer_id: IdPath, principal: Viewer, services: ServicesDep) -> Response:
    """Stop a live view (your own; an admin that of a user in the admin's units). Idempotent
    for its user: a view that already ended (the browser closed the peer first, or it was
    reaped) answers 204; anyone else is answered as for an id never used."""
    manager = peers_of(services)
    viewer = manager.viewers.get(viewer_id) or manager.streams.get(viewer_id)
    if viewer is None:
        if manager.closed_by("viewer", viewer_id) == principal.username:
            return Response(status_code=204)
        raise await absent(services, principal, "live.manage", "live_view", viewer_id)
    res = view_resource(services, "live_view", viewer.id, viewer.user)
    await check(services, principal, "live.manage", res)
    await manager.close(viewer_id, "stopped")
    return Response(status_code=204)
