"""The drills feature module: routes and permissions.

Permissions: drills.read for every role; drills.write (plan editing) and drills.run
(workflow transitions, live control) for admin and coordinator. Unit scoping: a drill is
owned by its organising unit and shared with its participating units.
"""

from __future__ import annotations

from fastapi import APIRouter

from console.auth.policy import ALL_ROLES, Role, register_permission
from console.services import Services

register_permission("drills.read", ALL_ROLES)
register_permission("drills.write", {Role.admin, Role.coordinator})
register_permission("drills.run", {Role.admin, Role.coordinator})


class DrillsModule:
    """Drill plans, workflow and scheduling conflicts."""

    name = "drills"

    def routers(self) -> list[APIRouter]:
        """Drill routes."""
        from console.drills.router import router

        return [router]

    async def start(self, services: Services) -> None:
        """Nothing runs in the background."""

    async def stop(self) -> None:
        """Nothing to stop."""

    async def seed_demo(self, services: Services) -> None:
        """Demo drills in the demo district."""
        from console.drills.demo import seed

        await seed(services)
