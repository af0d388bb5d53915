"""Compliance, overdue communities, readiness stats, reminders, change events and the demo."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from console.drills.demo import seed
from console.drills.models import DrillEventRow, DrillReportRow, DrillRow
from console.drills.reminders import tick
from console.drills.stats import community_drill_stats
from console.events import Event
from console.gis.models import Feature
from tests.conftest import login
from tests.drills.api import TO_SCHEDULED, advance, create_drill

START = datetime.fromisoformat("2027-05-12T09:00:00+08:00")


def drain(app: Any, sub: Any) -> list[Event]:
    out = []
    while not sub.queue.empty():
        out.append(sub.queue.get_nowait())
    app.state.services.bus.unsubscribe(sub)
    return out


@pytest.mark.asyncio
async def test_reminders_once_per_occurrence(app: Any, client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    await create_drill(client, "soon", participating_units=["4"])
    services = app.state.services
    assert await tick(services, START - timedelta(hours=23)) == []  # not scheduled yet
    await advance(client, "soon", *TO_SCHEDULED)
    sub, _ = services.bus.subscribe()
    got = await tick(services, START - timedelta(hours=23))
    assert [(g["drill_id"], g["lead"], g["start"]) for g in got] == [
        ("soon", "24h", START.isoformat())
    ]
    assert await tick(services, START - timedelta(hours=22)) == []
    assert [g["lead"] for g in await tick(services, START - timedelta(minutes=30))] == ["1h"]
    assert await tick(services, START - timedelta(minutes=10)) == []
    events = [e for e in drain(app, sub) if e.type == "drills.reminder"]
    assert [e.data["lead"] for e in events] == ["24h", "1h"]
    assert events[0].audience.unit_ids == frozenset({3, 4})


@pytest.mark.asyncio
async def test_status_change_published_for_readiness(app: Any, client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    await create_drill(client, "x", community_ids=["C02", "comm-3"])
    sub, _ = app.state.services.bus.subscribe()
    await advance(client, "x", "submitted", "cancelled")
    changed = [e.data for e in drain(app, sub) if e.type == "drills.drill.changed"]
    assert changed == [
        {"id": "x", "status": "submitted", "community_ids": ["C02", "comm-3"]},
        {"id": "x", "status": "cancelled", "community_ids": ["C02", "comm-3"]},
    ]


async def count(app: Any, model: Any) -> int:
    async with app.state.services.store.session() as db:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.asyncio
async def test_demo_compliance_and_stats(app: Any, client: httpx.AsyncClient) -> None:
    services = app.state.services
    await seed(services)
    n = await count(app, DrillRow)
    await seed(services)  # idempotent
    assert n == await count(app, DrillRow) == 6
    assert await count(app, DrillEventRow) == 18 and await count(app, DrillReportRow) == 2
    await login(client, "coordinator")
    drills = {d["id"]: d for d in (await client.get("/api/drills")).json()["items"]}
    assert (
        drills["demo-past-1"]["status"] == "reviewed"
        and drills["demo-next-1"]["status"] == "scheduled"
    )
    # The conflict to resolve: two drills at one shelter at the same time.
    r = await client.get("/api/drills/demo-next-2/conflicts")
    assert [(c["kind"], c["other_drill_id"]) for c in r.json()["conflicts"]] == [
        ("venue", "demo-next-1")
    ]
    live = (await client.get("/api/drills/demo-past-1/live")).json()
    assert live["measures"]["evacuation_seconds"] == 11.5 * 60
    overdue = (await client.get("/api/drills/actions", params={"overdue": "true"})).json()
    assert [(a["drill_id"], a["id"]) for a in overdue["items"]] == [("demo-past-1", "a1")]
    # C04 drilled 420 days ago: overdue since its drill plus a year; C05.. never drilled.
    r = await client.get("/api/drills/overdue")
    rows = {i["community_id"]: i for i in r.json()["items"]}
    assert "C01" not in rows and "C02" not in rows
    assert rows["C04"]["last_drill"] is not None and rows["C04"]["overdue_since"] is not None
    assert rows["C05"]["last_drill"] is None and rows["C05"]["name"] == "社区5"
    assert list(rows)[-1] == "C04"  # never-drilled communities come first
    r = await client.get("/api/drills/compliance")
    comp = {i["community_id"]: i for i in r.json()["items"]}
    assert len(comp) == 9
    assert comp["C01"]["compliant"] and comp["C01"]["drills_held"] == 1
    assert not comp["C04"]["compliant"] and comp["C04"]["drills_past_12_months"] == 0
    r = await client.get("/api/drills/compliance", params={"year": 2020})
    assert r.json()["as_of"] == "2020-12-31"
    assert not any(i["compliant"] for i in r.json()["items"])
    async with services.store.session() as db:
        stats = await community_drill_stats(db, datetime.now(UTC))
    today = datetime.now(UTC).date()
    c1, c2, c4 = stats["C01"], stats["C02"], stats["C04"]
    assert c1.drills_12m == 1 and (today - (c1.last_drill or date.min)).days in (59, 60, 61)
    assert (c1.open_actions, c1.overdue_actions) == (2, 1)
    assert (c2.drills_12m, c2.open_actions, c2.overdue_actions) == (1, 2, 0)  # tabletop: not held
    assert c4.drills_12m == 0 and c4.last_drill is not None
    assert stats["C09"].last_drill is None and stats["C09"].drills_12m == 0


@pytest.mark.asyncio
async def test_demo_without_gis_layers_adds_its_own(app: Any) -> None:
    services = app.state.services
    async with services.store.session() as db:
        await db.execute(update(Feature).values(deleted=True))
        await db.commit()
    await seed(services)
    async with services.store.session() as db:
        rows = list(await db.scalars(select(DrillRow).order_by(DrillRow.id)))
        live = await db.scalars(select(Feature.fid).where(Feature.deleted.is_(False)))
        fids = set(live)
    assert len(rows) == 6 and {"DS01", "SH01", "RT01", "TM01"} <= fids
    assert all(set(r.plan["community_ids"]) <= fids for r in rows)
