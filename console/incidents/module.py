"""The incidents feature module: earthquake intake, incidents, exercises and their reports.

Permissions: incidents.read (every role); incidents.write (admin, coordinator, operator:
notes, decisions, shelter status, occupancy, dispatches, camera picks, opening an
incident); quakes.ingest (admin, coordinator, operator: manual entry and pushed feeds);
incidents.manage (admin, coordinator: feeds, scenarios, exercises, closing, strike).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import APIRouter

from console.events import Consumer
from console.services import Services

log = logging.getLogger(__name__)


class IncidentsModule:
    """Earthquake incident mode (地震应急)."""

    name = "incidents"

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._consumers: list[Consumer] = []

    def routers(self) -> list[APIRouter]:
        """Routes; fixed paths before /api/incidents/{id}."""
        from console.incidents.exercise_router import router as exercise
        from console.incidents.feeds_router import router as feeds
        from console.incidents.incidents_router import router as incidents
        from console.incidents.ops_router import router as ops
        from console.incidents.quakes_router import router as quakes
        from console.incidents.report_router import router as report

        return [quakes, feeds, exercise, ops, report, incidents]

    def spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        """A tracked background task (cancelled on stop)."""
        task: asyncio.Task[Any] = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def start(self, services: Services) -> None:
        """Build the service; start the feed poller and the drills listener."""
        from console.gis.readiness import ReadinessService
        from console.incidents.compute import Assessor
        from console.incidents.exercise import drill_handler
        from console.incidents.feeds import poller
        from console.incidents.service import IncidentService

        readiness = services.extensions.get("readiness")
        if not isinstance(readiness, ReadinessService):
            raise RuntimeError("the incidents module needs the GIS module started first")
        svc = IncidentService(
            services, Assessor(services.store, readiness, services.settings.incidents)
        )
        services.extensions["incidents"] = svc
        services.extensions["incidents.module"] = self
        # One node polls the feeds (the leader); the others take over if it goes.
        services.leader.run("quake-feeds", lambda: poller(services, svc))
        self._consumers.append(
            services.bus.consume(
                "incidents-drill-exercises", ("drill.status",), drill_handler(services, svc, self)
            )
        )

    async def stop(self) -> None:
        """Leave the drills group; cancel any exercise replay (the poller stops with the
        leadership)."""
        for consumer in self._consumers:
            await consumer.stop()
        self._consumers.clear()
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t

    async def seed_demo(self, services: Services) -> None:
        """A demo exercise scenario on the demo fault."""
        from console.incidents.demo import seed

        await seed(services)
