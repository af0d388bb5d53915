"""The cameras feature module: registry routes and permissions."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter

from console.auth.policy import ALL_ROLES, Role, register_permission
from console.cameras.watching import CameraWatching
from console.health.recorder import HealthRecorder
from console.services import Services

register_permission("cameras.read", ALL_ROLES)
register_permission("cameras.write", {Role.admin, Role.maintenance})
register_permission("health.read", {Role.admin, Role.maintenance, Role.operator})
register_permission("health.manage", {Role.admin, Role.maintenance})


class CamerasModule:
    """Camera registry (health and live view hook in through the hub registry)."""

    name = "cameras"

    def __init__(self) -> None:
        self.recorder: HealthRecorder | None = None
        self.watching: CameraWatching | None = None
        self._demo_task: asyncio.Task[None] | None = None

    def routers(self) -> list[APIRouter]:
        """Registry routes."""
        from console.cameras.router import router
        from console.health.router import router as health_router

        return [router, health_router]

    async def start(self, services: Services) -> None:
        """Start the health recorder and watch every enabled camera."""
        (services.settings.data_dir / "media").mkdir(exist_ok=True)
        from console.cameras.credentials import split_stored_urls
        from console.cameras.secrets import UrlVault

        async with services.store.session() as db:
            await split_stored_urls(db, UrlVault(services.secret))
        self.recorder = HealthRecorder(
            services.store, services.bus, registry=services.metrics.registry
        )
        await self.recorder.load()
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
        if self._demo_task is not None:
            self._demo_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._demo_task
        if self.watching is not None:
            await self.watching.close()

    async def seed_demo(self, services: Services) -> None:
        """Demo cameras playing the shipped footage, some with faults."""
        from console.cameras.demo import seed

        await seed(services)
