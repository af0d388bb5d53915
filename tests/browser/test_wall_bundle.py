"""The wall over one peer connection: the demo's 4-tile wall decodes in every tile, all four
cameras ride one group on the server, switching to one connection per tile still plays, and
"auto" picks by the wall's size."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.harness import Server, api_session, close, login, new_page, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FRAMES = """() => Promise.all([...document.querySelectorAll('.wall-tile video')].map(
  (v) => new Promise((done) => {
    const first = v.getVideoPlaybackQuality().totalVideoFrames;
    setTimeout(() => done(v.getVideoPlaybackQuality().totalVideoFrames - first), 1500);
  })))"""


def decoding(page: Page, tiles: int) -> None:
    page.wait_for_function(
        f"""() => {{
          const v = [...document.querySelectorAll('.wall-tile video')];
          return v.length === {tiles} && v.every((x) => x.videoWidth > 0 && x.currentTime > 0.5);
        }}""",
        timeout=40_000,
    )
    rising = page.evaluate(FRAMES)
    assert len(rising) == tiles and all(n > 0 for n in rising), rising


def views(opener: Any, url: str) -> dict[str, Any]:
    with opener.open(url + "/api/live", timeout=10) as resp:
        found: dict[str, Any] = json.load(resp)
        return found


def test_bundle_wall_decodes_every_tile_on_one_connection(browser: Browser, server: Server) -> None:
    page = new_page(browser, "en")
    try:
        login(page, server.url, "operator")
        page.goto(server.url + "/#/wall?transport=bundle")
        expect(page.get_by_test_id("wall-transport")).to_have_value("bundle")
        grid = page.get_by_test_id("wall-grid")
        expect(grid.locator(".wall-tile")).to_have_count(4)
        decoding(page, 4)
        expect(grid.locator('.wall-tile[data-state="playing"]')).to_have_count(4)
        # Other tests' closed pages may still hold viewers until the server reaps them: look
        # only at grouped views, which only this test makes.
        op, _csrf = api_session(server.url, "operator")
        live = views(op, server.url)
        grouped = [v for v in live["items"] if v["user"] == "operator" and v["group"] is not None]
        assert len(grouped) == 4 and len({v["group"] for v in grouped}) == 1, grouped
        tiles = grid.locator(".wall-tile")
        shown = {tiles.nth(i).get_attribute("data-camera") for i in range(4)}
        assert {v["camera_id"] for v in grouped} == shown, (grouped, shown)
        group = grouped[0]["group"]
        shot(page, "wall-bundle-4-en")
        # Back to one connection per tile: every tile plays on its own peer, the group is gone.
        page.get_by_test_id("wall-transport").select_option("tile")
        page.wait_for_timeout(500)
        decoding(page, 4)
        page.wait_for_function(
            """async () => {
              const r = await fetch('/api/live');
              const items = (await r.json()).items.filter((v) => v.user === 'operator');
              const cams = new Set(items.filter((v) => v.group === null).map((v) => v.camera_id));
              return !items.some((v) => v.group === GROUP) && CAMS.every((c) => cams.has(c));
            }""".replace("GROUP", str(group)).replace("CAMS", json.dumps(sorted(shown))),
            timeout=15_000,
        )
        # Automatic: one connection per tile up to 25 tiles, one for the wall above that.
        page.get_by_test_id("wall-transport").select_option("auto")
        expect(grid).to_have_attribute("data-transport", "tile")
        page.get_by_test_id("wall-layout").select_option("36")
        expect(grid).to_have_attribute("data-transport", "bundle")
    finally:
        page.evaluate("() => localStorage.removeItem('eoc.wall.transport')")
        close(page)
