"""The console watching a real RTSP camera: status, alert on drop, recovery, snapshot."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from console.app import create_app
from tests.conftest import login, make_settings
from tests.paths import VIDEO
from tests.peers.fixtures import RtspPeer

pytestmark = pytest.mark.slow


async def poll(
    client: httpx.AsyncClient, cam: str, want: str, timeout: float = 20
) -> dict[str, Any]:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        rows = (await client.get("/api/health/cameras")).json()["items"]
        row = next(r for r in rows if r["camera_id"] == cam)
        if row["status"] == want:
            return row
        await asyncio.sleep(0.25)
    raise AssertionError(f"{cam} never became {want}: {row}")


@pytest.mark.asyncio
async def test_console_watches_real_camera(data_dir: Path, rtsp_peer: type[RtspPeer]) -> None:
    peer = rtsp_peer({"gate": str(VIDEO / "bottle-detection.mp4")}).start()
    settings = make_settings(
        data_dir,
        streams={
            "watch": True,
            "open_timeout_s": 2.0,
            "offline_after_s": 3.0,
            "diagnose_every_s": 0,
        },
    )
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await login(client, "admin")
            r = await client.post(
                "/api/cameras",
                json={
                    "id": "gate-1",
                    "name": "物资仓库门口",
                    "owner_unit_id": 3,
                    "main_url": peer.url("gate", "svc:topsecret"),
                    "watch_mode": "continuous",
                },
            )
            assert r.status_code == 201 and "topsecret" not in r.text
            # Watched at once, and "learning" (not "ok") until it knows its view.
            row = await poll(client, "gate-1", "learning")
            assert row["metrics"]["codec"] == "h264" and row["metrics"]["b_frames"] is True
            # The camera joins mid-GOP: its picture comes with the first keyframe (GOP 8.4 s).
            for _ in range(120):
                snap = await client.get("/api/cameras/gate-1/snapshot.jpg")
                if snap.status_code != 404:
                    break
                await asyncio.sleep(0.1)
            assert snap.status_code == 200 and snap.content[:2] == b"\xff\xd8"
            peer.stop()
            await poll(client, "gate-1", "offline", timeout=10)
            alerts = (await client.get("/api/health/alerts")).json()["items"]
            assert [(a["camera_id"], a["kind"]) for a in alerts] == [("gate-1", "offline")]
            peer.start()
            await poll(client, "gate-1", "learning", timeout=30)
            alerts = (await client.get("/api/health/alerts")).json()["items"]
            assert len(alerts) == 1 and alerts[0]["recovered_at"] is not None
            assert peer.plays["gate"] == 2
            # Moving the camera to patrol and then disabling it releases the upstream.
            r = await client.patch("/api/cameras/gate-1", json={"enabled": False})
            assert r.status_code == 200
            hubs = app.state.services.extensions["camera_watching"].registry
            assert hubs.get("gate-1") is None
            logs = (await client.get("/api/audit", params={"limit": 1000})).text
            assert "topsecret" not in logs
