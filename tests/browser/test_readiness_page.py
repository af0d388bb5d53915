"""The readiness page in Chromium: communities seeded through the API are ranked by score,
filtered by street office, drilled down to their inputs, and a kit import moves a score live."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.harness import api_post, api_session, close, login, new_page, shot
from tests.browser.test_map_page import Server, local_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's own server with only what the test seeds."""
    yield from local_server(tmp_path_factory.mktemp("readiness") / "data")


def _square(lon: float, lat: float, d: float = 0.004) -> list[list[float]]:
    corners = [(-d, -d), (d, -d), (d, d), (-d, d), (-d, -d)]
    return [[lon + dx, lat + dy] for dx, dy in corners]


def _seed(server: Server) -> tuple[Any, str]:
    admin, csrf = api_session(server.url, "admin")
    url = server.url + "/api/gis/layers/{}/features"
    for code, lon, office in (
        ("RD-A", 113.30, "Alpha St"),
        ("RD-B", 113.32, "Alpha St"),
        ("RD-C", 113.34, "Beta St"),
    ):
        api_post(
            admin,
            csrf,
            url.format("communities"),
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [_square(lon, 23.10)]},
                "properties": {
                    "name": f"Community {code}",
                    "code": code,
                    "population": 2000,
                    "households": 800,
                    "street_office": office,
                },
            },
        )
    # RD-A gets a big shelter inside it and kits for every household: it must rank first.
    api_post(
        admin,
        csrf,
        url.format("shelters"),
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [113.30, 23.10]},
            "properties": {"name": "A park", "kind": "emergency", "capacity": 5000, "open": True},
        },
    )
    _kits(admin, csrf, server, "RD-A", 800)
    api_post(admin, csrf, server.url + "/api/readiness/recompute", {})
    return admin, csrf


def _kits(opener: Any, csrf: str, server: Server, code: str, qty: int) -> None:
    body = f"community_code,category,quantity,date,unit\n{code},standard,{qty},2026-05-01,\n"
    req = urllib.request.Request(
        server.url + "/api/gis/kits/import",
        body.encode(),
        {"Content-Type": "text/csv", "X-CSRF-Token": csrf},
    )
    with opener.open(req, timeout=10) as resp:
        assert json.load(resp)["imported"] == 1


def test_ranked_filtered_drill_down_and_live(browser: Browser, server: Server) -> None:
    admin, csrf = _seed(server)
    page = new_page(browser, "en")
    try:
        login(page, server.url, "coordinator")
        page.goto(server.url + "/#/readiness")
        rows = page.get_by_test_id("readiness-rows").locator("tr[data-code]")
        expect(rows).to_have_count(3)
        codes = rows.evaluate_all("rs => rs.map(r => r.dataset.code)")
        scores = [float(s) for s in rows.evaluate_all("rs => rs.map(r => r.dataset.score)")]
        assert scores == sorted(scores), scores  # weakest first by default
        assert codes[-1] == "RD-A" and scores[-1] > scores[0]
        page.get_by_test_id("readiness-sort").select_option("desc")
        expect(rows.first).to_have_attribute("data-code", "RD-A")
        expect(page.get_by_test_id("readiness-row-RD-B").locator(".rd-weakest")).not_to_be_empty()
        expect(page.get_by_test_id("readiness-row-RD-A").locator("svg.spark")).to_have_count(1)
        shot(page, "readiness-en")

        page.get_by_test_id("readiness-office").select_option("Beta St")
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-code", "RD-C")
        assert "street_office=Beta+St" in page.evaluate("location.hash")
        page.get_by_test_id("readiness-office").select_option("")
        expect(rows).to_have_count(3)

        page.get_by_test_id("readiness-component").select_option("kits")
        page.get_by_test_id("readiness-below").fill("50")
        expect(rows).to_have_count(2)  # RD-A's kits reach every household
        expect(page.get_by_test_id("readiness-row-RD-A")).to_have_count(0)
        page.get_by_test_id("readiness-component").select_option("")

        page.get_by_test_id("readiness-row-RD-A").click()
        detail = page.get_by_test_id("readiness-detail")
        expect(detail).to_be_visible()
        expect(detail.get_by_test_id("readiness-detail-kits")).to_be_visible()
        page.keyboard.press("Escape")

        before = page.get_by_test_id("readiness-row-RD-C").get_attribute("data-score")
        _kits(admin, csrf, server, "RD-C", 800)
        expect(page.get_by_test_id("readiness-row-RD-C")).not_to_have_attribute(
            "data-score", before or "", timeout=15_000
        )
    finally:
        close(page)


def test_chinese_and_csv_link(browser: Browser, server: Server) -> None:
    page = new_page(browser, "zh-CN")
    try:
        login(page, server.url, "viewer")
        page.goto(server.url + "/#/readiness")
        expect(page.get_by_test_id("readiness-office")).to_contain_text("全部街道")
        expect(page.get_by_test_id("readiness-recompute")).to_have_count(0)
        href = page.get_by_test_id("readiness-csv").get_attribute("href")
        assert href == "/api/readiness.csv"
        text = page.evaluate("href => fetch(href).then(r => r.text())", href)
        assert "code" in text.splitlines()[0]
    finally:
        close(page)
