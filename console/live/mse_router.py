"""Live view over MSE: fragmented MP4 of the camera's own frames on a websocket.

Protocol: the server sends {"type": "codec", "mime", "viewer_id", "stream"} as text; the
browser answers {"type": "start"} if MediaSource.isTypeSupported(mime) (or closes); then
binary messages follow, an init segment first and one fragment per frame. Checked, capped and
audited as WebRTC views are; DELETE /api/live/{viewer_id} ends it like any other view.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from console.api.ws import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, _same_origin
from console.audit import Actor
from console.auth.policy import Principal, authorize
from console.cameras import service as cameras
from console.cameras.models import Camera
from console.deps import absent, client_ip, deny, get_services, resolve_principal
from console.live.deps import hub_for, peers_of, watching_of
from console.services import Services
from streams.mse import MseFeed, MseView
from streams.webrtc.offers import OfferError

log = logging.getLogger(__name__)
mse_router = APIRouter()
CLOSE_REFUSED = 4409  # with the reason code: camera_offline, too_many_viewers, ...
CLOSE_NOT_FOUND = 4404
SEND_TIMEOUT_S = 10.0


async def _camera(
    ws: WebSocket, services: Services, principal: Principal, camera_id: str
) -> Camera | None:
    async with services.store.session() as db:
        cam = await db.get(Camera, camera_id)
    decision = authorize(principal, "live.view", cameras.resource(cam)) if cam else None
    if cam is None or (decision is not None and decision.hidden):
        # A camera the caller may not see is answered as one that does not exist.
        await absent(services, principal, "live.view", "camera", camera_id)
        await ws.close(code=CLOSE_NOT_FOUND, reason="camera not found")
        return None
    if decision is not None and not decision.allowed:
        await deny(services, principal, "live.view", f"camera:{camera_id}", decision.reason)
        await ws.close(code=CLOSE_FORBIDDEN, reason="not allowed")
        return None
    return cam


@mse_router.websocket("/{camera_id}/mse")
async def mse(ws: WebSocket, camera_id: str) -> None:
    """Stream a camera as fragmented MP4 for Media Source Extensions."""
    services = get_services(ws)
    principal = await resolve_principal(services, ws.headers, ws.cookies, client_ip(ws))
    await ws.accept()
    if principal is None or not _same_origin(ws):
        await ws.close(code=CLOSE_UNAUTHENTICATED, reason="sign in first")
        return
    if not authorize(principal, "live.view").allowed:
        await ws.close(code=CLOSE_FORBIDDEN, reason="not allowed")
        return
    cam = await _camera(ws, services, principal, camera_id)
    if cam is None:
        return
    want: Any = ws.query_params.get("stream", "auto")
    stream_kind: Literal["main", "sub", "auto"] = want if want in ("main", "sub") else "auto"
    manager = peers_of(services)
    actor = Actor.of(principal)
    try:
        view = manager.admit_stream(camera_id, principal.username)
    except OfferError as exc:
        await _audit(services, actor, camera_id, "live.start", {"reason": exc.code}, "failure")
        await ws.close(code=CLOSE_REFUSED, reason=exc.code)
        return
    hub, stream = hub_for(cam, stream_kind, watching_of(services), services.settings.live.linger_s)
    feed = MseFeed(hub, view, instant=ws.query_params.get("instant") != "false")
    # Known to the live module like a WebRTC view: stopped when its user loses access, and
    # administered from the user's unit up.
    actors = getattr(services.extensions.get("live"), "viewer_actors", {})
    actors[view.id] = actor
    try:
        await _serve(ws, services, actor, feed, view, stream)
    finally:
        actors.pop(view.id, None)
        feed.close()
        manager.release_stream(view, "closed")
        with contextlib.suppress(Exception):
            await ws.close()


async def _serve(
    ws: WebSocket, services: Services, actor: Actor, feed: MseFeed, view: MseView, stream: str
) -> None:
    camera_id = view.camera_id
    try:
        mime = await feed.open(services.settings.streams.open_timeout_s + 3)
    except OfferError as exc:
        await _audit(services, actor, camera_id, "live.start", {"reason": exc.code}, "failure")
        await ws.close(code=CLOSE_REFUSED, reason=exc.code)
        return
    await ws.send_json(
        {"type": "codec", "mime": mime, "viewer_id": view.id, "stream": stream, "mode": "mse"}
    )
    try:
        reply = await asyncio.wait_for(ws.receive_json(), 10)
    except (TimeoutError, WebSocketDisconnect, ValueError):
        return
    if not isinstance(reply, dict) or reply.get("type") != "start":
        return  # the browser cannot play this type: it goes on to its next transport
    detail = {"viewer": view.id, "mode": "mse", "stream": stream, "codec": mime}
    await _audit(services, actor, camera_id, "live.start", detail, "success")
    reader = asyncio.create_task(_drain(ws), name=f"mse-read-{view.id}")
    stopper = asyncio.create_task(view.stop.wait(), name=f"mse-stop-{view.id}")
    sender = asyncio.create_task(_send_all(ws, feed), name=f"mse-send-{view.id}")
    try:
        done, _ = await asyncio.wait({reader, stopper, sender}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            view.closed_reason = view.closed_reason or "stopped"
        elif reader in done:
            view.closed_reason = view.closed_reason or "closed"
        else:
            view.closed_reason = view.closed_reason or "ended"
    finally:
        for task in (reader, stopper, sender):
            task.cancel()
        for task in (reader, stopper, sender):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        stats = view.stats()
        await _audit(
            services,
            actor,
            camera_id,
            "live.stop",
            {
                k: stats[k]
                for k in (
                    "viewer_id",
                    "seconds",
                    "mode",
                    "closed_reason",
                    "offer_to_first_frame_s",
                    "frames_sent",
                    "bytes_sent",
                )
            },
            "success",
        )


async def _send_all(ws: WebSocket, feed: MseFeed) -> None:
    async for segment in feed.segments():
        # A browser that does not drain its socket is dropped (its queue drops to keyframes).
        await asyncio.wait_for(ws.send_bytes(segment), SEND_TIMEOUT_S)


async def _drain(ws: WebSocket) -> None:
    """Read until the browser closes (it sends nothing else that matters)."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while (await ws.receive()).get("type") != "websocket.disconnect":
            pass


async def _audit(
    services: Services,
    actor: Actor,
    camera_id: str,
    action: str,
    detail: dict[str, Any],
    outcome: str,
) -> None:
    await services.audit.record(
        actor, action, outcome=outcome, target_type="camera", target_id=camera_id, detail=detail
    )
