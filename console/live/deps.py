"""What the live routes share: the viewer dependency, the peer manager, camera hubs."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

from fastapi import Depends

from console.audit import Actor
from console.auth.policy import Principal, Resource
from console.cameras import service as cameras
from console.cameras.models import Camera
from console.cameras.watching import CameraWatching
from console.deps import require
from console.errors import ProblemError
from console.services import Services
from streams.fmp4 import CodecUnknown, mime_type
from streams.hub import CameraHub
from streams.urls import SourceUrlError
from streams.webrtc.peers import PeerManager

Viewer = Annotated[Principal, Depends(require("live.view"))]


def peers_of(services: Services) -> PeerManager:
    """The running peer manager (503 when live view is off)."""
    m = services.extensions.get("peers")
    if not isinstance(m, PeerManager):
        raise ProblemError(503, "live view is not running", code="not-running")
    return m


def watching_of(services: Services) -> CameraWatching:
    """The camera ingest (503 when it is off)."""
    watching = services.extensions.get("camera_watching")
    if not isinstance(watching, CameraWatching):
        raise ProblemError(503, "camera ingest is not running", code="not-running")
    return watching


def mse_codec(hub: CameraHub) -> str | None:
    """The MSE MIME type of a hub's stream, when its parameter sets are known."""
    try:
        return mime_type(hub.params)
    except CodecUnknown:
        return None


async def mse_codec_soon(hub: CameraHub, wait_s: float = 1.0) -> str | None:
    """As mse_codec, waiting a little for parameter sets sent only in the stream."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(hub.params.complete.wait(), wait_s)
    return mse_codec(hub)


def hub_for(
    cam: Camera, want: str, watching: CameraWatching, linger_s: float = 0.0
) -> tuple[CameraHub, str]:
    """The camera's hub for the stream asked for (auto = sub-stream if it has one).

    `linger_s` keeps the stream open that long after its last viewer leaves.
    """
    use_sub = want == "sub" or (want == "auto" and cam.sub_url_enc is not None)
    stream = "sub" if use_sub and cam.sub_url_enc else "main"
    key = cam.id if stream == "main" else f"{cam.id}#sub"
    try:
        src = cameras.source(cam, watching.vault, watching.media_root, stream)
    except SourceUrlError as exc:
        raise ProblemError(
            409, f"camera {cam.id} has an unusable URL: {exc}", code=exc.code
        ) from exc
    hub = watching.registry.get(key) or watching.registry.configure(key, src)
    hub.linger_s = max(hub.linger_s, linger_s)
    return hub, stream


def actor_of(services: Services, kind: str, obj_id: int, user: str) -> Actor | None:
    """Who opened a live view or group (their user id and unit), if known."""
    live = services.extensions.get("live")
    table = getattr(live, "group_actors" if kind == "live_group" else "viewer_actors", {})
    actor = table.get(obj_id)
    return actor if isinstance(actor, Actor) and actor.name == user else None


def view_resource(services: Services, kind: str, obj_id: int, user: str) -> Resource:
    """A live view or group as an object: its user's own, administered from their unit up."""
    actor = actor_of(services, kind, obj_id, user)
    if actor is None:
        return Resource(kind, str(obj_id))
    return Resource(kind, str(obj_id), actor.unit_id, owner_user_id=actor.id)
