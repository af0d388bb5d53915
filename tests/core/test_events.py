"""The event bus and /ws: filtering per user, slow clients dropped, resume by id."""

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
from console.events import Audience, InProcessBus
from tests.conftest import free_port, make_settings


@pytest.mark.asyncio
async def test_bus_replay_resync_and_slow_subscriber() -> None:
    bus = InProcessBus(replay=4)
    for i in range(6):
        await bus.publish("t", {"i": i})
    sub, complete = bus.subscribe(since=3)
    assert complete
    assert [(await sub.get()).data["i"] for _ in range(3)] == [3, 4, 5]  # type: ignore[union-attr]
    _, complete = bus.subscribe(since=0)
    assert not complete  # events 1 and 2 are gone: the client must resync
    slow, _ = bus.subscribe(maxsize=2)
    fast, _ = bus.subscribe(maxsize=100)
    for i in range(10):
        await bus.publish("t", {"i": i})
    assert slow.dropped.is_set() and await slow.get() is None
    assert fast.queue.qsize() == 10


@pytest.fixture
async def live_app(data_dir: Path) -> AsyncIterator[tuple[str, Any]]:
    """The app served by uvicorn in this event loop; yields its base URL."""
    settings = make_settings(data_dir, events={"client_queue": 8})
    app = create_app(settings, modules=[])
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    async with LifespanManager(app):
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        try:
            yield f"127.0.0.1:{port}", app
        finally:
            server.should_exit = True
            await task


async def session_cookie(
    base: str, username: str, password: str = "demo-pass-2026"
) -> tuple[str, str]:
    async with httpx.AsyncClient(base_url=f"http://{base}") as c:
        r = await c.post("/api/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        return f"eoc_session={c.cookies['eoc_session']}", r.json()["csrf_token"]


async def next_of(ws: Any, type_: str, timeout: float = 5) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            msg = json.loads(await ws.recv())
            if msg["type"] == type_:
                return msg  # type: ignore[no-any-return]


@pytest.fixture
def live(live_app: tuple[str, Any]) -> str:
    return live_app[0]


@pytest.mark.asyncio
async def test_ws_requires_login(live: str) -> None:
    async with websockets.connect(f"ws://{live}/ws") as ws:
        with pytest.raises(websockets.ConnectionClosed) as info:
            await ws.recv()
    assert info.value.rcvd is not None and info.value.rcvd.code == 4401


@pytest.mark.asyncio
async def test_ws_events_filtered_by_role_and_unit(live: str) -> None:
    admin_cookie, csrf = await session_cookie(live, "admin")
    viewer_cookie, _ = await session_cookie(live, "viewer")
    async with (
        websockets.connect(
            f"ws://{live}/ws", additional_headers={"Cookie": admin_cookie}
        ) as admin_ws,
        websockets.connect(
            f"ws://{live}/ws", additional_headers={"Cookie": viewer_cookie}
        ) as viewer_ws,
    ):
        assert (await next_of(admin_ws, "hello"))["data"]["user"] == "admin"
        await next_of(viewer_ws, "hello")
        async with httpx.AsyncClient(
            base_url=f"http://{live}", headers={"Cookie": admin_cookie, "X-CSRF-Token": csrf}
        ) as c:
            r = await c.post(
                "/api/users",
                json={
                    "username": "ws-user",
                    "password": "long-enough-1",
                    "unit_id": 4,
                    "roles": ["viewer"],
                },
            )
            assert r.status_code == 201
            r = await c.post("/api/units", json={"code": "ws-unit", "name": "WS", "parent_id": 4})
            assert r.status_code == 201
        created = await next_of(admin_ws, "user.created")
        assert created["v"] == 1 and created["data"]["username"] == "ws-user"
        # The viewer may see units but not users or the audit trail.
        seen = await next_of(viewer_ws, "unit.created")
        assert seen["data"]["code"] == "ws-unit" and seen["id"] > created["id"]
        await viewer_ws.send(json.dumps({"type": "ping"}))
        while True:
            msg = json.loads(await asyncio.wait_for(viewer_ws.recv(), 5))
            assert msg["type"] not in {"user.created", "audit.appended"}
            if msg["type"] == "pong":
                break


@pytest.mark.asyncio
async def test_slow_client_dropped_and_resumes(live_app: tuple[str, Any]) -> None:
    live, app = live_app
    cookie, _ = await session_cookie(live, "admin")
    async with websockets.connect(f"ws://{live}/ws", additional_headers={"Cookie": cookie}) as ws:
        hello = await next_of(ws, "hello")
        bus: InProcessBus = app.state.services.bus
        # Publishing never waits for a client: 50 events land before the socket task runs.
        for i in range(50):
            await bus.publish("drill.tick", {"i": i}, audience=Audience())
        with pytest.raises(websockets.ConnectionClosed) as info:
            while True:
                await asyncio.wait_for(ws.recv(), 5)
        assert info.value.rcvd is not None and info.value.rcvd.code == 4008
    async with websockets.connect(
        f"ws://{live}/ws?since={hello['id'] + 40}", additional_headers={"Cookie": cookie}
    ) as ws:
        assert (await next_of(ws, "hello"))["data"]["resumed"] is True
        got = [(await next_of(ws, "drill.tick"))["data"]["i"] for _ in range(10)]
        assert got == list(range(40, 50))


@pytest.mark.asyncio
async def test_ws_closed_when_session_revoked(
    live_app: tuple[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.api import ws as ws_module

    monkeypatch.setattr(ws_module, "RECHECK_S", 0.2)
    live = live_app[0]
    cookie, csrf = await session_cookie(live, "viewer")
    async with websockets.connect(f"ws://{live}/ws", additional_headers={"Cookie": cookie}) as ws:
        await next_of(ws, "hello")
        async with httpx.AsyncClient(
            base_url=f"http://{live}", headers={"Cookie": cookie, "X-CSRF-Token": csrf}
        ) as c:
            assert (await c.post("/api/auth/logout")).status_code == 204
        with pytest.raises(websockets.ConnectionClosed) as info:
            while True:
                await asyncio.wait_for(ws.recv(), 5)
        assert info.value.rcvd is not None and info.value.rcvd.code == 4401
