"""Grouped live views through the console: one offer for many cameras, each authorized,
audited and counted; closing the group releases every camera."""

from __future__ import annotations

import shutil
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from console.settings import Settings
from console.store.models import AuditEntry
from tests.conftest import login, new_client
from tests.paths import VIDEO
from tests.webrtc.test_group import GroupBrowser
from tests.webrtc.test_peers import until

pytestmark = pytest.mark.slow


@pytest.fixture
async def cameras(client: httpx.AsyncClient, settings: Settings) -> list[str]:
    """Two cameras shared with street-a (unit 4) and one that is not."""
    media = settings.data_dir / "media"
    media.mkdir(exist_ok=True)
    shutil.copyfile(VIDEO / "car-detection.mp4", media / "road.mp4")
    await login(client, "admin")
    for cid, shared in (("g-1", [4]), ("g-2", [4]), ("g-private", [])):
        r = await client.post(
            "/api/cameras",
            json={
                "id": cid,
                "name": cid,
                "owner_unit_id": 2,
                "shared_unit_ids": shared,
                "main_url": f"file://{media / 'road.mp4'}",
            },
        )
        assert r.status_code == 201, r.text
    return ["g-1", "g-2", "g-private"]


async def audit(app: Any, action: str) -> list[AuditEntry]:
    await app.state.services.audit.flush()
    async with app.state.services.store.session() as db:
        return list(await db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.mark.asyncio
async def test_group_plays_every_camera_and_closes_whole(app: Any, cameras: list[str]) -> None:
    viewer = await new_client(app, "viewer")
    manager = app.state.services.extensions["peers"]
    registry = app.state.services.extensions["camera_watching"].registry
    b = GroupBrowser(3)
    try:
        order = ["g-1", "g-2", "g-1"]
        r = await viewer.post(
            "/api/live/offer-group", json={"cameras": order, "sdp": await b.offer()}
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert [t["camera_id"] for t in body["tracks"]] == order
        assert {t["mode"] for t in body["tracks"]} == {"passthrough"}
        await b.answer(body["sdp"])
        await until(lambda: all(n > 10 for n in b.frames), timeout=20)
        listed = (await viewer.get("/api/live")).json()
        assert listed["groups"] == 1 and len(listed["items"]) == 3
        assert {i["group"] for i in listed["items"]} == {body["group_id"]}
        other = await new_client(app, "operator2")
        # Another unit's non-admin: the group is not theirs to see (404 like a missing one).
        assert (await other.delete(f"/api/live/groups/{body['group_id']}")).status_code == 404
        await other.aclose()
        r = await viewer.delete(f"/api/live/groups/{body['group_id']}")
        assert r.status_code == 204
        assert manager.viewers == {} and manager.groups == {}
        assert registry.get("g-1").consumers == 0 and registry.get("g-2").consumers == 0
        # Stopping again is not an error for its owner (idempotent); others still get 404.
        assert (await viewer.delete(f"/api/live/groups/{body['group_id']}")).status_code == 204
        assert (await viewer.delete("/api/live/groups/99999")).status_code == 404
    finally:
        await b.close()
        await viewer.aclose()
    starts = await audit(app, "live.start")
    assert sorted(a.target_id for a in starts if a.outcome == "success") == order_sorted()
    assert all(a.detail["group"] == body["group_id"] for a in starts)
    stops = await audit(app, "live.stop")
    assert len(stops) == 3 and {s.detail["closed_reason"] for s in stops} == {"stopped"}


def order_sorted() -> list[str]:
    return ["g-1", "g-1", "g-2"]


@pytest.mark.asyncio
async def test_forbidden_camera_refuses_the_group(app: Any, cameras: list[str]) -> None:
    viewer = await new_client(app, "viewer")
    manager = app.state.services.extensions["peers"]
    try:
        sdp = await GroupBrowser(2).offer()
        r = await viewer.post(
            "/api/live/offer-group", json={"cameras": ["g-1", "g-private"], "sdp": sdp}
        )
        # g-private is not shared with the viewer's unit: named as not found, not as forbidden.
        assert r.status_code == 404 and "g-private" in r.json()["detail"], r.text
        denied = [a for a in await audit(app, "live.view") if a.outcome == "denied"]
        assert [a.target_id for a in denied] == ["g-private"]
        assert manager.viewers == {}
        r = await viewer.post(
            "/api/live/offer-group", json={"cameras": ["g-1", "nope"], "sdp": sdp}
        )
        assert r.status_code == 404 and "nope" in r.json()["detail"]
        r = await viewer.post("/api/live/offer-group", json={"cameras": ["g-1"] * 65, "sdp": sdp})
        assert r.status_code == 422
        manager.limits.max_per_user = 1
        r = await viewer.post("/api/live/offer-group", json={"cameras": ["g-1", "g-2"], "sdp": sdp})
        assert r.status_code == 429 and r.json()["type"].endswith("too_many_for_user")
    finally:
        await viewer.aclose()
