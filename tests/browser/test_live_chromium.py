"""Debian's Chromium plays live video from the console over WebRTC (pass-through and
transcode), one RTSP upstream for several tiles, and another unit's user is refused."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.harness import Server, api_post, api_session, close, login, new_page, shot
from tests.paths import VIDEO
from tests.peers.fixtures import RtspPeer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PLAY = """async (cam) => {
  const pc = new RTCPeerConnection({iceServers: []});
  pc.addTransceiver("video", {direction: "recvonly"});
  const video = document.createElement("video");
  video.muted = true; video.autoplay = true; video.playsInline = true; video.width = 320;
  document.body.appendChild(video);
  pc.ontrack = (e) => { video.srcObject = e.streams[0] || new MediaStream([e.track]); };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((done) => {
    if (pc.iceGatheringState === "complete") return done();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && done();
    setTimeout(done, 1000);
  });
  const csrf = (await (await fetch("/api/auth/session")).json()).csrf_token;
  const res = await fetch(`/api/live/${cam}/offer`, {
    method: "POST", headers: {"content-type": "application/json", "x-csrf-token": csrf},
    body: JSON.stringify({sdp: pc.localDescription.sdp}),
  });
  const body = await res.json();
  if (!res.ok) return {status: res.status, type: body.type};
  await pc.setRemoteDescription({type: "answer", sdp: body.sdp});
  window.tiles = (window.tiles || []).concat([{pc, video}]);
  return {status: res.status, mode: body.mode};
}"""

STATS = """async () => Promise.all((window.tiles || []).map(async ({pc, video}) => {
  let decoded = 0;
  (await pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") decoded = s.framesDecoded || 0;
  });
  return {decoded, width: video.videoWidth, state: pc.connectionState};
}))"""


def wait_decoding(page: Page, tiles: int, timeout: float = 30) -> list[dict[str, Any]]:
    """Until every tile decodes rising frame counts at a real size."""
    deadline = time.monotonic() + timeout
    first: list[dict[str, Any]] = page.evaluate(STATS)
    while time.monotonic() < deadline:
        page.wait_for_timeout(500)
        now: list[dict[str, Any]] = page.evaluate(STATS)
        if len(now) == tiles and all(
            n["decoded"] > f["decoded"] and n["decoded"] > 10 and n["width"] > 0
            for n, f in zip(now, first, strict=True)
        ):
            return now
        first = now
    raise AssertionError(f"tiles not all decoding: {now}")


def test_chromium_plays_passthrough_and_transcode(browser: Browser, server: Server) -> None:
    page = new_page(browser, "zh-CN")
    try:
        login(page, server.url, "operator")
        # YX-0001 is H.264 Baseline (pass-through); YX-0002 has B-frames (shared transcode).
        assert page.evaluate(PLAY, "YX-0001") == {"status": 201, "mode": "passthrough"}
        assert page.evaluate(PLAY, "YX-0002") == {"status": 201, "mode": "transcode:b_frames"}
        stats = wait_decoding(page, 2)
        assert stats[0]["width"] == 768 and stats[1]["width"] == 640
        shot(page, "live-chromium")
    finally:
        close(page)


def test_four_tiles_one_upstream_and_other_unit_refused(
    browser: Browser, server: Server, rtsp_peer: type[RtspPeer]
) -> None:
    peer = rtsp_peer({"gate": str(VIDEO / "car-detection.mp4")}).start()
    admin, csrf = api_session(server.url, "admin")
    api_post(
        admin,
        csrf,
        server.url + "/api/cameras",
        {
            "id": "GATE-1",
            "name": "东门",
            "owner_unit_id": 2,
            "enabled": False,
            "main_url": peer.url("gate", "svc:gate-secret"),
        },
    )
    page = new_page(browser, "en")
    try:
        login(page, server.url, "operator")
        for _ in range(4):
            assert page.evaluate(PLAY, "GATE-1")["status"] == 201
        wait_decoding(page, 4)
        assert peer.plays["gate"] == 1
    finally:
        close(page)
    other = new_page(browser, "en")
    try:
        login(other, server.url, "operator2")
        answer = other.evaluate(PLAY, "GATE-1")
        # Not shared with street-b: the camera answers as if it did not exist.
        assert answer["status"] == 404 and answer["type"].endswith("not-found")
    finally:
        close(other)
    req = urllib.request.Request(server.url + "/api/audit?action=live.view&outcome=denied")
    with admin.open(req, timeout=10) as resp:
        rows = json.load(resp)["items"]
    assert any(r["actor"] == "operator2" and r["target_id"] == "GATE-1" for r in rows)
    with admin.open(server.url + "/api/audit?limit=1000", timeout=10) as resp:
        assert "gate-secret" not in resp.read().decode()
