"""Live views follow access: unit admins see and stop their subtree's views only, and a view
stops at once when its user may no longer watch the camera."""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from console.settings import Settings
from console.store.models import AuditEntry
from tests.conftest import login, new_client
from tests.paths import VIDEO
from tests.webrtc.test_peers import Browser, until

pytestmark = pytest.mark.slow
PW = "unit-admin-pass-2026"


@pytest.fixture
async def camera(client: httpx.AsyncClient, settings: Settings) -> str:
    """A psb camera shared with street-a and street-b, playing a real clip."""
    media = settings.data_dir / "media"
    media.mkdir(exist_ok=True)
    shutil.copyfile(VIDEO / "car-detection.mp4", media / "road.mp4")
    await login(client, "admin")
    r = await client.post(
        "/api/cameras",
        json={
            "id": "road-1",
            "name": "北京路",
            "owner_unit_id": 2,
            "shared_unit_ids": [4, 5],
            "main_url": f"file://{media / 'road.mp4'}",
        },
    )
    assert r.status_code == 201, r.text
    for name, unit in (("a-admin", 4), ("b-admin", 5)):
        r = await client.post(
            "/api/users",
            json={"username": name, "password": PW, "unit_id": unit, "roles": ["admin"]},
        )
        assert r.status_code == 201, r.text
    return "road-1"


async def watch(app: Any, client: httpx.AsyncClient, camera: str) -> tuple[Browser, int]:
    """A real WebRTC view of the camera by the client's user, playing."""
    b = Browser()
    r = await client.post(f"/api/live/{camera}/offer", json={"sdp": await b.offer()})
    assert r.status_code == 201, r.text
    await b.answer(r.json()["sdp"])
    await until(lambda: b.frames > 5, timeout=20)
    return b, int(r.json()["viewer_id"])


async def stops(app: Any) -> list[AuditEntry]:
    await app.state.services.audit.flush()
    async with app.state.services.store.session() as db:
        q = select(AuditEntry).where(AuditEntry.action == "live.stop")
        return list(await db.scalars(q.order_by(AuditEntry.id)))


@pytest.mark.asyncio
async def test_unit_admins_manage_their_subtrees_views(
    app: Any, client: httpx.AsyncClient, camera: str
) -> None:
    viewer = await new_client(app, "viewer")  # street-a
    a_admin = await new_client(app, "a-admin", password=PW)
    b_admin = await new_client(app, "b-admin", password=PW)
    b, viewer_id = await watch(app, viewer, camera)
    try:
        assert (await b_admin.get("/api/live")).json()["items"] == []
        hidden = await b_admin.delete(f"/api/live/{viewer_id}")
        missing = await b_admin.delete("/api/live/987654")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.text.replace(str(viewer_id), "X") == missing.text.replace("987654", "X")
        assert app.state.services.extensions["peers"].viewers.keys() == {viewer_id}
        listed = (await a_admin.get("/api/live")).json()["items"]
        assert [i["viewer_id"] for i in listed] == [viewer_id]
        assert [i["viewer_id"] for i in (await client.get("/api/live")).json()["items"]] == [
            viewer_id
        ]
        assert (await a_admin.delete(f"/api/live/{viewer_id}")).status_code == 204
        await until(lambda: not app.state.services.extensions["peers"].viewers, timeout=10)
    finally:
        await b.close()
        for c in (viewer, a_admin, b_admin):
            await c.aclose()
    await app.state.services.audit.flush()
    async with app.state.services.store.session() as db:
        denied = list(
            await db.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "live.manage", AuditEntry.outcome == "denied"
                )
            )
        )
    assert [d.actor for d in denied] == ["b-admin", "b-admin"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "change",
    [
        ("PATCH", "/api/cameras/road-1", {"shared_unit_ids": [5]}),
        ("PATCH", "/api/users/5", {"unit_id": 3}),
        ("PATCH", "/api/users/5", {"disabled": True}),
        ("POST", "/api/users/5/password", {"password": "fresh-harbour-77"}),
    ],
    ids=["unshared", "moved", "disabled", "reset"],
)
async def test_view_stops_when_access_goes(
    app: Any, client: httpx.AsyncClient, camera: str, change: tuple[str, str, dict[str, Any]]
) -> None:
    viewer = await new_client(app, "viewer")
    operator2 = await new_client(app, "operator2")  # street-b keeps its share throughout
    b, viewer_id = await watch(app, viewer, camera)
    keep, keep_id = await watch(app, operator2, camera)
    peers = app.state.services.extensions["peers"]
    try:
        method, path, body = change
        r = await client.request(method, path, json=body)
        assert r.status_code in (200, 204), r.text
        await until(lambda: viewer_id not in peers.viewers, timeout=10)
        assert keep_id in peers.viewers
    finally:
        await b.close()
        await keep.close()
        await viewer.aclose()
        await operator2.aclose()
    closed: list[AuditEntry] = []
    for _ in range(100):  # the closing audit row is written as the peer goes
        closed = [s for s in await stops(app) if s.detail.get("viewer_id") == viewer_id]
        if closed:
            break
        await asyncio.sleep(0.1)
    assert closed and closed[0].detail["closed_reason"] == "access revoked"
