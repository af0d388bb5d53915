"""The GIS feature module: layer routes and permissions."""

from __future__ import annotations

from fastapi import APIRouter

from console.auth.policy import ALL_ROLES, Role, register_permission
from console.services import Services

register_permission("gis.read", ALL_ROLES)
register_permission("gis.write", {Role.admin, Role.coordinator})
register_permission("readiness.read", ALL_ROLES)


class GisModule:
    """GIS layers (import, export, map GeoJSON)."""

    name = "gis"

    def routers(self) -> list[APIRouter]:
        """Layer routes."""
        from console.gis.router import router

        return [router]

    async def start(self, services: Services) -> None:
        """Nothing runs in the background yet."""

    async def stop(self) -> None:
        """Nothing to stop."""

    async def seed_demo(self, services: Services) -> None:
        """No demo layers yet."""
