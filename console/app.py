"""The application factory: `create_app(settings)`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from console import __version__
from console.api import audit, auth, meta, people, tokens, units, users, ws
from console.cluster.node import NodeGuard
from console.errors import install_handlers
from console.middleware import BodyLimit, RequestMetrics, SecurityHeaders
from console.modules import ConsoleModule, installed_modules
from console.openapi import install_openapi
from console.services import Services
from console.settings import Settings
from console.store.engine import prepare_data_dir

log = logging.getLogger(__name__)


class RevalidatedStatic(StaticFiles):
    """Static files that browsers revalidate (ETag) so an upgrade never runs stale modules."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        """Add Cache-Control: no-cache."""
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


def web_root() -> Path:
    """The static front end: inside the wheel, or web/ in a source checkout."""
    packaged = Path(__file__).resolve().parent / "_web"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "web"


async def start_services(services: Services, modules: list[ConsoleModule]) -> NodeGuard:
    """Check the data dir, take the node lock, migrate, connect the bus, load caches, start
    modules."""
    prepare_data_dir(services.settings.data_dir)
    guard = NodeGuard(services.settings, services.store)
    await guard.acquire()
    started_bus = False
    try:
        await services.store.upgrade()
        await services.bus.start()
        started_bus = True
        await services.reload_units()
        services.caches.start()
        await services.leader.start()
        services.audit.start()
        for module in modules:
            await module.start(services)
            services.features.add(module.name)
    except BaseException:
        await services.audit.close()
        await services.leader.stop()
        await services.caches.stop()
        if started_bus:
            await services.bus.close()
        await guard.release()
        await services.store.close()
        raise
    return guard


async def stop_services(services: Services, modules: list[ConsoleModule], guard: NodeGuard) -> None:
    """Stop led jobs, then modules in reverse order, then the bus and the store."""
    await services.leader.stop()
    for module in reversed(modules):
        try:
            await module.stop()
        except Exception:
            log.exception("module %s failed to stop cleanly", module.name)
    for hook in services.on_stop:
        await hook(services)
    # After the modules: their last live views and refusals are stored before the end.
    await services.audit.close()
    await services.caches.stop()
    await services.bus.close()
    await guard.release()
    await services.store.close()


def create_app(settings: Settings, modules: list[ConsoleModule] | None = None) -> FastAPI:
    """Build the app; services start and stop with its lifespan."""
    services = Services.build(settings)
    mods = installed_modules() if modules is None else modules

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        guard = await start_services(services, mods)
        log.info(
            "EOC Console %s ready (node %s, %s bus, data dir %s)",
            __version__,
            services.node,
            settings.cluster.bus,
            settings.data_dir,
        )
        try:
            yield
        finally:
            await stop_services(services, mods, guard)

    app = FastAPI(
        title="EOC Console",
        version=__version__,
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.services = services
    install_handlers(app)
    for router in (
        auth.router,
        users.router,
        units.router,
        tokens.router,
        audit.router,
        meta.router,
        people.router,
        ws.router,
    ):
        app.include_router(router)
    for module in mods:
        for router in module.routers():
            app.include_router(router)

    install_openapi(app)
    root = web_root()
    index = root / "index.html"

    @app.get("/", include_in_schema=False)
    async def index_page() -> FileResponse:
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    app.mount("/", RevalidatedStatic(directory=root, check_dir=False), name="web")
    app.add_middleware(RequestMetrics, metrics=services.metrics)
    app.add_middleware(SecurityHeaders)
    # Upload routes a module names get their own limit (one setting each, e.g. gis.*).
    routes = [r for m in mods for r in getattr(m, "body_limits", lambda _s: [])(settings)]
    app.add_middleware(BodyLimit, limit=settings.server.max_body_bytes, routes=routes)
    return app
