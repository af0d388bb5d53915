"""The walls feature module."""

from __future__ import annotations

from fastapi import APIRouter

from console.auth.policy import ALL_ROLES, Role, register_permission
from console.services import Services

register_permission("walls.read", ALL_ROLES)
register_permission("walls.write", ALL_ROLES)
register_permission("walls.push", {Role.admin, Role.operator})
# Sharing a wall or tour with the unit (a permission, so the UI can offer it only to these).
register_permission("walls.share", {Role.admin, Role.operator, Role.coordinator})


class WallsModule:
    """Saved walls, tours and push-to-wall."""

    name = "walls"

    def routers(self) -> list[APIRouter]:
        """Wall routes."""
        from console.walls.router import router

        return [router]

    async def start(self, services: Services) -> None:
        """Nothing runs in the background."""

    async def stop(self) -> None:
        """Nothing to stop."""

    async def seed_demo(self, services: Services) -> None:
        """A saved 4-tile wall and a tour of the demo cameras for the operator."""
        from console.walls.demo import seed

        await seed(services)
