"""Importing from the map page in Chromium: the real Nanao shelters (EPSG:6675, legacy `crs`
member) land with the CRS named in the report; a kits CSV with a bad row is refused whole,
naming the row, and then imported partially."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.harness import api_post, api_session, close, login, new_page, shot
from tests.browser.test_map_page import Server, local_server
from tests.paths import NANAO

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's own server with the demo users and no layers."""
    yield from local_server(tmp_path_factory.mktemp("map-import") / "data")


def count(opener: object, url: str) -> int:
    with opener.open(url, timeout=10) as resp:  # type: ignore[attr-defined]
        return len(json.load(resp)["features"])


def test_import_nanao_shelters_and_kits(browser: Browser, server: Server, tmp_path: Path) -> None:
    expected = len(json.loads((NANAO / "open_shelter_Nanao-shi.geojson").read_text())["features"])
    admin, csrf = api_session(server.url, "admin")
    # A community in Nanao: the site the shelters are judged against.
    ring = [[136.90, 37.00], [137.00, 37.00], [137.00, 37.08], [136.90, 37.08], [136.90, 37.00]]
    community = {
        "type": "Feature",
        "id": "K1",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"name": "导入社区", "code": "K1", "population": 1000, "households": 400},
    }
    api_post(admin, csrf, server.url + "/api/gis/layers/communities/features", community)
    page = new_page(browser, "en")
    try:
        login(page, server.url, "coordinator")
        page.goto(server.url + "/#/map")
        page.get_by_test_id("map-import").click()
        dialog = page.get_by_test_id("map-import-dialog")
        dialog.locator("select[name=target]").select_option("shelters")
        dialog.locator("input[name=file]").set_input_files(
            str(NANAO / "open_shelter_Nanao-shi.geojson")
        )
        # The Japanese attribute names are not shelter fields: refused whole, nothing stored.
        dialog.get_by_test_id("dialog-submit").click()
        error = dialog.locator("[data-field=file] .field-error")
        expect(error).to_contain_text("Nothing imported, 1 problem(s):")
        expect(error).to_contain_text("features.0.properties.name")
        assert count(admin, server.url + "/api/gis/layers/shelters.geojson") == 0
        dialog.locator("input[name=mapping]").fill("名称 = name; 人数 = occupancy")
        dialog.locator("input[name=fid_field]").fill("ID")
        dialog.locator("input[name=source]").fill("nanao")
        dialog.get_by_test_id("dialog-submit").click()
        preview = page.get_by_test_id("import-preview")
        expect(preview.get_by_test_id("import-summary")).to_contain_text(f"Would create {expected}")
        expect(preview.get_by_test_id("import-crs")).to_contain_text("6675")
        page.get_by_test_id("import-commit").click()
        report = page.get_by_test_id("import-committed")
        expect(report.get_by_test_id("import-summary")).to_contain_text(f"{expected} created")
        shot(page, "map-import-report-en")
        assert count(admin, server.url + "/api/gis/layers/shelters.geojson") == expected
        # Again from the same source without a mapping: the saved one is used.
        page.get_by_test_id("map-import").click()
        dialog = page.get_by_test_id("map-import-dialog")
        dialog.locator("select[name=target]").select_option("shelters")
        dialog.locator("input[name=file]").set_input_files(
            str(NANAO / "open_shelter_Nanao-shi.geojson")
        )
        dialog.locator("input[name=fid_field]").fill("ID")
        dialog.locator("input[name=source]").fill("nanao")
        dialog.get_by_test_id("dialog-submit").click()
        page.get_by_test_id("import-commit").click()
        report = page.get_by_test_id("import-committed")
        expect(report.get_by_test_id("import-summary")).to_contain_text(f"{expected} updated")

        kits = tmp_path / "kits.csv"
        kits.write_text(
            "community_code,category,quantity,date,unit,lon,lat\n"
            "K1,standard,30,2026-05-01,,,\n"
            "NOPE,standard,5,2026-05-01,,,\n",
            "utf-8",
        )
        page.get_by_test_id("map-import").click()
        dialog = page.get_by_test_id("map-import-dialog")
        dialog.locator("select[name=target]").select_option("kits")
        dialog.locator("input[name=file]").set_input_files(str(kits))
        dialog.get_by_test_id("dialog-submit").click()
        expect(dialog.locator(".alert")).to_contain_text("row 3")
        with admin.open(server.url + "/api/gis/kits/summary", timeout=10) as resp:
            assert json.load(resp)["total"] == 0  # all or nothing
        dialog.locator("input[name=partial]").check()
        dialog.get_by_test_id("dialog-submit").click()
        report = page.get_by_test_id("map-import-report")
        expect(report.get_by_test_id("import-summary")).to_contain_text(
            "1 rows imported, 1 skipped"
        )
        with admin.open(server.url + "/api/gis/kits/summary", timeout=10) as resp:
            assert json.load(resp)["total"] == 30
    finally:
        close(page)
