"""Live-view signalling through the console: authorization, audit, limits, bad offers."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
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


@pytest.fixture
async def camera(client: httpx.AsyncClient, settings: Settings) -> str:
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
            "shared_unit_ids": [4],
            "main_url": f"file://{media / 'road.mp4'}",
        },
    )
    assert r.status_code == 201, r.text
    return "road-1"


async def audit(app: Any, action: str) -> list[AuditEntry]:
    await app.state.services.audit.flush()
    async with app.state.services.store.session() as db:
        return list(await db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.mark.asyncio
async def test_live_view_plays_and_is_audited(app: Any, camera: str) -> None:
    viewer = await new_client(app, "viewer")  # street-a: the camera is shared with it
    b = Browser()
    try:
        r = await viewer.post(f"/api/live/{camera}/offer", json={"sdp": await b.offer()})
        assert r.status_code == 201, r.text
        body = r.json()
        assert (
            body["type"] == "answer" and body["mode"] == "passthrough" and body["stream"] == "main"
        )
        await b.answer(body["sdp"])
        await until(lambda: b.frames > 10, timeout=15)
        admin = await new_client(app, "admin")
        metrics = (await admin.get("/metrics")).text
        await admin.aclose()
        assert "eoc_live_viewers 1.0" in metrics
        listed = (await viewer.get("/api/live")).json()
        assert [i["camera_id"] for i in listed["items"]] == [camera] and listed["items"][0][
            "connected"
        ]
        assert (await viewer.delete(f"/api/live/{body['viewer_id']}")).status_code == 204
    finally:
        await b.close()
        await viewer.aclose()
    starts = await audit(app, "live.start")
    assert [(a.actor, a.target_id, a.outcome) for a in starts] == [("viewer", camera, "success")]
    await until(lambda: True)
    stops = await audit(app, "live.stop")
    assert stops and stops[0].actor == "viewer" and stops[0].detail["seconds"] > 0
    assert stops[0].unit_id == 4


@pytest.mark.asyncio
async def test_other_unit_forbidden_and_bad_offers(app: Any, camera: str) -> None:
    other = await new_client(app, "operator2")
    viewer = await new_client(app, "viewer")
    try:
        r = await other.post(f"/api/live/{camera}/offer", json={"sdp": "v=0\r\nm=video 9 x\r\n"})
        assert r.status_code == 404  # not shared with street-b: as if it did not exist
        denied = [a for a in await audit(app, "live.view") if a.outcome == "denied"]
        assert denied and denied[0].actor == "operator2" and denied[0].target_id == camera
        for sdp, code, status in (
            ("garbage", "bad_sdp", 422),
            ("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n", "no_video", 422),
        ):
            r = await viewer.post(f"/api/live/{camera}/offer", json={"sdp": sdp})
            assert r.status_code == status and r.json()["type"].endswith(code), r.text
        r = await viewer.post(f"/api/live/{camera}/offer", json={"sdp": "v=0" + "x" * 70000})
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "body.sdp"
        assert (await viewer.post("/api/live/nope/offer", json={"sdp": "v=0"})).status_code == 404
        assert (await viewer.delete("/api/live/999")).status_code == 404
    finally:
        await other.aclose()
        await viewer.aclose()
    await asyncio.sleep(0)


@pytest.mark.asyncio
async def test_mjpeg_fallback_streams_jpegs(data_dir: Path) -> None:
    import uvicorn
    from asgi_lifespan import LifespanManager

    from console.app import create_app
    from tests.conftest import free_port, make_settings

    media = data_dir / "media"
    media.mkdir(exist_ok=True)
    shutil.copyfile(VIDEO / "bottle-detection.mp4", media / "b.mp4")
    app = create_app(make_settings(data_dir))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    async with LifespanManager(app):
        task = asyncio.create_task(server.serve())
        try:
            while not server.started:
                await asyncio.sleep(0.02)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=20) as c:
                await login(c, "admin")
                r = await c.post(
                    "/api/cameras",
                    json={
                        "id": "wh",
                        "name": "仓库",
                        "owner_unit_id": 3,
                        "main_url": f"file://{media / 'b.mp4'}",
                    },
                )
                assert r.status_code == 201
                other = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}")
                await login(other, "operator2")
                assert (await other.get("/api/live/wh/mjpeg")).status_code == 404
                await other.aclose()
                parts = 0
                async with c.stream("GET", "/api/live/wh/mjpeg", params={"fps": 5}) as resp:
                    assert resp.headers["content-type"].startswith("multipart/x-mixed-replace")
                    buf = b""
                    async for chunk in resp.aiter_bytes():
                        buf += chunk
                        parts = buf.count(b"Content-Type: image/jpeg\r\n")
                        if parts >= 3:
                            break
                assert parts >= 3 and b"\xff\xd8" in buf
                for _ in range(100):  # the server notices the disconnect and audits the stop
                    items = (await c.get("/api/audit", params={"action": "live.stop"})).json()[
                        "items"
                    ]
                    if items:
                        break
                    await asyncio.sleep(0.1)
                assert items and items[0]["detail"]["mode"] == "mjpeg"
        finally:
            server.should_exit = True
            await task
