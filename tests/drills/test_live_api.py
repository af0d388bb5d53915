"""Live drill mode: start, timeline rules, measures, observer notes on the bus, cameras."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from console.api.ws import may_see
from console.auth.policy import Principal, Role
from console.events import Event
from tests.conftest import login, new_client
from tests.drills.api import LAT0, LON0, TO_SCHEDULED, advance, create_drill, soon, start


def principal(unit: int, role: Role = Role.viewer) -> Principal:
    return Principal(
        user_id=99,
        username="p",
        unit_id=unit,
        unit_scope=frozenset({unit}),
        roles=frozenset({role}),
    )


def iso(minutes_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


async def live_drill(c: httpx.AsyncClient, drill_id: str = "live", **kw: Any) -> None:
    kw.setdefault("start", soon(-30))
    await create_drill(c, drill_id, **kw)
    await advance(c, drill_id, *TO_SCHEDULED)
    r = await start(c, drill_id)
    assert r.status_code == 200 and r.json()["status"] == "in_progress", r.text


@pytest.mark.asyncio
async def test_timeline_and_evacuation_time(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    await create_drill(client, "early")
    r = await client.post("/api/drills/early/timeline", json={"kind": "alarm_sounded"})
    assert r.status_code == 409  # not running yet
    r = await start(client, "early")
    assert r.status_code == 409 and "allowed: submitted, cancelled" in r.json()["detail"]
    await live_drill(client, expected_residents=200)
    for body in (
        {"kind": "alarm_sounded", "at": iso(20)},
        {"kind": "evacuation_started", "at": iso(19)},
        {"kind": "head_count", "at": iso(10), "count": 150},
        {"kind": "assembly_complete", "at": iso(7.5)},
        {"kind": "incident", "at": iso(9), "note": "老人摔倒，已处置"},
    ):
        r = await client.post("/api/drills/live/timeline", json=body)
        assert r.status_code == 201, r.text
    # Out of order, in the future, without a zone, head count without a number: all refused.
    for body, loc in (
        ({"kind": "all_clear", "at": iso(25)}, "body.at"),
        ({"kind": "note", "at": iso(-5), "note": "later"}, "body.at"),
        ({"kind": "note", "at": "2027-01-01T09:00:00", "note": "naive"}, "body.at"),
        ({"kind": "head_count"}, "body"),
    ):
        r = await client.post("/api/drills/live/timeline", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["errors"][0]["loc"].startswith(loc), r.text
    r = await client.post("/api/drills/live/timeline", json={"kind": "all_clear"})
    assert r.status_code == 201
    live = (await client.get("/api/drills/live/live")).json()
    assert live["status"] == "in_progress"
    assert [e["kind"] for e in live["timeline"]] == [
        "alarm_sounded",
        "evacuation_started",
        "head_count",
        "incident",
        "assembly_complete",
        "all_clear",
    ]
    m = live["measures"]
    assert abs(m["evacuation_seconds"] - 750) < 1
    assert (m["head_count"], m["participation_rate"], m["incidents"]) == (150, 0.75, 1)


@pytest.mark.asyncio
async def test_observer_note_reaches_participants_only(app: Any, client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    await live_drill(client, participating_units=["4"])
    bus = app.state.services.bus
    sub, _ = bus.subscribe()
    viewer = await new_client(app, "viewer")  # street-a (4): participating
    other = await new_client(app, "operator2", ip="10.0.0.3")  # street-b (5): not in the drill
    try:
        r = await viewer.post(
            "/api/drills/live/timeline", json={"kind": "note", "note": "出口拥堵"}
        )
        assert r.status_code == 201, r.text
        assert r.json()["author"] == "viewer"
        r = await viewer.post("/api/drills/live/timeline", json={"kind": "alarm_sounded"})
        assert r.status_code == 403  # observers only add notes
        r = await other.post("/api/drills/live/timeline", json={"kind": "note", "note": "x"})
        assert r.status_code == 404  # not in the drill: it does not exist for them
    finally:
        await viewer.aclose()
        await other.aclose()
    events: list[Event] = []
    while not sub.queue.empty():
        events.append(sub.queue.get_nowait())
    bus.unsubscribe(sub)
    (ev,) = [e for e in events if e.type == "drills.timeline.added"]
    assert ev.data["drill_id"] == "live" and ev.data["entry"]["note"] == "出口拥堵"
    assert may_see(principal(4), ev) and may_see(principal(3, Role.coordinator), ev)
    assert not may_see(principal(5, Role.operator), ev)


async def add_camera(c: httpx.AsyncClient, cid: str, lon: float, lat: float, **fov: float) -> None:
    body: dict[str, Any] = {
        "id": cid,
        "name": f"cam {cid}",
        "owner_unit_id": 3,
        "main_url": "rtsp://user:secret@127.0.0.1:9/x",
        "lon": lon,
        "lat": lat,
    }
    if fov:
        body["fov"] = fov
    r = await c.post("/api/cameras", json=body)
    assert r.status_code == 201, r.text


@pytest.mark.asyncio
async def test_live_cameras_cover_venue_and_routes(app: Any, client: httpx.AsyncClient) -> None:
    await login(client, "admin")
    x = LON0 + 0.01  # shelter S01 spans x..x+0.001, LAT0..LAT0+0.001; route R01 runs north
    await add_camera(
        client, "looks-at", x + 0.0005, LAT0 - 0.0005, bearing=0, angle=60, range_m=150
    )
    await add_camera(
        client, "looks-away", x + 0.0005, LAT0 - 0.0005, bearing=180, angle=60, range_m=150
    )
    await add_camera(client, "near-no-fov", x + 0.0005, LAT0 - 0.0012)  # ~130 m south
    await add_camera(client, "far-no-fov", x + 0.0005, LAT0 - 0.003)  # ~330 m south
    await add_camera(client, "on-route", x + 0.0003, LAT0 + 0.004, bearing=90, angle=40, range_m=60)
    await add_camera(client, "other-unit", x + 0.0005, LAT0 - 0.0005)
    r = await client.patch("/api/cameras/other-unit", json={"owner_unit_id": 5})
    assert r.status_code == 200, r.text
    coord = await new_client(app, "coordinator")
    try:
        await live_drill(coord, route_ids=["R01"])
        live = (await coord.get("/api/drills/live/live")).json()
    finally:
        await coord.aclose()
    cams = {c["id"]: c for c in live["cameras"]}
    assert set(cams) == {"looks-at", "near-no-fov", "on-route"}
    assert cams["looks-at"]["covers"] == ["venue"] and cams["on-route"]["covers"] == ["route:R01"]
    assert cams["looks-at"]["status"] == "unknown" and "secret" not in str(live)
