"""The wall in Debian's Chromium against cameras that join mid-GOP (the RTSP peer): a B-frame
camera opened cold plays over MSE (or a transcode without MSE), never as untranscoded WebRTC;
offline tiles grey out with when they were last seen; the answer states the sent profile;
full screen swaps only once the main stream shows; a stopped tile's viewer ends at once."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.harness import Server, api_post, api_session, close, login, new_page, shot
from tests.paths import VIDEO
from tests.peers.fixtures import RtspPeer
from tests.streams.encoded import encode, strip_vui, write_clip

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STATE = """(i) => { const t = document.querySelector(`[data-testid=wall-tile-${i}]`);
  const v = t.querySelector('video');
  return {state: t.dataset.state, via: t.dataset.transport, note: t.querySelector('.wall-note').textContent,
          width: v.videoWidth, time: v.currentTime, poster: v.getAttribute('poster') || '',
          frames: v.getVideoPlaybackQuality().totalVideoFrames,
          filter: getComputedStyle(v).filter, videos: t.querySelectorAll('video').length}; }"""


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Camera-like clips the RTSP peer plays: 720p High main stream; a no-VUI interlaced
    stream whose SPS leaves the B-frame question to its slice headers."""
    root = tmp_path_factory.mktemp("wall-live-clips")
    high = encode({"preset": "veryfast", "bf": "0", "profile": "high"}, n=100, size=(1280, 720))
    interlaced = encode({"preset": "veryfast", "bf": "0", "x264-params": "interlaced=1"}, n=100)
    return {
        "high": write_clip(high, root / "high.mp4"),
        "slow": write_clip(strip_vui(interlaced), root / "slow.mp4"),
    }


@pytest.fixture(scope="module")
def peer(clips: dict[str, Path]) -> Iterator[RtspPeer]:
    mounts = {
        "bframes": str(VIDEO / "bottle-detection.mp4"),
        "road": str(VIDEO / "car-detection.mp4"),
        "gone": str(VIDEO / "car-detection.mp4"),
        "main": str(clips["high"]),
        "slow": str(clips["slow"]),
    }
    p = RtspPeer(mounts).start()
    yield p
    p.stop()


def add_camera(server: Server, body: dict[str, Any]) -> None:
    admin, csrf = api_session(server.url, "admin")
    api_post(admin, csrf, server.url + "/api/cameras", {"owner_unit_id": 2, **body})


def api_get(server: Server, path: str, user: str = "admin") -> Any:
    opener, _ = api_session(server.url, user)
    with opener.open(server.url + path, timeout=10) as resp:
        return json.load(resp)


def wait_playing(page: Page, index: int, timeout: float = 40) -> dict[str, Any]:
    expect(page.get_by_test_id(f"wall-tile-{index}")).to_be_visible()
    deadline = time.monotonic() + timeout
    first: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        now: dict[str, Any] = page.evaluate(STATE, index)
        if (
            first
            and now["width"] > 0
            and now["frames"] > first["frames"]
            and now["time"] > first["time"]
        ):
            return now
        first = now if now["width"] > 0 else None
        page.wait_for_timeout(500)
    raise AssertionError(f"tile {index} not playing: {page.evaluate(STATE, index)}")


def test_b_frame_camera_opened_cold_plays_over_mse(
    browser: Browser, server: Server, peer: RtspPeer
) -> None:
    add_camera(
        server,
        {"id": "BF-1", "name": "仓库 B 帧", "enabled": False, "main_url": peer.url("bframes")},
    )
    page = new_page(browser, "en")
    try:
        login(page, server.url, "operator")
        page.goto(server.url + "/#/wall?cameras=BF-1")
        state = wait_playing(page, 0)
        assert state["via"] == "mse" and state["width"] == 640
        expect(page.get_by_test_id("wall-via-0")).to_have_text("MSE")
        views = api_get(server, "/api/live", "operator")["items"]
        assert [v["mode"] for v in views if v["camera_id"] == "BF-1"] == ["mse"]
        shot(page, "wall-mse-bframes")
    finally:
        close(page)
    # Without MSE the same camera is transcoded; never passed through as it is.
    page = new_page(browser, "zh-CN")
    page.add_init_script("delete window.MediaSource; window.MediaSource = undefined;")
    try:
        login(page, server.url, "operator")
        page.goto(server.url + "/#/wall?cameras=BF-1")
        state = wait_playing(page, 0)
        assert state["via"] == "transcode"
        expect(page.get_by_test_id("wall-via-0")).to_have_text("转码")
    finally:
        close(page)
    audit = api_get(server, "/api/audit?action=live.start&limit=200")["items"]
    modes = [a["detail"].get("mode") for a in audit if a["target_id"] == "BF-1"]
    assert "mse" in modes and "transcode:b_frames" in modes and "passthrough" not in modes


def test_offline_tile_greys_out_with_last_seen(
    browser: Browser, server: Server, peer: RtspPeer
) -> None:
    gone = RtspPeer({"cam": str(VIDEO / "car-detection.mp4")}).start()
    add_camera(
        server,
        {
            "id": "GONE-1",
            "name": "离线测试",
            "watch_mode": "continuous",
            "main_url": gone.url("cam"),
        },
    )
    page = new_page(browser, "en")
    try:
        login(page, server.url, "operator")
        page.goto(server.url + "/#/wall?cameras=GONE-1")
        state = wait_playing(page, 0)
        assert state["via"] == "webrtc" and state["filter"] == "none"
        # Opened again, the tile shows the camera's last picture at once, then the stream.
        page.goto(server.url + "/#/map")
        page.goto(server.url + "/#/wall?cameras=GONE-1")
        page.wait_for_function(
            "() => (document.querySelector('[data-testid=wall-tile-0] video')"
            "?.getAttribute('poster') || '').startsWith('blob:')",
            timeout=10_000,
        )
        state = wait_playing(page, 0)
        gone.stop()
        tile = page.get_by_test_id("wall-tile-0")
        expect(tile).to_have_attribute(
            "data-state", re.compile("^(offline|stalled)$"), timeout=20_000
        )
        expect(tile).to_have_attribute("data-state", "offline", timeout=30_000)
        state = page.evaluate(STATE, 0)
        assert re.fullmatch(r"Offline · last seen \d{1,2}:\d{2}:\d{2}", state["note"]), state
        assert "grayscale(1)" in state["filter"] and state["width"] > 0  # the last frame, grey
        shot(page, "wall-offline-last-seen")
        gone.start()
        expect(tile).to_have_attribute("data-state", "playing", timeout=60_000)
    finally:
        close(page)
        gone.stop()


PLAY = """async (cam) => {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", {direction: "recvonly"});
  await pc.setLocalDescription(await pc.createOffer());
  const csrf = (await (await fetch("/api/auth/session")).json()).csrf_token;
  const res = await fetch(`/api/live/${cam}/offer`, {
    method: "POST", headers: {"content-type": "application/json", "x-csrf-token": csrf},
    body: JSON.stringify({sdp: pc.localDescription.sdp}),
  });
  const body = await res.json();
  await pc.setRemoteDescription({type: "answer", sdp: body.sdp});
  pc.close();
  await fetch(`/api/live/${body.viewer_id}`, {method: "DELETE", headers: {"x-csrf-token": csrf}});
  const pt = /m=video \\d+ \\S+ (\\d+)/.exec(body.sdp)[1];
  return new RegExp(`a=fmtp:${pt} .*profile-level-id=(\\\\w{6})`).exec(body.sdp)[1];
}"""


def test_answer_profile_is_the_cameras_and_full_screen_swaps(
    browser: Browser, server: Server, peer: RtspPeer, clips: dict[str, Path]
) -> None:
    add_camera(
        server,
        {
            "id": "DUAL-1",
            "name": "主辅码流",
            "enabled": False,
            "main_url": peer.url("main"),
            "sub_url": peer.url("road"),
        },
    )
    page = new_page(browser, "en")
    try:
        login(page, server.url, "operator")
        # Baseline 2.2 as the road camera's SPS says (Chromium offers Baseline).
        assert page.evaluate(PLAY, "YX-0001") == "428016"
        page.goto(server.url + "/#/wall?cameras=DUAL-1")
        state = wait_playing(page, 0)
        assert state["width"] == 768  # the sub-stream in a tile
        page.get_by_test_id("wall-tile-0").dblclick()
        seen = set()
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            state = page.evaluate(STATE, 0)
            seen.add(state["state"])
            if state["width"] == 1280 and state["videos"] == 1:
                break
            page.wait_for_timeout(100)
        assert state["width"] == 1280, state  # the main stream took over
        assert seen == {"playing"}, seen  # never dark or "connecting" while it opened
        views = api_get(server, "/api/live", "operator")["items"]
        live = [v for v in views if v["camera_id"] == "DUAL-1" and v["closed_reason"] is None]
        assert len(live) == 1, views  # the sub-stream viewer was closed after the swap
        shot(page, "wall-full-screen-main")
    finally:
        close(page)


def test_tile_stopped_before_its_answer_leaves_no_viewer(
    browser: Browser, server: Server, peer: RtspPeer
) -> None:
    # Its SPS does not say whether frames are reordered: the answer waits for a few frames.
    add_camera(
        server, {"id": "SLOW-1", "name": "慢", "enabled": False, "main_url": peer.url("slow")}
    )
    page = new_page(browser, "en")
    try:
        login(page, server.url, "operator")
        sent: list[float] = []
        page.on(
            "request",
            lambda r: sent.append(time.monotonic()) if r.url.endswith("/SLOW-1/offer") else None,
        )
        page.goto(server.url + "/#/wall?cameras=SLOW-1")
        deadline = time.monotonic() + 20
        while not sent and time.monotonic() < deadline:
            page.wait_for_timeout(20)
        assert sent, "the tile never sent its offer"
        page.goto(server.url + "/#/map")  # the tile stops while its offer is out
        stopped = time.monotonic()
        while True:
            rows = api_get(server, "/api/audit?action=live.stop&limit=100")["items"]
            mine = [r for r in rows if r["target_id"] == "SLOW-1"]
            if mine:
                break
            assert time.monotonic() - stopped < 10, "viewer not closed (ICE timeout is 15 s)"
            time.sleep(0.2)
        assert mine[0]["detail"]["closed_reason"] in ("abandoned", "stopped")
        views = api_get(server, "/api/live", "operator")["items"]
        assert not [v for v in views if v["camera_id"] == "SLOW-1"]
    finally:
        close(page)
