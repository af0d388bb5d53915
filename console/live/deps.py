"""What the live routes share: the viewer dependency, the peer manager, camera hubs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from console.auth.policy import Principal
from console.cameras import service as cameras
from console.cameras.models import Camera
from console.cameras.watching import CameraWatching
from console.deps import require
from console.errors import ProblemError
from console.services import Services
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


def hub_for(cam: Camera, want: str, watching: CameraWatching) -> tuple[CameraHub, str]:
    """The camera's hub for the stream asked for (auto = sub-stream if it has one)."""
    use_sub = want == "sub" or (want == "auto" and cam.sub_url_enc is not None)
    stream = "sub" if use_sub and cam.sub_url_enc else "main"
    key = cam.id if stream == "main" else f"{cam.id}#sub"
    try:
        src = cameras.source(cam, watching.vault, watching.media_root, stream)
    except SourceUrlError as exc:
        raise ProblemError(
            409, f"camera {cam.id} has an unusable URL: {exc}", code=exc.code
        ) from exc
    return watching.registry.get(key) or watching.registry.configure(key, src), stream
