"""Kit distribution import: good rows, every bad row listed, all-or-nothing, partial, bulk speed."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from console.gis.models import KitDistribution
from console.store.models import AuditEntry
from tests.conftest import login, new_client

HEADER = "community_code,category,quantity,date,unit,lon,lat\n"


async def _communities(client: httpx.AsyncClient, *codes: str) -> None:
    for i, code in enumerate(codes):
        x = 113.2 + i * 0.02
        ring = [[x, 23.1], [x + 0.01, 23.1], [x + 0.01, 23.11], [x, 23.11], [x, 23.1]]
        r = await client.post(
            "/api/gis/layers/communities/features",
            json={
                "type": "Feature",
                "id": f"fid-{code}",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"name": code, "code": code, "population": 900, "households": 300},
            },
        )
        assert r.status_code == 201, r.text


async def _rows(app: Any) -> int:
    async with app.state.services.store.session() as db:
        return int(await db.scalar(select(func.count()).select_from(KitDistribution)) or 0)


@pytest.mark.asyncio
async def test_good_import_summary_event_audit(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "coordinator")
    await _communities(client, "C1", "C2")
    seen: list[dict[str, Any]] = []
    sub, _ = app.state.services.bus.subscribe()
    csv_text = HEADER + (
        "C1,standard,10,2026-03-01,东山街道,113.205,23.105\n"
        "C1,elderly,3,2026-03-02,,,\n"
        "fid-C2,infant,5,2026/04/01,Red Cross,,\n"
        "C2,standard,7,2026-04-02,,,\n"
    )
    r = await client.post("/api/gis/kits/import", content=csv_text.encode())
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 4 and r.json()["skipped"] == 0
    while not sub.queue.empty():
        ev = sub.queue.get_nowait()
        if ev.type == "gis.kits.imported":
            seen.append(ev.data)
    assert seen == [{"community_codes": ["C1", "C2", "fid-C2"], "rows": 4}]
    summary = (await client.get("/api/gis/kits/summary")).json()
    by = {c["community_code"]: c for c in summary["communities"]}
    assert by["C1"]["total"] == 13 and by["C1"]["by_category"] == {"standard": 10, "elderly": 3}
    assert by["C2"]["total"] == 7 and by["fid-C2"]["last_date"] == "2026-04-01"
    assert summary["total"] == 25
    one = (await client.get("/api/gis/kits/summary", params={"community_code": "C1"})).json()
    assert [c["community_code"] for c in one["communities"]] == ["C1"]
    async with app.state.services.store.session() as db:
        row = await db.scalar(select(KitDistribution).where(KitDistribution.lon.is_not(None)))
        assert row is not None and row.unit == "东山街道" and row.lat == 23.105
        n = await db.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "gis.kits.import")
        )
    assert n == 1


@pytest.mark.asyncio
async def test_bad_rows_listed_nothing_stored_then_partial(
    client: httpx.AsyncClient, app: Any
) -> None:
    await login(client, "admin")
    await _communities(client, "C1")
    csv_text = HEADER + (
        "C1,standard,10,2026-03-01,,,\n"  # row 2: good
        "NOPE,standard,1,2026-03-01,,,\n"  # row 3
        "C1,toys,1,2026-03-01,,,\n"  # row 4
        "C1,standard,-2,2026-03-01,,,\n"  # row 5
        "C1,standard,2,2026-13-45,,,\n"  # row 6
        "C1,standard,2,2026-03-01,,200,23\n"  # row 7
        "C1,elderly,4,2026-03-03,,,\n"  # row 8: good
    )
    r = await client.post("/api/gis/kits/import", content=csv_text.encode())
    assert r.status_code == 422
    body = r.json()
    msgs = [e["msg"] for e in body["errors"]]
    assert msgs[0] == "row 3: community_code: unknown community 'NOPE'"
    assert any(m.startswith("row 4: category: unknown category 'toys'") for m in msgs)
    assert "row 5: quantity: must not be negative" in msgs
    assert any(m.startswith("row 6: date:") for m in msgs)
    assert any(m.startswith("row 7: lon:") for m in msgs)
    assert body["bad_rows"] == [3, 4, 5, 6, 7]
    assert body["errors"][0]["loc"] == "body.row[3].community_code"
    assert await _rows(app) == 0

    r = await client.post(
        "/api/gis/kits/import", params={"partial": "true"}, content=csv_text.encode()
    )
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["imported"] == 2 and rep["skipped"] == 5 and rep["skipped_rows"] == [3, 4, 5, 6, 7]
    assert len(rep["errors"]) == 5
    assert await _rows(app) == 2

    r = await client.post("/api/gis/kits/import", content=b"code,qty\nC1,1\n")
    assert r.status_code == 422
    assert {e["loc"] for e in r.json()["errors"]} >= {"body.header.community_code"}
    viewer = await new_client(app, "viewer")
    try:
        r = await viewer.post("/api/gis/kits/import", content=csv_text.encode())
        assert r.status_code == 403
    finally:
        await viewer.aclose()


@pytest.mark.asyncio
async def test_hundred_thousand_rows_import_in_chunks(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "coordinator")
    codes = [f"K{i}" for i in range(5)]
    await _communities(client, *codes)
    rnd = random.Random(5)
    lines = [HEADER]
    expected = 0
    for _ in range(100_000):
        q = rnd.randint(0, 9)
        expected += q
        lines.append(
            f"{rnd.choice(codes)},{rnd.choice(['standard', 'elderly'])},{q},2026-05-01,,,\n"
        )
    r = await client.post("/api/gis/kits/import", content="".join(lines).encode())
    assert r.status_code == 200, r.text[:500]
    assert r.json()["imported"] == 100_000
    summary = (await client.get("/api/gis/kits/summary")).json()
    assert summary["total"] == expected
