"""Feature modules (cameras, wall, GIS, drills) plug routers and services into the app."""

from __future__ import annotations

from typing import Protocol

from fastapi import APIRouter

from console.services import Services


class ConsoleModule(Protocol):
    """What a feature module gives the app."""

    name: str

    def routers(self) -> list[APIRouter]:
        """Routers to mount."""

    async def start(self, services: Services) -> None:
        """Start background work (after migrations)."""

    async def stop(self) -> None:
        """Stop background work; close every task, thread and peer."""

    async def seed_demo(self, services: Services) -> None:
        """Add this module's demo data to a fresh demo district."""


def installed_modules() -> list[ConsoleModule]:
    """The feature modules shipped with this build, in start order."""
    from console.cameras.module import CamerasModule
    from console.drills.module import DrillsModule
    from console.gis.module import GisModule
    from console.incidents.module import IncidentsModule
    from console.live.module import LiveModule
    from console.notify.module import NotifyModule
    from console.ops.module import OpsModule
    from console.walls.module import WallsModule

    return [
        CamerasModule(),
        LiveModule(),
        WallsModule(),
        GisModule(),
        DrillsModule(),
        IncidentsModule(),
        NotifyModule(),
        OpsModule(),
    ]
