"""The wall page: the demo's saved 4-tile wall plays in every tile; a camera is placed by click;
a tour advances; a pushed camera opens on the other operator's wall."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.harness import Server, api_post, api_session, close, login, new_page, shot
from tests.paths import VIDEO
from tests.peers.fixtures import RtspPeer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DECODED = """async () => Promise.all([...document.querySelectorAll('.wall-tile video')].map(
  async (v) => ({width: v.videoWidth, time: v.currentTime})))"""


def playing(page: Page, tiles: int) -> None:
    page.wait_for_function(
        f"""() => {{
          const v = [...document.querySelectorAll('.wall-tile video')];
          return v.length === {tiles} && v.every((x) => x.videoWidth > 0 && x.currentTime > 0.5);
        }}""",
        timeout=40_000,
    )


def test_demo_wall_plays_and_tour_advances(browser: Browser, server: Server) -> None:
    page = new_page(browser, "zh-CN")
    try:
        login(page, server.url, "operator")
        page.goto(server.url + "/#/wall")
        expect(page.get_by_test_id("wall-grid").locator(".wall-tile")).to_have_count(4)
        playing(page, 4)
        tiles = page.get_by_test_id("wall-grid").locator(".wall-tile")
        expect(tiles.nth(1)).to_have_attribute(
            "data-status", "degraded", timeout=60_000
        )  # dark road
        shot(page, "wall-demo-zh-CN")
        page.get_by_test_id("wall-layout").select_option("1+5")
        expect(tiles).to_have_count(6)
        page.get_by_test_id("wall-tile-5").click()
        page.get_by_test_id("wall-camera-YX-0002").click()
        expect(page.get_by_test_id("wall-tile-5")).to_have_attribute("data-camera", "YX-0002")
        page.get_by_test_id("wall-tour").click()
        page.wait_for_function(
            "() => Number(document.querySelector('#app .page, main')?.dataset?.tourStep || document.querySelector('[data-tour-step]')?.dataset.tourStep || 0) >= 1"
        )
        page.get_by_test_id("wall-tour").click()
    finally:
        close(page)


def test_push_to_wall(browser: Browser, server: Server) -> None:
    admin, csrf = api_session(server.url, "admin")
    api_post(
        admin,
        csrf,
        server.url + "/api/users",
        {
            "username": "duty-wall",
            "password": "tiles-at-dusk-4417",
            "unit_id": 2,
            "roles": ["operator"],
        },
    )
    target = new_page(browser, "en")
    try:
        login(target, server.url, "duty-wall", "tiles-at-dusk-4417")
        target.goto(server.url + "/#/wall")
        expect(target.get_by_test_id("wall-grid")).to_be_visible()
        target.wait_for_timeout(1500)
        op, op_csrf = api_session(server.url, "operator")
        users = {u["username"]: u["id"] for u in api_get(op, server.url + "/api/walls-operators")}
        api_post(
            op,
            op_csrf,
            server.url + "/api/walls-push",
            {"user_id": users["duty-wall"], "camera_id": "YX-0001"},
        )
        expect(target.get_by_test_id("wall-tile-0")).to_have_attribute("data-camera", "YX-0001")
        expect(target.get_by_test_id("wall-grid").locator(".wall-tile")).to_have_count(1)
    finally:
        close(target)


def api_get(opener: Any, url: str) -> list[dict[str, Any]]:
    with opener.open(url, timeout=10) as resp:
        items: list[dict[str, Any]] = json.load(resp)["items"]
        return items


def test_sixteen_tiles_one_upstream_each_and_offline_recovery(
    browser: Browser, server: Server, rtsp_peer: type[RtspPeer]
) -> None:
    mounts = {f"w{i}": str(VIDEO / "car-detection.mp4") for i in range(4)}
    peer = rtsp_peer(mounts).start()
    admin, csrf = api_session(server.url, "admin")
    for name in mounts:
        api_post(
            admin,
            csrf,
            server.url + "/api/cameras",
            {
                "id": f"WALL-{name}",
                "name": f"墙 {name}",
                "owner_unit_id": 2,
                "watch_mode": "continuous",
                "main_url": peer.url(name),
            },
        )
    op, op_csrf = api_session(server.url, "operator")
    tiles = [f"WALL-w{i % 4}" for i in range(16)]
    wall = api_post(
        op, op_csrf, server.url + "/api/walls", {"name": "AAA 16", "layout": "16", "tiles": tiles}
    )
    page = new_page(browser, "en")
    try:
        login(page, server.url, "operator")
        page.goto(server.url + "/#/wall")
        page.get_by_test_id("wall-saved").select_option(label="AAA 16")
        playing(page, 16)
        assert all(peer.plays[name] == 1 for name in mounts), dict(peer.plays)
        shot(page, "wall-16-en")
        peer.stop()
        tile = page.get_by_test_id("wall-tile-0")
        expect(tile).to_have_attribute("data-status", "offline", timeout=20_000)
        peer.start()
        expect(tile).to_have_attribute("data-status", "ok", timeout=60_000)
        page.wait_for_function(
            "() => { const v = document.querySelector('[data-testid=wall-tile-0] video');"
            " const t0 = v.currentTime; return new Promise((r) => setTimeout(() => r(v.currentTime > t0), 1500)); }",
            timeout=30_000,
        )
    finally:
        close(page)
        # Leave the demo's own wall first in the list for the other wall tests.
        api_delete(op, op_csrf, f"{server.url}/api/walls/{wall['id']}")
        for name in mounts:
            api_delete(admin, csrf, f"{server.url}/api/cameras/WALL-{name}")


def api_delete(opener: Any, csrf: str, url: str) -> None:
    req = urllib.request.Request(url, method="DELETE", headers={"X-CSRF-Token": csrf})
    with opener.open(req, timeout=10):
        pass
