"""Readiness API: ranking, filters, detail, CSV, 404, recompute, snapshots and events."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select

from console.events import Event
from console.gis import store
from console.gis.demo import _items
from console.gis.models import KitDistribution, ReadinessSnapshot
from console.settings import Settings
from gis import synth
from tests.conftest import login, make_settings


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """A short debounce so layer events recompute quickly."""
    return make_settings(data_dir, readiness={"debounce_s": 0.05})


async def seed(app: Any) -> synth.District:
    """A small generated district written through the layer store."""
    d = synth.generate(communities=12, shelters=8, kit_rows=300, cameras=0, buildings=120)
    services = app.state.services
    async with services.store.session() as db, db.begin():
        for layer, items in _items(d).items():
            await store.upsert(db, layer, items, "test")
        k = d.kits
        await db.execute(
            insert(KitDistribution),
            [
                {
                    "community_code": d.communities.codes[int(c)],
                    "category": synth.KIT_CATEGORIES[int(cat)],
                    "quantity": int(q),
                    "date": date(2026, 1, 1),
                }
                for c, cat, q in zip(k.community, k.category, k.quantity, strict=True)
            ],
        )
    return d


async def snapshots(app: Any, code: str | None = None) -> int:
    async with app.state.services.store.session() as db:
        q = select(func.count()).select_from(ReadinessSnapshot)
        if code:
            q = q.where(ReadinessSnapshot.community_code == code)
        return int(await db.scalar(q) or 0)


@pytest.mark.asyncio
async def test_ranked_list_filters_detail_csv_and_404(client: httpx.AsyncClient, app: Any) -> None:
    d = await seed(app)
    await login(client, "viewer")
    assert (await client.post("/api/readiness/recompute")).status_code == 403
    await login(client, "coordinator")
    r = await client.post("/api/readiness/recompute")
    assert r.status_code == 200, r.text
    assert r.json()["communities"] == 12
    body = (await client.get("/api/readiness")).json()
    rows = body["communities"]
    assert [c["code"] for c in rows] != [] and len(rows) == 12
    scores = [c["score"] for c in rows]
    assert scores == sorted(scores) and len(set(scores)) > 3
    assert set(body["weights"]) == set(rows[0]["components"])
    first = rows[0]
    assert "drills" in first["missing"] and first["components"]["drills"]["score"] is None
    w = body["weights"]
    have = {k: v["score"] for k, v in first["components"].items() if v["score"] is not None}
    expect = sum(w[k] * s for k, s in have.items()) / sum(w[k] for k in have)
    assert first["score"] == pytest.approx(expect, abs=0.1)
    assert first["weakest"]["text"]["en"] and first["weakest"]["text"]["zh-CN"]
    assert first["trend"] and first["trend"][-1][1] == first["score"]
    desc = (await client.get("/api/readiness", params={"sort": "desc"})).json()["communities"]
    assert [c["code"] for c in desc] == [c["code"] for c in reversed(rows)]
    office = d.communities.street_offices[0]
    sub = (await client.get("/api/readiness", params={"street_office": office})).json()
    want = set(d.communities.codes)
    got = {c["code"] for c in sub["communities"]}
    assert got and got < want and all(c["street_office"] == office for c in sub["communities"])
    by_kits = (await client.get("/api/readiness", params={"component": "kits"})).json()
    ks = [c["components"]["kits"]["score"] for c in by_kits["communities"]]
    assert ks == sorted(ks)
    bad = await client.get("/api/readiness", params={"component": "nope"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "query.component"

    code = rows[-1]["code"]
    det = (await client.get(f"/api/readiness/{code}")).json()
    assert det["code"] == code and det["score"] == rows[-1]["score"]
    assert det["shelters"], det
    dist = [s["distance_m"] for s in det["shelters"]]
    assert dist == sorted(dist) and all("allocated_capacity" in s for s in det["shelters"])
    alloc = sum(s["allocated_capacity"] for s in det["shelters"])
    cap = det["components"]["shelter_capacity"]["inputs"]["allocated_capacity"]
    assert alloc == pytest.approx(cap, abs=1)
    assert det["routes"] and det["routes"][0]["id"] == f"R-{code}"
    missing = await client.get("/api/readiness/NOPE-9")
    assert missing.status_code == 404 and "NOPE-9" in missing.text

    r = await client.get("/api/readiness.csv")
    assert r.content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert table[0][:6] == ["code", "name", "street_office", "population", "households", "score"]
    assert len(table) == 13 and any("社区" in row[1] for row in table[1:])


async def next_event(sub: Any, type_: str, code: str | None = None, timeout: float = 5.0) -> Event:
    async def wait() -> Event:
        while True:
            ev = await sub.get()
            assert ev is not None
            if ev.type == type_ and code in (None, ev.data.get("code")):
                return ev  # type: ignore[no-any-return]

    return await asyncio.wait_for(wait(), timeout)


@pytest.mark.asyncio
async def test_snapshots_only_when_scores_move_and_events(
    client: httpx.AsyncClient, app: Any
) -> None:
    await seed(app)
    await login(client, "admin")
    services = app.state.services
    r = (await client.post("/api/readiness/recompute")).json()
    n = await snapshots(app)
    assert n == 12 and r["changed"] in (0, 12)
    again = (await client.post("/api/readiness/recompute")).json()
    assert again["changed"] == 0 and await snapshots(app) == 12
    before = (await client.get("/api/readiness/C03")).json()

    sub, _ = services.bus.subscribe(maxsize=4096)
    try:
        async with services.store.session() as db, db.begin():
            await db.execute(
                insert(KitDistribution),
                [
                    {
                        "community_code": "C03",
                        "category": "standard",
                        "quantity": 5000,
                        "date": date(2026, 2, 1),
                    }
                ],
            )
        await services.bus.publish("gis.kits.imported", {"community_codes": ["C03"]})
        ev = await next_event(sub, "readiness.score.changed")
        assert ev.data["code"] == "C03" and ev.data["previous"] == before["score"]
        assert ev.data["score"] > before["score"]
        assert ev.audience.permission == "readiness.read"
        assert await snapshots(app) == 13 and await snapshots(app, "C03") == 2
        after = (await client.get("/api/readiness/C03")).json()
        assert after["score"] == ev.data["score"] and len(after["trend"]) == 2
        assert after["components"]["kits"]["inputs"]["delivered"]["standard"] == (
            before["components"]["kits"]["inputs"]["delivered"]["standard"] + 5000
        )
        # The incremental result equals a full recompute: nothing moves.
        full = (await client.post("/api/readiness/recompute")).json()
        assert full["changed"] == 0 and await snapshots(app) == 13

        # A layer import (or edit) triggers a debounced full recompute.
        await services.bus.publish("gis.feature.changed", {"layer": "communities"})
        async with services.store.session() as db, db.begin():
            f = await store.get(db, "communities", "C05")
            assert f is not None
            f.properties = dict(f.properties) | {"population": 50 * f.properties["population"]}
        await services.bus.publish("gis.feature.changed", {"layer": "communities"})
        # C05 moves (and neighbours sharing its shelters, as capacity is split by demand).
        ev = await next_event(sub, "readiness.score.changed", "C05")
        assert ev.data["score"] < ev.data["previous"]
    finally:
        services.bus.unsubscribe(sub)
