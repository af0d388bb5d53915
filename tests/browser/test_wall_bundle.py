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
        op, _csrf = api_session(server.url, "operator")
        live = views(op, server.url)
        mine = [v for v in live["items"] if v["user"] == "operator"]
        assert len(mine) == 4 and len({v["group"] for v in mine}) == 1, mine
        assert mine[0]["group"] is not None
        shot(page, "wall-bundle-4-en")
        # Back to one connection per tile: every tile plays on its own peer, the group is gone.
        page.get_by_test_id("wall-transport").select_option("tile")
        page.wait_for_timeout(500)
        decoding(page, 4)
        page.wait_for_function(
            """async () => {
              const r = await fetch('/api/live');
              const items = (await r.json()).items.filter((v) => v.user === 'operator');
              return items.length === 4 && items.every((v) => v.group === null);
            }""",
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
