"""A GIS feature name is user data: the Map tooltip shows `<img onerror>` as text, runs nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.harness import api_post, api_session, close, login, new_page, shot
from tests.browser.test_map_page import Server, local_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LON, LAT = 113.4012, 23.0212
EVIL = '<img src=x onerror="window.__pwned=1"><b>Evil</b> shelter'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's own server."""
    yield from local_server(tmp_path_factory.mktemp("map-escape") / "data")


def test_feature_name_is_text_in_tooltip(browser: Browser, server: Server) -> None:
    admin, csrf = api_session(server.url, "admin")
    api_post(
        admin,
        csrf,
        server.url + "/api/gis/layers/shelters/features",
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [LON, LAT]},
            "properties": {"name": EVIL, "kind": "emergency", "effective_area_m2": 4000},
        },
    )
    page = new_page(browser, "en")
    try:
        login(page, server.url, "viewer")
        page.goto(f"{server.url}/#/map?lon={LON}&lat={LAT}&zoom=17")
        expect(page.get_by_test_id("map-view")).to_have_attribute("data-ready", "true")
        marker = page.locator("path.map-shelter").first
        expect(marker).to_be_visible()
        marker.hover()
        tip = page.locator(".leaflet-tooltip")
        expect(tip).to_have_text(EVIL)
        assert tip.locator("img, b").count() == 0
        assert page.evaluate("window.__pwned") is None
        shot(page, "map-escaped-tooltip")
    finally:
        close(page)
