"""The demo district: varied readiness, history, cameras watching some shelters, idempotent."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from console.gis.demo import seed
from console.gis.models import Feature
from tests.conftest import login


@pytest.mark.asyncio
async def test_demo_seed_tells_a_story(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    for i, (lon, lat, bearing) in enumerate([(113.2695, 23.1255, 200), (113.2978, 23.1301, 160)]):
        r = await client.post(
            "/api/cameras",
            json={
                "id": f"demo-cam-{i}",
                "name": f"demo {i}",
                "owner_unit_id": 1,
                "main_url": "rtsp://127.0.0.1:9/x",
                "lon": lon,
                "lat": lat,
                "fov": {"bearing": bearing, "angle": 70, "range_m": 120},
            },
        )
        assert r.status_code == 201, r.text
    services = app.state.services
    await seed(services)
    await seed(services)  # idempotent
    async with services.store.session() as db:
        n = await db.scalar(
            select(func.count()).select_from(Feature).where(Feature.layer == "communities")
        )
    assert n == 48
    assert (await client.post("/api/readiness/recompute")).status_code == 200
    rows = (await client.get("/api/readiness")).json()["communities"]
    scores = [c["score"] for c in rows]
    assert None not in scores and max(scores) - min(scores) >= 20
    weakest = {c["weakest"]["component"] for c in rows}
    assert len(weakest) >= 3, weakest
    for comp in ("kits", "teams", "building_safety"):
        vals = [c["components"][comp]["score"] for c in rows]
        assert max(vals) - min(vals) >= 40, comp
    cams = [c["components"]["camera_coverage"]["score"] or 0 for c in rows]
    assert max(cams) > 0
    assert sum(len(c["trend"]) >= 3 for c in rows) >= 10
    watched = [c for c in rows if c["components"]["camera_coverage"]["inputs"]["shelters_watched"]]
    det = (await client.get(f"/api/readiness/{watched[0]['code']}")).json()
    assert set(det["cameras"]) <= {"demo-cam-0", "demo-cam-1"} and det["cameras"]
