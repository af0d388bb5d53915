"""Stopping a live view is idempotent: a tile whose peer closed first (the server ended the view
on its own, before the stop arrived) gets 204, not 404; a view that never existed, or someone
else's, is still 404; the stop is audited once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from console.store.models import AuditEntry
from tests.conftest import new_client
from tests.live.test_live_api import camera  # noqa: F401  (fixture)
from tests.webrtc.test_peers import Browser, until

pytestmark = pytest.mark.slow


async def stops(app: Any, viewer_id: int) -> list[AuditEntry]:
    await app.state.services.audit.flush()
    async with app.state.services.store.session() as db:
        rows = await db.scalars(select(AuditEntry).where(AuditEntry.action == "live.stop"))
        return [r for r in rows if (r.detail or {}).get("viewer_id") == viewer_id]


async def play(client: Any, camera_id: str) -> tuple[Browser, int]:
    b = Browser()
    r = await client.post(f"/api/live/{camera_id}/offer", json={"sdp": await b.offer()})
    assert r.status_code == 201, r.text
    await b.answer(r.json()["sdp"])
    await until(lambda: b.frames > 3, timeout=20)
    return b, int(r.json()["viewer_id"])


@pytest.mark.asyncio
async def test_stop_after_the_peer_closed_answers_204(app: Any, camera: str) -> None:  # noqa: F811
    manager = app.state.services.extensions["peers"]
    viewer = await new_client(app, "viewer")
    other = await new_client(app, "operator2")
    admin = await new_client(app, "admin")
    try:
        # A tile stop as browsers did it: close the peer, then ask the server to stop.
        b, vid = await play(viewer, camera)
        await b.close()
        await until(lambda: vid not in manager.viewers, timeout=20)
        assert (await viewer.delete(f"/api/live/{vid}")).status_code == 204
        assert (await viewer.delete(f"/api/live/{vid}")).status_code == 204  # again: still fine
        # Someone else's ended view, and an id that never existed: 404 alike.
        assert (await other.delete(f"/api/live/{vid}")).status_code == 404
        assert (await viewer.delete("/api/live/987654")).status_code == 404
        await until(lambda: len(manager.gone) > 0)
        assert [s.detail["closed_reason"] for s in await stops(app, vid)] in (
            ["closed"],
            ["failed"],
        )

        # A live view of someone else: 404 for a non-admin (not revealed), 204 for an admin,
        # then 204 for its owner whose tile stops afterwards.
        b2, vid2 = await play(viewer, camera)
        try:
            assert (await other.delete(f"/api/live/{vid2}")).status_code == 404
            assert vid2 in manager.viewers
            assert (await admin.delete(f"/api/live/{vid2}")).status_code == 204
            assert vid2 not in manager.viewers
            assert (await viewer.delete(f"/api/live/{vid2}")).status_code == 204
        finally:
            await b2.close()
        assert [s.detail["closed_reason"] for s in await stops(app, vid2)] == ["stopped"]
    finally:
        for c in (viewer, other, admin):
            await c.aclose()
