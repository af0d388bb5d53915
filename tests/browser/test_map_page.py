"""The map page in Chromium with no internet: layers and legend, a coordinator adds a shelter by
clicking the map (server validation shown by the field), it persists; a camera opens the wall."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Route, expect

from console.app import create_app
from console.demo import seed_demo
from console.services import Services
from tests.browser.harness import api_post, api_session, close, free_port, login, new_page, shot
from tests.conftest import make_settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LON, LAT = 113.4512, 23.0512


@dataclass
class Server:
    """A console served by uvicorn in a thread, with the demo users and units only."""

    url: str


def local_server(data: Path) -> Iterator[Server]:
    """Run the app on a free port until the generator is closed."""

    async def seed() -> None:
        services = Services.build(make_settings(data))
        await services.store.upgrade()
        await seed_demo(services, [])
        await services.store.close()

    # Playwright's sync API owns this thread's event loop: seed from another thread.
    seeding = threading.Thread(target=lambda: asyncio.run(seed()))
    seeding.start()
    seeding.join(60)
    port = free_port()
    config = uvicorn.Config(
        create_app(make_settings(data)), host="127.0.0.1", port=port, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, name="map-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "server did not start"
    try:
        yield Server(f"http://127.0.0.1:{port}")
    finally:
        srv.should_exit = True
        thread.join(15)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's own server: other modules' demo data never moves the map."""
    yield from local_server(tmp_path_factory.mktemp("map") / "data")


def _seed(server: Server) -> None:
    admin, csrf = api_session(server.url, "admin")
    ring = [
        [LON - 0.004, LAT - 0.003],
        [LON + 0.004, LAT - 0.003],
        [LON + 0.004, LAT + 0.003],
        [LON - 0.004, LAT + 0.003],
        [LON - 0.004, LAT - 0.003],
    ]
    api_post(
        admin,
        csrf,
        server.url + "/api/gis/layers/communities/features",
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {
                "name": "Map Test",
                "code": "MAPT-1",
                "population": 3000,
                "households": 1200,
                "street_office": "Map Street",
            },
        },
    )
    with admin.open(server.url + "/api/units", timeout=10) as resp:
        unit = next(u["id"] for u in json.load(resp)["items"] if u["code"] == "eqo")
    api_post(
        admin,
        csrf,
        server.url + "/api/cameras",
        {
            "id": "MAP-CAM",
            "name": "Map camera",
            "owner_unit_id": unit,
            "main_url": "rtsp://user:pw@127.0.0.1:9/none",
            "lon": LON + 0.002,
            "lat": LAT + 0.0015,
            "fov": {"bearing": 200, "angle": 70, "range_m": 120},
        },
    )


def _offline(page: Page) -> list[str]:
    """Refuse every request that leaves this machine, remembering it."""
    outside: list[str] = []

    def handle(route: Route) -> None:
        host = urlparse(route.request.url).hostname or ""
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", handle)
    return outside


def _shelters(server: Server) -> list[dict[str, Any]]:
    opener, _ = api_session(server.url, "viewer")
    with opener.open(server.url + "/api/gis/layers/shelters.geojson", timeout=10) as resp:
        feats: list[dict[str, Any]] = json.load(resp)["features"]
    return feats


def test_map_offline_add_shelter_and_open_camera(browser: Browser, server: Server) -> None:
    _seed(server)
    page = new_page(browser, "en")
    outside = _offline(page)
    try:
        login(page, server.url, "coordinator")
        page.goto(f"{server.url}/#/map?lon={LON}&lat={LAT}&zoom=16")
        view = page.get_by_test_id("map-view")
        expect(view).to_have_attribute("data-ready", "true")
        expect(page.get_by_test_id("map-legend")).to_be_visible()
        expect(page.get_by_test_id("map-layers").locator("input[type=checkbox]")).to_have_count(
            8
        )  # six layers, faults, cameras
        expect(page.locator("path.map-community").first).to_be_visible()
        expect(page.get_by_test_id("map-camera-MAP-CAM")).to_be_visible()
        expect(page.locator("path.map-sector")).not_to_have_count(0)
        assert page.locator(".leaflet-tile").count() == 0  # no online tiles

        # Click the community: its panel (no readiness score needed for the breakdown head).
        box = view.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.55)
        expect(page.get_by_test_id("map-panel")).to_contain_text("Map Test")

        page.get_by_test_id("map-tool-shelter").click()
        expect(view).to_have_attribute("data-drawing", "point")
        page.mouse.click(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.55)
        dialog = page.get_by_test_id("map-feature-dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_test_id("map-f-name").fill("Map Test Park")
        dialog.get_by_test_id("map-f-capacity").fill("-5")
        dialog.get_by_test_id("dialog-submit").click()
        error = dialog.locator('[data-field="capacity"] .field-error')
        expect(error).not_to_be_empty()
        assert not any(f["properties"]["name"] == "Map Test Park" for f in _shelters(server))
        dialog.get_by_test_id("map-f-capacity").fill("800")
        dialog.get_by_test_id("dialog-submit").click()
        expect(dialog).to_have_count(0)
        expect(page.get_by_test_id("map-panel")).to_contain_text("Map Test Park")
        shot(page, "map-shelter-en")

        made = [f for f in _shelters(server) if f["properties"]["name"] == "Map Test Park"]
        assert len(made) == 1 and made[0]["properties"]["capacity"] == 800
        lon, lat = made[0]["geometry"]["coordinates"]
        assert abs(lon - LON) < 0.004 and abs(lat - LAT) < 0.003

        page.reload()
        expect(page.get_by_test_id("map-view")).to_have_attribute("data-ready", "true")
        expect(page.locator("path.map-shelter")).not_to_have_count(0)

        page.get_by_test_id("map-camera-MAP-CAM").click()
        page.wait_for_function("() => location.hash.startsWith('#/wall')")
        assert page.evaluate("location.hash") == "#/wall?camera=MAP-CAM"
        assert outside == [], outside
    finally:
        close(page)


def test_map_read_only_zh(browser: Browser, server: Server) -> None:
    page = new_page(browser, "zh-CN")
    outside = _offline(page)
    try:
        login(page, server.url, "viewer")
        page.goto(f"{server.url}/#/map?lon={LON}&lat={LAT}&zoom=15")
        expect(page.get_by_test_id("map-view")).to_have_attribute("data-ready", "true")
        expect(page.get_by_test_id("map-legend")).to_contain_text("韧性评分")
        expect(page.get_by_test_id("map-tools")).to_have_count(0)
        shot(page, "map-viewer-zh-CN")
        assert outside == [], outside
    finally:
        close(page)


def test_map_route_drawn_by_double_click(browser: Browser, server: Server) -> None:
    page = new_page(browser, "en")
    try:
        login(page, server.url, "coordinator")
        page.goto(f"{server.url}/#/map?lon={LON}&lat={LAT}&zoom=16")
        view = page.get_by_test_id("map-view")
        expect(view).to_have_attribute("data-ready", "true")
        box = view.bounding_box()
        assert box is not None
        page.get_by_test_id("map-tool-route").click()
        x0, y0 = box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.3
        page.mouse.click(x0, y0)
        page.mouse.click(x0 + 80, y0 + 40)
        page.mouse.dblclick(x0 + 160, y0 + 10)
        dialog = page.get_by_test_id("map-feature-dialog")
        dialog.get_by_test_id("map-f-name").fill("Map Test Route")
        dialog.get_by_test_id("dialog-submit").click()
        expect(dialog).to_have_count(0)
        opener, _ = api_session(server.url, "viewer")
        with opener.open(server.url + "/api/gis/layers/routes.geojson", timeout=10) as resp:
            routes = [
                f
                for f in json.load(resp)["features"]
                if f["properties"]["name"] == "Map Test Route"
            ]
        assert len(routes) == 1 and len(routes[0]["geometry"]["coordinates"]) == 3
        expect(page.locator("path.map-route")).not_to_have_count(0)
    finally:
        close(page)
