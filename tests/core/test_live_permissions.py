"""Live permissions: a change of roles, unit, unit tree or sharing reaches open websockets at
once, and unit calendar feeds die with their owner's membership."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from asgi_lifespan import LifespanManager

from console.app import create_app
from console.events import Audience
from console.events.bus import EVERYONE
from tests.conftest import free_port, make_settings, new_client
from tests.core.test_events import next_of, session_cookie


@pytest.fixture
async def server(data_dir: Path) -> AsyncIterator[tuple[str, Any]]:
    """The whole app served by uvicorn in this event loop."""
    app = create_app(make_settings(data_dir))
    port = free_port()
    srv = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    async with LifespanManager(app):
        task = asyncio.create_task(srv.serve())
        while not srv.started:
            await asyncio.sleep(0.02)
        try:
            yield f"127.0.0.1:{port}", app
        finally:
            srv.should_exit = True
            await task


async def admin_client(base: str) -> httpx.AsyncClient:
    cookie, csrf = await session_cookie(base, "admin")
    return httpx.AsyncClient(
        base_url=f"http://{base}", headers={"Cookie": cookie, "X-CSRF-Token": csrf}
    )


async def seen_until_marker(ws: Any, app: Any) -> list[dict[str, Any]]:
    """Every message the socket gets before a marker event published to everyone now."""
    # Refusals and failed logins reach the audit through its writer's queue: drain it first.
    await app.state.services.audit.flush()
    await app.state.services.bus.publish("test.marker", {}, audience=EVERYONE)
    got: list[dict[str, Any]] = []
    async with asyncio.timeout(10):
        while True:
            msg = json.loads(await ws.recv())
            if msg["type"] == "test.marker":
                return got
            got.append(msg)


async def connect(base: str, username: str, password: str = "demo-pass-2026") -> Any:
    cookie, _ = await session_cookie(base, username, password)
    ws = await websockets.connect(f"ws://{base}/ws", additional_headers={"Cookie": cookie})
    await next_of(ws, "hello")
    return ws


@pytest.mark.asyncio
async def test_moving_a_user_rescopes_their_socket(server: tuple[str, Any]) -> None:
    base, app = server
    bus = app.state.services.bus
    ws = await connect(base, "viewer")  # street-a
    admin = await admin_client(base)
    try:
        await bus.publish("cam.ping", {"n": 1}, audience=Audience("cameras.read", frozenset({5})))
        assert [m["type"] for m in await seen_until_marker(ws, app)] == []
        r = await admin.patch("/api/users/5", json={"unit_id": 5})
        assert r.status_code == 200
        changed = await next_of(ws, "session.changed")
        assert changed["data"]["unit_id"] == 5
        await bus.publish("cam.ping", {"n": 2}, audience=Audience("cameras.read", frozenset({5})))
        await bus.publish("cam.ping", {"n": 3}, audience=Audience("cameras.read", frozenset({4})))
        got = [m["data"]["n"] for m in await seen_until_marker(ws, app) if m["type"] == "cam.ping"]
        assert got == [2]
    finally:
        await ws.close()
        await admin.aclose()


@pytest.mark.asyncio
async def test_a_role_change_reaches_the_socket_at_once(server: tuple[str, Any]) -> None:
    base, app = server
    bus = app.state.services.bus
    ws = await connect(base, "viewer")
    admin = await admin_client(base)
    try:
        await bus.publish("alert.ping", {"n": 1}, audience=Audience("health.read"))
        assert await seen_until_marker(ws, app) == []
        r = await admin.patch("/api/users/5", json={"roles": ["operator"]})
        assert r.status_code == 200
        changed = await next_of(ws, "session.changed")
        assert changed["data"]["roles"] == ["operator"]
        assert "health.read" in changed["data"]["permissions"]
        await bus.publish("alert.ping", {"n": 2}, audience=Audience("health.read"))
        assert [m["data"].get("n") for m in await seen_until_marker(ws, app)] == [2]
        # And back: the stale right goes as fast as it came.
        r = await admin.patch("/api/users/5", json={"roles": ["viewer"]})
        await next_of(ws, "session.changed")
        await bus.publish("alert.ping", {"n": 3}, audience=Audience("health.read"))
        assert await seen_until_marker(ws, app) == []
    finally:
        await ws.close()
        await admin.aclose()


@pytest.mark.asyncio
async def test_moving_a_unit_rescopes_the_units_above(server: tuple[str, Any]) -> None:
    base, app = server
    bus = app.state.services.bus
    await_ws = await connect(base, "viewer")  # street-a (4)
    admin = await admin_client(base)
    try:
        r = await admin.patch("/api/units/5", json={"parent_id": 4})  # street-b below street-a
        assert r.status_code == 200
        await next_of(await_ws, "session.changed")
        await bus.publish("cam.ping", {"n": 1}, audience=Audience("cameras.read", frozenset({5})))
        got = await seen_until_marker(await_ws, app)
        assert [m["data"]["n"] for m in got if m["type"] == "cam.ping"] == [1]
    finally:
        await await_ws.close()
        await admin.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize("change", ["reset", "disable"])
async def test_socket_closed_when_credentials_go(server: tuple[str, Any], change: str) -> None:
    base, _ = server
    ws = await connect(base, "viewer")
    admin = await admin_client(base)
    try:
        if change == "reset":
            r = await admin.post("/api/users/5/password", json={"password": "fresh-harbour-77"})
        else:
            r = await admin.patch("/api/users/5", json={"disabled": True})
        assert r.status_code in (200, 204)
        with pytest.raises(websockets.ConnectionClosed) as info:
            async with asyncio.timeout(5):
                while True:
                    await ws.recv()
        assert info.value.rcvd is not None and info.value.rcvd.code == 4401
    finally:
        await admin.aclose()


@pytest.mark.asyncio
async def test_audit_events_reach_the_admins_of_the_actors_unit(server: tuple[str, Any]) -> None:
    base, app = server
    admin = await admin_client(base)
    r = await admin.post(
        "/api/users",
        json={
            "username": "a-admin",
            "password": "unit-admin-pass-2026",
            "unit_id": 4,
            "roles": ["admin"],
        },
    )
    assert r.status_code == 201
    street = await connect(base, "a-admin", "unit-admin-pass-2026")
    district = await connect(base, "admin")
    try:
        r = await admin.post("/api/units", json={"code": "street-c", "name": "C", "parent_id": 1})
        assert r.status_code == 201
        await session_cookie(base, "viewer")  # a street-a sign-in
        async with httpx.AsyncClient(base_url=f"http://{base}") as anon:
            await anon.post("/api/auth/login", json={"username": "ghost", "password": "x-x"})
        seen = [
            (m["data"]["actor"], m["data"]["action"])
            for m in await seen_until_marker(street, app)
            if m["type"] == "audit.appended"
        ]
        assert seen == [("viewer", "auth.login")]
        everything = [
            (m["data"]["actor"], m["data"]["action"])
            for m in await seen_until_marker(district, app)
            if m["type"] == "audit.appended"
        ]
        assert {("admin", "unit.create"), ("viewer", "auth.login"), ("ghost", "auth.login")} <= set(
            everything
        )
    finally:
        await street.close()
        await district.close()
        await admin.aclose()


@pytest.mark.asyncio
async def test_units_that_lose_a_camera_are_told(server: tuple[str, Any]) -> None:
    base, app = server
    admin = await admin_client(base)
    r = await admin.post(
        "/api/cameras",
        json={
            "id": "shared-cam",
            "name": "东山口",
            "owner_unit_id": 4,
            "shared_unit_ids": [5],
            "main_url": "rtsp://127.0.0.1:9/x",
        },
    )
    assert r.status_code == 201
    b = await connect(base, "operator2")  # street-b: loses it
    a = await connect(base, "viewer")  # street-a: owns it
    try:
        r = await admin.patch("/api/cameras/shared-cam", json={"shared_unit_ids": []})
        assert r.status_code == 200
        assert [(m["type"], m["data"].get("id")) for m in await seen_until_marker(b, app)] == [
            ("camera.revoked", "shared-cam")
        ]
        assert [m["type"] for m in await seen_until_marker(a, app)] == ["camera.updated"]
    finally:
        await a.close()
        await b.close()
        await admin.aclose()


@pytest.mark.asyncio
async def test_unit_feed_dies_when_its_owner_leaves_the_unit(
    client: httpx.AsyncClient, app: Any
) -> None:
    viewer = await new_client(app, "viewer")
    admin = await new_client(app, "admin")
    try:
        r = await viewer.post("/api/drills/feeds", json={"scope": "unit", "unit_id": 4})
        assert r.status_code == 201, r.text
        unit_feed = r.json()["url"]
        r = await viewer.post("/api/drills/feeds", json={"scope": "user"})
        user_feed = r.json()["url"]
        assert (await client.get(unit_feed)).status_code == 200
        assert (await admin.patch("/api/users/5", json={"unit_id": 5})).status_code == 200
        assert (await client.get(unit_feed)).status_code == 404
        assert (await client.get(user_feed)).status_code == 200  # follows the user
        # Coming back does not revive it: the feed was revoked, and the log says why.
        assert (await admin.patch("/api/users/5", json={"unit_id": 4})).status_code == 200
        assert (await client.get(unit_feed)).status_code == 404
        rows = (await admin.get("/api/audit", params={"action": "drill.feed.revoke"})).json()
        assert rows["items"][0]["detail"]["reason"] == "the owner no longer belongs to the unit"
        feeds = (await viewer.get("/api/drills/feeds")).json()["items"]
        assert [f["revoked"] for f in feeds if f["scope"] == "unit"] == [True]
    finally:
        await viewer.aclose()
        await admin.aclose()
