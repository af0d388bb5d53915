"""The cameras feature module: registry routes and permissions."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import APIRouter

from console.cameras.watching import CameraWatching
from console.health.recorder import HealthRecorder
from console.services import Services

log = logging.getLogger(__name__)


class CamerasModule:
    """Camera registry (health and live view hook in through the hub registry)."""

    name = "cameras"

    def __init__(self) -> None:
        self.recorder: HealthRecorder | None = None
        self.watching: CameraWatching | None = None
        self._demo_task: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None

    async def _sweep(self) -> None:
        """Close quiet alerts and follow maintenance windows, every 30 s."""
        while True:
            await asyncio.sleep(30)
            try:
                if self.recorder is not None:
                    await self.recorder.sweep()
            except Exception:
                log.exception("health sweep failed")

    def routers(self) -> list[APIRouter]:
        """Registry routes."""
        from console.cameras.router import router
        from console.health.maintenance_router import router as maintenance_router
        from console.health.router import router as health_router
        from console.health.status_router import router as status_router
        from console.health.tuning_router import router as tuning_router

        return [router, maintenance_router, tuning_router, status_router, health_router]

    async def start(self, services: Services) -> None:
        """Start the health recorder and watch every enabled camera."""
        (services.settings.data_dir / "media").mkdir(exist_ok=True)
        from console.cameras.credentials import split_stored_urls
        from console.cameras.secrets import UrlVault

        async with services.store.session() as db:
            await split_stored_urls(db, UrlVault(services.secret))
        self.recorder = HealthRecorder(
            services.store,
            services.bus,
            registry=services.metrics.registry,
            quiet_s=services.settings.streams.alert_quiet_s,
        )
        await self.recorder.load()
        await self.recorder.calendar.refresh()
        self._sweeper = asyncio.create_task(self._sweep(), name="health-sweep")
        services.extensions["health_recorder"] = self.recorder
        self.watching = CameraWatching(services, self.recorder)
        services.extensions["camera_watching"] = self.watching
        await self.watching.start()
        if services.settings.demo:
            from console.cameras.demo import drop_and_return

            media = services.settings.data_dir / "media"
            self._demo_task = asyncio.create_task(drop_and_return(media), name="demo-flaky")

    async def stop(self) -> None:
        """Stop every watcher, hub and reader thread."""
        for task in (self._demo_task, self._sweeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.watching is not None:
            await self.watching.close()

    async def seed_demo(self, services: Services) -> None:
        """Demo cameras playing the shipped footage, some with faults."""
        from console.cameras.demo import seed

        await seed(services)
