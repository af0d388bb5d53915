"""The GIS feature module: layer routes, readiness service and permissions."""

from __future__ import annotations

from fastapi import APIRouter

from console.services import Services
from console.settings import Settings

# Upload routes whose body limit is gis.max_import_bytes (not server.max_body_bytes).
IMPORT_ROUTES = (
    r"^/api/gis/layers/[^/]+/import$",
    r"^/api/gis/kits/import$",
    r"^/api/gis/shelters/occupancy/import$",
)


LEAD = "readiness-snapshots"
CACHE = "readiness"


class GisModule:
    """GIS layers (import, export, map GeoJSON) and community readiness."""

    name = "gis"

    def __init__(self) -> None:
        from console.gis.readiness import ReadinessService

        self.readiness: ReadinessService | None = None

    def body_limits(self, settings: Settings) -> list[tuple[str, int]]:
        """GIS imports take files up to gis.max_import_bytes."""
        return [(p, settings.gis.max_import_bytes) for p in IMPORT_ROUTES]

    def routers(self) -> list[APIRouter]:
        """Layer, feature editing, kit and readiness routes."""
        from console.gis.features import router as features_router
        from console.gis.imports import router as imports_router
        from console.gis.kits import router as kits_router
        from console.gis.occupancy import router as occupancy_router
        from console.gis.readiness_router import router as readiness_router
        from console.gis.router import router

        return [
            router,
            imports_router,
            features_router,
            kits_router,
            readiness_router,
            occupancy_router,
        ]

    async def start(self, services: Services) -> None:
        """Start the readiness service (first recompute runs in the background)."""
        from console.gis.readiness import ReadinessService

        await services.leader.claim(LEAD)
        self.readiness = ReadinessService(
            services.store,
            services.bus,
            services.settings.readiness,
            leads=lambda: services.leader.leads(LEAD),
        )
        services.extensions["readiness"] = self.readiness
        readiness = self.readiness

        async def recompute_soon() -> None:
            readiness.schedule_full()

        services.caches.register(CACHE, recompute_soon)
        await self.readiness.start()

    async def stop(self) -> None:
        """Cancel the readiness tasks."""
        if self.readiness is not None:
            await self.readiness.stop()

    async def seed_demo(self, services: Services) -> None:
        """The demo district's layers, kit rows and readiness history."""
        from console.gis.demo import seed

        await seed(services)
