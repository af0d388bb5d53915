"""Health, metrics and product metadata."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from console import __version__
from console.auth.policy import Principal
from console.deps import ServicesDep, require
from console.errors import ProblemError

router = APIRouter(tags=["meta"])
MetricsReader = Annotated[Principal, Depends(require("metrics.read"))]


@router.get("/healthz")
async def healthz(services: ServicesDep) -> dict[str, Any]:
    """Liveness and database reachability (no authentication; reveals nothing).

    A node whose event bus is reconnecting still serves (200) but says so: a load balancer
    keeps it, its websocket clients resume once events flow again.
    """
    try:
        async with services.store.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise ProblemError(503, "database unreachable", code="unhealthy") from exc
    return {"status": "ok", "bus": "ok" if services.bus.connected else "reconnecting"}


@router.get("/metrics", response_class=Response)
async def metrics(principal: MetricsReader, services: ServicesDep) -> Response:
    """Prometheus metrics (scrape with a bearer token of a maintenance or admin user)."""
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/api/meta")
async def meta(services: ServicesDep) -> dict[str, Any]:
    """Product, version and site name for the login page (no authentication)."""
    site = services.settings.site
    return {
        "product": "EOC Console",
        "version": __version__,
        "demo": services.settings.demo,
        "site": {
            "name": site.name,
            "name_en": site.name_en,
            "default_locale": site.default_locale,
            "timezone": site.timezone,
        },
        "features": sorted(services.features),
        "map": {
            "tile_url": services.settings.map.tile_url,
            "tile_attribution": services.settings.map.tile_attribution,
        },
    }
