"""A small generated district written through the layer store, for incident tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import shapely

from console.gis import store
from console.gis.demo import _items
from gis import synth

DISTRICT = synth.generate(communities=12, shelters=8, kit_rows=300, cameras=0, buildings=240)


async def seed(app: Any, fault: bool = False) -> synth.District:
    """Layers (and optionally a NE fault through the district) in the app's store."""
    services = app.state.services
    async with services.store.session() as db, db.begin():
        for layer, items in _items(DISTRICT).items():
            await store.upsert(db, layer, items, "test")
        if fault:
            x0, y0, x1, y1 = shapely.total_bounds(DISTRICT.communities.geoms)
            line = shapely.LineString([(x0, y0), (x1, y1)])
            await store.upsert(db, "faults", [("F1", line, {"name": "测试断裂"})], "test")
    await services.extensions["readiness"].recompute()
    return DISTRICT


def centre() -> tuple[float, float]:
    """The district's centre (lat, lon)."""
    x0, y0, x1, y1 = shapely.total_bounds(DISTRICT.communities.geoms)
    return (y0 + y1) / 2, (x0 + x1) / 2


def quake(**kw: Any) -> dict[str, Any]:
    """A manual entry body: M6.0 under the district centre, five minutes ago."""
    lat, lon = centre()
    body: dict[str, Any] = {
        "lat": lat,
        "lon": lon,
        "depth_km": 10,
        "magnitude": 6.0,
        "mag_type": "Ms",
        "origin_time": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "place": "测试区",
    }
    body.update(kw)
    return body
