"""Camera health across the network and restarts, with real RTSP camera peers.

A learned view survives `eoc serve` restarting (the in-process app restarted on the same data
dir): a camera that turned while the server was down is reported as turned, not re-learned;
open alerts stay open until a diagnosis says otherwise; a maintainer accepts the new view.
Cameras imported from CSV are watched at once and a changed URL re-points the watcher. A
flapping camera keeps one alert and counts occurrences; the reconnect back-off resets.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from console.app import create_app
from console.settings import Settings
from streams.faults import write_faulty_clip
from tests.conftest import login, make_settings
from tests.paths import VIDEO
from tests.peers.fixtures import RtspPeer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gop1(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The two clips re-encoded with a 1 s GOP (a camera learns its view in seconds)."""
    out = tmp_path_factory.mktemp("gop1")
    made = {}
    for name, clip in (("road", "car-detection.mp4"), ("bottles", "bottle-detection.mp4")):
        made[name] = out / f"{name}.mp4"
        write_faulty_clip(VIDEO / clip, made[name], None, gop_s=1.0)
    return made


def settings_for(data_dir: Path) -> Settings:
    return make_settings(
        data_dir,
        streams={
            "watch": True,
            "open_timeout_s": 2.0,
            "offline_after_s": 3.0,
            "diagnose_every_s": 0,
            "baseline_save_every_s": 5,
            "reconnect_max_s": 1.0,
            "reconnect_stable_s": 1.0,
        },
    )


async def until(
    client: httpx.AsyncClient,
    path: str,
    ok: Callable[[Any], bool],
    timeout: float = 40,
    params: dict[str, Any] | None = None,
) -> Any:
    start = time.monotonic()
    body: Any = None
    while time.monotonic() - start < timeout:
        r = await client.get(path, params=params)
        body = r.json()
        if r.status_code == 200 and ok(body):
            return body
        await asyncio.sleep(0.3)
    raise AssertionError(f"{path} never matched: {body}")


def row_of(cam: str) -> Callable[[Any], Any]:
    return lambda body: next(r for r in body["items"] if r["camera_id"] == cam)


async def status_is(client: httpx.AsyncClient, cam: str, *want: str, timeout: float = 40) -> Any:
    body = await until(
        client, "/api/health/cameras", lambda b: row_of(cam)(b)["status"] in want, timeout
    )
    return row_of(cam)(body)


class App:
    """The console in-process on a data dir, started and stopped like `eoc serve`."""

    def __init__(self, data_dir: Path) -> None:
        self.app = create_app(settings_for(data_dir))
        self.life = LifespanManager(self.app)
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://t"
        )

    async def __aenter__(self) -> App:
        await self.life.__aenter__()
        await login(self.client, "admin")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()
        await self.life.__aexit__(None, None, None)

    @property
    def watching(self) -> Any:
        return self.app.state.services.extensions["camera_watching"]


def camera(cam_id: str, url: str) -> dict[str, Any]:
    return {
        "id": cam_id,
        "name": "东门",
        "owner_unit_id": 2,
        "main_url": url,
        "watch_mode": "continuous",
        "key_camera": True,
    }


@pytest.mark.asyncio
async def test_learned_view_survives_restart_and_new_view_is_accepted(
    data_dir: Path, rtsp_peer: type[RtspPeer], gop1: dict[str, Path]
) -> None:
    peer = rtsp_peer({"gate": str(gop1["road"])}).start()
    async with App(data_dir) as a:
        c = a.client
        assert (
            await c.post("/api/cameras", json=camera("gate", peer.url("gate")))
        ).status_code == 201
        # New: "learning", never "ok", until its view is known.
        await status_is(c, "gate", "learning")
        await status_is(c, "gate", "ok")
        ref = await until(c, "/api/health/cameras/gate/reference", lambda b: b["has_reference"])
        assert ref["learning"] is False
        jpeg = await c.get("/api/health/cameras/gate/reference.jpg")
        assert jpeg.status_code == 200 and jpeg.content[:2] == b"\xff\xd8"
        peer.stop()
        await status_is(c, "gate", "offline")
    # The server is down; meanwhile someone turns the camera to face another scene.
    peer.mounts["gate"] = str(gop1["bottles"])
    async with App(data_dir) as b:
        c = b.client
        alerts = (await c.get("/api/health/alerts")).json()["items"]
        assert [(x["kind"], x["recovered_at"], x["severity"]) for x in alerts] == [
            ("offline", None, "critical")
        ]
        peer.start()
        row = await status_is(c, "gate", "degraded", timeout=60)
        assert row["reasons"] == ["scene_change"]
        history = (await c.get("/api/health/cameras/gate")).json()["changes"]
        assert "learning" not in [h["status"] for h in history[:3]]
        alerts = (await c.get("/api/health/alerts", params={"state": "all"})).json()["items"]
        kinds = {x["kind"]: x for x in alerts}
        assert kinds["offline"]["recovered_at"] is not None
        assert kinds["scene_change"]["recovered_at"] is None
        # The maintainer compares and accepts: the camera re-learns the new view.
        before = (await c.get("/api/health/cameras/gate/reference")).json()["reference_at"]
        r = await c.post("/api/health/cameras/gate/accept-view", json={"note": "改装后朝向新大门"})
        assert r.status_code == 200
        await status_is(c, "gate", "learning", "ok")
        await status_is(c, "gate", "ok", timeout=60)
        ref = await until(
            c,
            "/api/health/cameras/gate/reference",
            lambda x: x["has_reference"] and x["reference_at"] != before,
        )
        assert ref["accepted_by"] == "admin"
        audit = (await c.get("/api/audit", params={"action": "camera.accept_view"})).json()
        assert audit["items"][0]["detail"]["note"] == "改装后朝向新大门"
        firing = (await c.get("/api/health/alerts", params={"state": "firing"})).json()["items"]
        assert firing == []


@pytest.mark.asyncio
async def test_imported_cameras_are_watched_at_once_and_url_changes_resync(
    data_dir: Path, rtsp_peer: type[RtspPeer], gop1: dict[str, Path]
) -> None:
    peer = rtsp_peer({"a": str(gop1["road"]), "b": str(gop1["bottles"])}).start()
    header = "id,name,owner_unit,main_url,watch_mode\n"
    async with App(data_dir) as app:
        c = app.client
        r = await c.post(
            "/api/cameras/import?format=csv",
            content=(header + f"imp-1,导入点位,psb,{peer.url('a')},continuous\n").encode(),
        )
        assert r.status_code == 200 and r.json()["created"] == 1
        await status_is(c, "imp-1", "learning", "ok")
        assert peer.plays["a"] >= 1
        r = await c.post(
            "/api/cameras/import?format=csv&upsert=true",
            content=(header + f"imp-1,导入点位,psb,{peer.url('b')},continuous\n").encode(),
        )
        assert r.status_code == 200 and r.json()["updated"] == 1
        hub = app.watching.registry.get("imp-1")
        assert hub is not None and hub.src.url.endswith("/b")
        start = time.monotonic()
        while peer.plays["b"] < 1 and time.monotonic() - start < 20:
            await asyncio.sleep(0.2)
        assert peer.plays["b"] >= 1
        # A new stream is a new view: learned afresh, not judged against the old one.
        await status_is(c, "imp-1", "learning")


@pytest.mark.asyncio
async def test_flapping_camera_one_alert_and_backoff_resets(
    data_dir: Path, rtsp_peer: type[RtspPeer], gop1: dict[str, Path]
) -> None:
    peer = rtsp_peer({"flap": str(gop1["road"])}).start()
    async with App(data_dir) as app:
        c = app.client
        await c.post("/api/cameras", json=camera("flap", peer.url("flap")))
        await status_is(c, "flap", "learning", "ok")
        for _ in range(3):
            peer.stop()
            await status_is(c, "flap", "offline")
            peer.start()
            await status_is(c, "flap", "learning", "ok")
        alerts = (await c.get("/api/health/alerts", params={"state": "all"})).json()["items"]
        assert [(x["kind"], x["occurrences"]) for x in alerts] == [("offline", 3)]
        assert alerts[0]["recovered_at"] is not None
        # Connected and delivering for longer than the stable period: the next outage starts
        # with a short wait again.
        hub = app.watching.registry.get("flap")
        start = time.monotonic()
        while hub.backoff.attempt and time.monotonic() - start < 10:
            await asyncio.sleep(0.2)
        assert hub.backoff.attempt == 0
        assert hub.backoff.cap_s == 1.0
