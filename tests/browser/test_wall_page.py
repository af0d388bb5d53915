"""The wall page: the demo's saved 4-tile wall plays in every tile; a camera is placed by click;
a tour advances; a pushed camera opens on the other operator's wall."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.harness import Server, api_post, api_session, close, login, new_page, shot

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
            "password": "duty-wall-pass",
            "unit_id": 2,
            "roles": ["operator"],
        },
    )
    target = new_page(browser, "en")
    try:
        login(target, server.url, "duty-wall", "duty-wall-pass")
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
