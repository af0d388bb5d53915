"""Import preview and undo on the map page in Chromium: a DataV district file (GCJ-02, no
CRS) is previewed on the map, flagged as Chinese web-map data, re-previewed as GCJ-02,
committed, and undone from the report and from the import history."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.harness import api_post, api_session, close, login, new_page, shot
from tests.browser.test_map_page import Server, local_server
from tests.paths import GIS_FIXTURES

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DATAV = GIS_FIXTURES / "datav_guangzhou_districts_gcj02.json"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's own server with the demo users and one Guangzhou community."""
    yield from local_server(tmp_path_factory.mktemp("map-preview") / "data")


def features(opener: object, url: str) -> dict[str, dict[str, object]]:
    with opener.open(url, timeout=10) as resp:  # type: ignore[attr-defined]
        return {f["id"]: f for f in json.load(resp)["features"]}


def test_preview_choose_gcj02_commit_and_undo(browser: Browser, server: Server) -> None:
    admin, csrf = api_session(server.url, "admin")
    ring = [[113.25, 23.11], [113.26, 23.11], [113.26, 23.12], [113.25, 23.12], [113.25, 23.11]]
    api_post(
        admin,
        csrf,
        server.url + "/api/gis/layers/communities/features",
        {
            "type": "Feature",
            "id": "GZ-1",
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {
                "name": "已有社区",
                "code": "GZ-1",
                "population": 1000,
                "households": 300,
            },
        },
    )
    url = server.url + "/api/gis/layers/communities.geojson"
    page = new_page(browser, "en")
    try:
        login(page, server.url, "coordinator")
        page.goto(server.url + "/#/map")
        expect(page.get_by_test_id("map-view")).to_have_attribute("data-ready", "true")
        page.get_by_test_id("map-import").click()
        dialog = page.get_by_test_id("map-import-dialog")
        dialog.locator("select[name=target]").select_option("communities")
        dialog.locator("input[name=file]").set_input_files(str(DATAV))
        dialog.locator("input[name=mapping]").fill("adcode = code; name = name")
        dialog.get_by_test_id("dialog-submit").click()

        # The dry run is drawn on the map, nothing is stored yet, and the panel says why the
        # coordinate system matters.
        preview = page.get_by_test_id("import-preview")
        expect(preview.get_by_test_id("import-summary")).to_contain_text("Would create 4")
        expect(page.locator("path.map-preview")).to_have_count(4)
        notes = preview.get_by_test_id("import-notes")
        expect(notes).to_contain_text("Amap (Gaode), Tencent or DataV is GCJ-02")
        assert set(features(admin, url)) == {"GZ-1"}
        before = [float(v) for v in (preview.get_attribute("data-bbox") or "").split(",")]
        shot(page, "map-import-preview-wgs84-en")

        # Choosing GCJ-02 previews again: the outlines move by the offset (500-700 m).
        choice = page.get_by_test_id("import-crs-choice")
        expect(choice).to_contain_text("GCJ-02 (moves about")
        choice.locator("input[value='GCJ-02']").check()
        expect(page.get_by_test_id("import-commit")).to_contain_text("GCJ-02")
        expect(page.get_by_test_id("import-preview")).to_have_attribute("data-crs", "GCJ-02")
        expect(page.locator("path.map-preview")).to_have_count(4)
        after = [float(v) for v in (preview.get_attribute("data-bbox") or "").split(",")]
        # Guangzhou's GCJ-02 offset is about 0.0053 deg east and 0.0027 deg south: undone here.
        assert 0.004 < before[0] - after[0] < 0.007 and 0.001 < after[1] - before[1] < 0.004
        shot(page, "map-import-preview-gcj02-en")

        page.get_by_test_id("import-commit").click()
        report = page.get_by_test_id("import-committed")
        expect(report.get_by_test_id("import-summary")).to_contain_text("4 created, 0 updated")
        expect(page.locator("path.map-preview")).to_have_count(0)
        stored = features(admin, url)
        assert set(stored) == {"GZ-1", "440103", "440104", "440105", "440106"}

        # Undo from the report: the four districts go, the community that was there stays.
        page.get_by_test_id("import-undo").click()
        page.get_by_test_id("confirm-dialog").get_by_role("button", name="Undo this import").click()
        expect(page.get_by_test_id("import-undone")).to_be_visible()
        assert set(features(admin, url)) == {"GZ-1"}

        # The history lists the batch as undone; a second import is undone from there.
        page.get_by_test_id("map-import").click()
        dialog = page.get_by_test_id("map-import-dialog")
        dialog.locator("select[name=target]").select_option("communities")
        dialog.locator("input[name=file]").set_input_files(str(DATAV))
        dialog.locator("input[name=mapping]").fill("adcode = code; name = name")
        dialog.locator("select[name=crs]").select_option("GCJ-02")
        dialog.get_by_test_id("dialog-submit").click()
        # The undone districts are deleted features: this import brings them back.
        expect(page.get_by_test_id("import-preview")).to_contain_text("Would create 0, update 4")
        expect(page.get_by_test_id("import-restored")).to_contain_text("4 were deleted")
        page.get_by_test_id("import-commit").click()
        expect(page.get_by_test_id("import-committed")).to_contain_text("0 created, 4 updated")
        page.get_by_test_id("map-imports").click()
        history = page.get_by_test_id("map-imports-dialog")
        expect(history.locator("tr[data-testid^=import-row-]")).to_have_count(2)
        expect(history).to_contain_text("Undone by coordinator")
        shot(page, "map-import-history-en")
        history.locator("button[data-testid^=import-undo-]").click()
        page.get_by_test_id("confirm-dialog").get_by_role("button", name="Undo this import").click()
        expect(history).not_to_contain_text("Undo this import")
        assert set(features(admin, url)) == {"GZ-1"}
    finally:
        close(page)


def test_refused_import_named_in_chinese(browser: Browser, server: Server) -> None:
    """A lon/lat file declared as EPSG:4547 is refused by the CRS field, in zh-CN."""
    page = new_page(browser, "zh-CN")
    try:
        login(page, server.url, "coordinator")
        page.goto(server.url + "/#/map")
        page.get_by_test_id("map-import").click()
        dialog = page.get_by_test_id("map-import-dialog")
        dialog.locator("select[name=target]").select_option("communities")
        dialog.locator("input[name=file]").set_input_files(str(DATAV))
        dialog.locator("input[name=mapping]").fill("adcode = code; name = name")
        dialog.locator("select[name=crs]").select_option("other")
        dialog.locator("input[name=crs_other]").fill("EPSG:4547")
        dialog.get_by_test_id("dialog-submit").click()
        err = dialog.locator("[data-field=crs] .field-error")
        expect(err).to_contain_text("要素将落在 109.5")
        expect(err).to_contain_text("公里")
        shot(page, "map-import-refused-zh")
    finally:
        close(page)
