"""The live-view feature module: peer manager, signalling routes, viewing audit."""

from __future__ import annotations

import asyncio
import contextlib
from functools import partial
from typing import TYPE_CHECKING

from fastapi import APIRouter
from prometheus_client import Gauge

from console.audit import Actor
from console.cameras.watching import CameraWatching
from console.live.ice import for_server
from console.live.warm import Warmer
from console.services import Services
from streams.webrtc.peers import PeerLimits, PeerManager, Viewer

if TYPE_CHECKING:
    from console.live.revoke import AccessFollower

# Permissions (live.view, live.list, live.manage) are in console.auth.policy.RIGHTS.


def _counter(manager: PeerManager, key: str) -> float:
    return float(manager.counters()[key])


class LiveModule:
    """Owns every viewer peer connection; all are closed on shutdown."""

    name = "live"

    def __init__(self) -> None:
        self.manager: PeerManager | None = None
        self.services: Services | None = None
        # Who opened each view, so the closing audit row carries their unit and address, and
        # their access can be checked again when it changes.
        self.viewer_actors: dict[int, Actor] = {}
        self.group_actors: dict[int, Actor] = {}
        self.follower: AccessFollower | None = None
        self.warmer: Warmer | None = None

    def routers(self) -> list[APIRouter]:
        """Signalling routes."""
        from console.live.router import router

        return [router]

    async def start(self, services: Services) -> None:
        """Create the peer manager."""
        cfg = services.settings.live
        self.services = services
        self.manager = PeerManager(
            PeerLimits(
                max_total=cfg.max_viewers,
                max_per_user=cfg.max_viewers_per_user,
                max_transcodes=cfg.max_transcodes,
                ice_timeout_s=cfg.ice_timeout_s,
            ),
            on_closed=self._closed,
            ice_servers=partial(for_server, cfg.ice_servers if cfg.server_uses_ice_servers else []),
        )
        watching = services.extensions.get("camera_watching")
        if isinstance(watching, CameraWatching):
            self.warmer = Warmer(services, watching)
            services.extensions["live_warmer"] = self.warmer
            self.warmer.start()
        services.extensions["peers"] = self.manager
        manager = self.manager
        for key, help_text in (
            ("viewers", "Live views open."),
            ("transcodes", "Cameras being transcoded for live view."),
            ("reaped", "Viewers closed because ICE never completed."),
            ("failed", "Viewer connections that failed."),
            ("silenced", "Viewers closed because they went silent."),
        ):
            gauge = Gauge(f"eoc_live_{key}", help_text, registry=services.metrics.registry)
            gauge.set_function(partial(_counter, manager, key))
        if self.warmer is not None:
            warm = Gauge(
                "eoc_live_warm",
                "Camera streams held open for instant start.",
                registry=services.metrics.registry,
            )
            warm.set_function(partial(lambda w: float(len(w.held)), self.warmer))
        services.extensions["live"] = self
        from console.live.revoke import AccessFollower

        self.follower = AccessFollower(services, self)
        self.follower.start()

    async def _closed(self, viewer: Viewer) -> None:
        if self.services is None:
            return
        actor = self.viewer_actors.pop(viewer.id, Actor(None, viewer.user, None, ""))
        stats = viewer.stats()
        await self.services.audit.record(
            actor,
            "live.stop",
            target_type="camera",
            target_id=viewer.camera_id,
            detail={
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
        )

    async def stop(self) -> None:
        """Close every peer."""
        from console.live.router import MJPEG_TASKS

        if self.follower is not None:
            await self.follower.stop()
        for task in list(MJPEG_TASKS):
            task.cancel()
        for task in list(MJPEG_TASKS):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.manager is not None:
            await self.manager.close_all()
        if self.warmer is not None:
            await self.warmer.close()

    async def seed_demo(self, services: Services) -> None:
        """Live view needs no demo data of its own."""
