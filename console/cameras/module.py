"""The cameras feature module: registry routes and permissions."""

from __future__ import annotations

from fastapi import APIRouter

from console.auth.policy import ALL_ROLES, Role, register_permission
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

    def routers(self) -> list[APIRouter]:
        """Registry routes."""
        from console.cameras.router import router
        from console.health.router import router as health_router

        return [router, health_router]

    async def start(self, services: Services) -> None:
        """Nothing to start for the registry alone."""
        (services.settings.data_dir / "media").mkdir(exist_ok=True)
        self.recorder = HealthRecorder(services.store, services.bus)
        services.extensions["health_recorder"] = self.recorder

    async def stop(self) -> None:
        """Nothing to stop for the registry alone."""

    async def seed_demo(self, services: Services) -> None:
        """Demo cameras playing the shipped footage, some with faults."""
        from console.cameras.demo import seed

        await seed(services)
