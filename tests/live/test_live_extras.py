"""What surrounds live views, through a served console and the mid-GOP RTSP peer: STUN/TURN
from settings, the warm set (key cameras, saved walls, budget), prewarm leases, posters, MSE
over a websocket (checked, capped, audited, stoppable) and offers abandoned before their answer.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import io
import json
import logging
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
import uvicorn
import websockets
from asgi_lifespan import LifespanManager

from console.app import create_app
from console.live.warm import Warmer
from tests.conftest import free_port, login, make_settings
from tests.paths import VIDEO
from tests.peers.fixtures import RtspPeer
from tests.streams.encoded import encode
from tests.webrtc.test_peers import Browser

pytestmark = pytest.mark.slow
TURN_PASSWORD = "turn-pass-never-logged"
TURN_SECRET = "rest-secret-never-logged"


@dataclass
class Served:
    """A console served by uvicorn in this loop, with an admin client and the RTSP peer."""

    base: str
    app: Any
    admin: httpx.AsyncClient
    peer: RtspPeer

    @property
    def warmer(self) -> Warmer:
        warmer = self.app.state.services.extensions["live_warmer"]
        assert isinstance(warmer, Warmer)
        return warmer

    def hub(self, key: str) -> Any:
        return self.app.state.services.extensions["camera_watching"].registry.get(key)

    async def client(self, user: str) -> httpx.AsyncClient:
        c = httpx.AsyncClient(base_url=f"http://{self.base}", timeout=30)
        await login(c, user)
        return c

    async def camera(self, cid: str, mount: str, **extra: Any) -> None:
        body = {"id": cid, "name": cid, "owner_unit_id": 2, "main_url": self.peer.url(mount)}
        r = await self.admin.post("/api/cameras", json=body | extra)
        assert r.status_code == 201, r.text


@pytest.fixture
async def served(
    data_dir: Path, rtsp_peer: type[RtspPeer], request: pytest.FixtureRequest
) -> AsyncIterator[Served]:
    live = {
        "warm_budget": 2,
        "warm_refresh_s": 1,
        "max_viewers_per_user": 2,
        "ice_servers": [
            {"urls": ["stun:127.0.0.1:3478"]},
            {"urls": ["turn:127.0.0.1:3478"], "username": "wall", "credential": TURN_PASSWORD},
            {"urls": ["turns:turn.example.org:5349"], "secret": TURN_SECRET, "ttl_s": 600},
        ],
    }
    peer = rtsp_peer({f"c{i}": str(VIDEO / "car-detection.mp4") for i in range(4)}).start()
    # Camera health watching off: only live view and the warm set open streams here.
    settings = make_settings(data_dir, live=live, streams={"watch": False})
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    async with LifespanManager(app):
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        admin = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30)
        await login(admin, "admin")
        try:
            yield Served(f"127.0.0.1:{port}", app, admin, peer)
        finally:
            await admin.aclose()
            server.should_exit = True
            await task


async def until(cond: Any, timeout: float = 20) -> None:
    start = time.monotonic()
    while not cond():
        assert time.monotonic() - start < timeout, "timed out"
        await asyncio.sleep(0.05)


@pytest.mark.asyncio
async def test_ice_servers_from_settings_never_logged(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    op = await served.client("operator")
    try:
        r = await op.get("/api/live/config")
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
        stun, turn, rest = r.json()["ice_servers"]
        assert stun == {"urls": ["stun:127.0.0.1:3478"]}
        assert turn == {
            "urls": ["turn:127.0.0.1:3478"],
            "username": "wall",
            "credential": TURN_PASSWORD,
        }
        # TURN REST: "<expiry>:<user>" signed with the shared secret, valid for ttl_s.
        expiry, user = rest["username"].split(":")
        assert user == "operator" and 590 < int(expiry) - time.time() <= 600
        mac = hmac.new(TURN_SECRET.encode(), rest["username"].encode(), hashlib.sha1).digest()
        assert rest["credential"] == base64.b64encode(mac).decode()
        anonymous = httpx.AsyncClient(base_url=f"http://{served.base}")
        assert (await anonymous.get("/api/live/config")).status_code == 401
        await anonymous.aclose()
    finally:
        await op.aclose()
    logged = caplog.text + json.dumps((await served.admin.get("/api/audit?limit=500")).json())
    assert TURN_PASSWORD not in logged and TURN_SECRET not in logged


@pytest.mark.asyncio
async def test_warm_set_key_cameras_then_walls_within_budget(served: Served) -> None:
    await served.camera("KEY-1", "c0", key_camera=True)
    await served.camera("WALL-1", "c1")
    await served.camera("WALL-2", "c2")
    op = await served.client("operator")
    try:
        r = await op.post(
            "/api/walls",
            json={"name": "duty", "layout": "4", "tiles": ["WALL-1", "WALL-2", None, None]},
        )
        assert r.status_code == 201, r.text
        await until(lambda: set(served.warmer.held) == {"KEY-1", "WALL-1"})  # budget 2
        assert served.warmer.planned == ["KEY-1", "WALL-1"]
        await until(lambda: served.hub("WALL-1").gop != [])  # open and caching, unwatched
        assert served.peer.plays["c2"] == 0
        # A warm camera's viewer starts from its cached GOP (bench/webrtc_first_frame.py times it).
        b = Browser()
        answer = (await op.post("/api/live/WALL-1/offer", json={"sdp": await b.offer()})).json()
        await b.answer(answer["sdp"])
        await until(lambda: b.frames > 0, timeout=10)
        assert served.peer.plays["c1"] == 1  # the viewer joined the warm upstream
        await b.close()
        assert (await op.delete(f"/api/walls/{r.json()['id']}")).status_code == 204
        await until(lambda: set(served.warmer.held) == {"KEY-1"})
    finally:
        await op.aclose()


@pytest.mark.asyncio
async def test_prewarm_lease_checked_held_and_released(served: Served) -> None:
    await served.camera("NEXT-1", "c3")
    op = await served.client("operator")
    other = await served.client("operator2")
    try:
        r = await op.post("/api/live/prewarm", json={"cameras": ["NEXT-1"], "seconds": 2})
        assert r.status_code == 202 and r.json()["cameras"] == ["NEXT-1"], r.text
        await until(lambda: served.hub("NEXT-1").gop != [])
        poster = await op.get("/api/live/NEXT-1/poster.jpg")
        assert poster.status_code == 200 and poster.content[:2] == b"\xff\xd8"
        assert abs(float(poster.headers["x-captured-at"]) - time.time()) < 10
        await until(lambda: "NEXT-1" not in served.warmer.held, timeout=10)  # lease over
        # Another unit's operator may neither pre-open nor see it: to them it does not exist.
        refused = await other.post("/api/live/prewarm", json={"cameras": ["NEXT-1"]})
        assert refused.status_code == 404
        hidden = await other.get("/api/live/NEXT-1/poster.jpg")
        absent = await other.get("/api/live/NOPE/poster.jpg")
        assert hidden.status_code == absent.status_code == 404
        assert hidden.json()["type"] == absent.json()["type"]
        bad = await op.post("/api/live/prewarm", json={"cameras": [], "seconds": 2})
        assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "body.cameras"
        missing = await op.post("/api/live/prewarm", json={"cameras": ["NOPE"]})
        assert missing.status_code == 404
    finally:
        await op.aclose()
        await other.aclose()


async def cookie(served: Served, user: str) -> str:
    c = await served.client(user)
    value = f"eoc_session={c.cookies['eoc_session']}"
    await c.aclose()
    return value


@pytest.mark.asyncio
async def test_mse_plays_is_capped_audited_and_stoppable(served: Served) -> None:
    await served.camera("MSE-1", "c0")
    url = f"ws://{served.base}/api/live/MSE-1/mse"
    headers = {"Cookie": await cookie(served, "operator")}
    async with websockets.connect(url, additional_headers=headers, max_size=None) as ws:
        hello = json.loads(await asyncio.wait_for(ws.recv(), 15))
        assert hello["type"] == "codec" and hello["mime"] == 'video/mp4; codecs="avc1.428016"'
        await ws.send(json.dumps({"type": "start"}))
        data = b""
        for _ in range(30):
            data += await asyncio.wait_for(ws.recv(), 15)  # type: ignore[operator]
        with av.open(io.BytesIO(data), format="mp4") as c:
            frames = list(c.decode(video=0))
        assert len(frames) == 29 and frames[0].width == 768  # init segment + 29 frames
        op = await served.client("operator")
        views = (await op.get("/api/live")).json()["items"]
        assert [(v["camera_id"], v["mode"]) for v in views] == [("MSE-1", "mse")]
        # The viewer limit counts MSE views: a second and third view for this user.
        async with websockets.connect(url, additional_headers=headers) as second:
            assert json.loads(await second.recv())["type"] == "codec"
            async with websockets.connect(url, additional_headers=headers) as third:
                with pytest.raises(websockets.ConnectionClosed) as refused:
                    await third.recv()
                assert refused.value.rcvd is not None
                assert (refused.value.rcvd.code, refused.value.rcvd.reason) == (
                    4409,
                    "too_many_for_user",
                )
        assert (await op.delete(f"/api/live/{hello['viewer_id']}")).status_code == 204
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        await op.aclose()
    other = {"Cookie": await cookie(served, "operator2")}
    async with websockets.connect(url, additional_headers=other) as ws:
        with pytest.raises(websockets.ConnectionClosed) as denied:
            await ws.recv()
        # A camera of a unit that does not share it is answered as a missing one.
        assert denied.value.rcvd is not None and denied.value.rcvd.code == 4404
    audit = (await served.admin.get("/api/audit", params={"limit": 200})).json()["items"]
    mine = [a for a in audit if a["target_id"] == "MSE-1"]
    starts = [a for a in mine if a["action"] == "live.start" and a["outcome"] == "success"]
    stops = [a for a in mine if a["action"] == "live.stop"]
    assert starts and starts[-1]["detail"]["mode"] == "mse"
    assert any(s["detail"]["closed_reason"] == "stopped" for s in stops)
    assert any(a["actor"] == "operator2" and a["outcome"] == "denied" for a in mine)


def post_and_hang_up(base: str, path: str, body: bytes, cookie_header: str, csrf: str) -> None:
    """Send a request and close the connection before the answer, as a stopped tile does."""
    host, port = base.split(":")
    with socket.create_connection((host, int(port))) as s:
        s.sendall(
            (
                f"POST {path} HTTP/1.1\r\nHost: {base}\r\nContent-Type: application/json\r\n"
                f"Cookie: {cookie_header}\r\nX-CSRF-Token: {csrf}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            + body
        )


@pytest.mark.asyncio
async def test_offer_abandoned_before_its_answer_is_closed_at_once(served: Served) -> None:
    await served.camera("GONE-1", "c1")
    op = await served.client("operator")
    try:
        b = Browser()
        body = json.dumps({"sdp": await b.offer()}).encode()
        await b.close()
        hang = f"eoc_session={op.cookies['eoc_session']}"
        csrf = op.headers["X-CSRF-Token"]
        started = time.monotonic()
        await asyncio.to_thread(
            post_and_hang_up, served.base, "/api/live/GONE-1/offer", body, hang, csrf
        )

        async def stopped() -> list[dict[str, Any]]:
            r = await served.admin.get("/api/audit", params={"action": "live.stop", "limit": 50})
            return [a for a in r.json()["items"] if a["target_id"] == "GONE-1"]

        while not (rows := await stopped()):
            assert time.monotonic() - started < 10, "the abandoned viewer was not closed"
            await asyncio.sleep(0.1)
        assert rows[0]["detail"]["closed_reason"] == "abandoned"
        assert time.monotonic() - started < 10  # not after the 15 s ICE timeout
        assert (await op.get("/api/live")).json()["items"] == []
    finally:
        await op.aclose()


@pytest.mark.asyncio
async def test_h265_camera_over_mse_without_transcoding(served: Served, data_dir: Path) -> None:
    # An H.265 camera (recorded file; the RTSP peer speaks H.264 only).
    units = encode(
        {"preset": "ultrafast", "x265-params": "log-level=error:bframes=3"},
        codec="libx265",
        n=75,
    )
    media = data_dir / "media"
    raw = media / "h265.hevc"
    raw.write_bytes(b"".join(u.data for u in units))
    clip = media / "h265.mp4"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-r", "25", "-i", str(raw), "-c", "copy", str(clip)],
        check=True,
        timeout=60,
    )
    r = await served.admin.post(
        "/api/cameras",
        json={"id": "HEVC-1", "name": "H.265", "owner_unit_id": 2, "main_url": f"file://{clip}"},
    )
    assert r.status_code == 201, r.text
    op = await served.client("operator")
    b = Browser()
    try:
        # WebRTC refuses to pass it through, and says what MSE would carry.
        r = await op.post(
            "/api/live/HEVC-1/offer", json={"sdp": await b.offer(), "allow_transcode": False}
        )
        assert r.status_code == 409 and r.json()["reason"] == "codec_hevc", r.text
        assert r.json()["mse"].startswith('video/mp4; codecs="hvc1.1.6.L')
    finally:
        await b.close()
        await op.aclose()
    url = f"ws://{served.base}/api/live/HEVC-1/mse"
    headers = {"Cookie": await cookie(served, "operator")}
    async with websockets.connect(url, additional_headers=headers, max_size=None) as ws:
        hello = json.loads(await asyncio.wait_for(ws.recv(), 15))
        assert hello["mime"].startswith('video/mp4; codecs="hvc1.')
        await ws.send(json.dumps({"type": "start"}))
        data = b""
        for _ in range(20):
            data += await asyncio.wait_for(ws.recv(), 15)  # type: ignore[operator]
    with av.open(io.BytesIO(data), format="mp4") as c:
        assert c.streams.video[0].codec_context.name == "hevc"
        assert len(list(c.decode(video=0))) == 19
