"""The operations view in Debian's Chromium: landing per role, panes resized and the layout
saved per user and per screen class, live updates over /ws, map selections opened on the
wall, the exercise banner on every page (a real incident first), both viewport sizes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import shapely
from playwright.sync_api import Browser, Page, expect

from tests.browser.harness import (
    ARTIFACTS,
    Server,
    api_session,
    close,
    connected,
    demo,
    drill_walk,
    login,
    new_page,
    shot,
    stop,
    unit_id,
)
from tests.browser.ops_api import call, close_open_incidents, get, open_ops, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def ops_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A demo server of its own: these tests open incidents and change the district."""
    srv = demo(tmp_path_factory.mktemp("eoc-ops"))
    yield srv
    stop(srv)


def sized(browser: Browser, locale: str, width: int, height: int) -> Page:
    """A page in a fresh context with the given viewport (records uncaught errors)."""
    page = new_page(browser, locale)
    page.set_viewport_size({"width": width, "height": height})
    return page


def layout(page: Page) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(
        page.get_by_test_id("ops-grid").get_attribute("data-layout") or "{}"
    )
    return value


def saved_pref(page: Page, key: str) -> Any:
    return page.evaluate(
        "(k) => fetch('/api/me/preferences/' + k).then((r) => (r.ok ? r.json() : null))", key
    )


def map_point(page: Page, lon: float, lat: float) -> tuple[float, float]:
    """Page coordinates of a lon/lat on the operations map."""
    box = page.get_by_test_id("ops-map").bounding_box()
    assert box is not None
    p = page.evaluate(
        "([lon, lat]) => { const m = document.querySelector('[data-testid=ops-map]').opsMap.map;"
        " const p = m.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [lon, lat],
    )
    return box["x"] + p[0], box["y"] + p[1]


def test_landing_keys_and_layout_saved_per_user(browser: Browser, ops_server: Server) -> None:
    url = ops_server.url
    page = new_page(browser, "en")
    try:
        open_ops(page, url, "operator")
        expect(page.get_by_test_id("ops-grid")).to_have_attribute("data-screen", "desk")
        before = layout(page)
        assert before["col"] == pytest.approx(0.62) and before["tiles"] == 4
        # Drag the divider between the map and the wall 200 px to the left ...
        box = page.get_by_test_id("ops-split-col").bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x - 200, y, steps=8)
        page.mouse.up()
        # ... and shrink the top row from the keyboard.
        page.get_by_test_id("ops-split-row").focus()
        for _ in range(3):
            page.keyboard.press("ArrowUp")
        after = layout(page)
        assert after["col"] < before["col"] - 0.1
        assert after["row"] == pytest.approx(before["row"] - 0.06)
        expect(page.get_by_test_id("ops-split-row")).to_have_attribute(
            "aria-valuenow", str(round(after["row"] * 100))
        )
        stored = wait_until(
            lambda: (saved_pref(page, "opsview.layout") or {}).get("value", {}).get("desk"),
            what="the layout saved on the server",
        )
        assert stored["col"] == pytest.approx(after["col"])
        page.reload()
        expect(page.get_by_test_id("ops-view")).to_have_attribute("data-ready", "true")
        assert layout(page)["col"] == pytest.approx(after["col"])
        assert layout(page)["row"] == pytest.approx(after["row"])

        # Keyboard-driven like the wall: ? lists the keys, digits select tiles.
        page.get_by_test_id("ops-map").click(position={"x": 5, "y": 300})
        page.keyboard.press("?")
        help_box = page.get_by_test_id("ops-help")
        expect(help_box).to_be_visible()
        expect(help_box).to_contain_text("Draw a box on the map")
        shot(page, "ops-help-en")
        page.keyboard.press("Escape")
        expect(help_box).to_have_count(0)
        page.keyboard.press("2")
        expect(page.get_by_test_id("ops-tile-1")).to_have_class("wall-tile selected")
    finally:
        close(page)

    # Another user keeps the built-in layout; L resets one's own.
    admin = new_page(browser, "zh-CN")
    try:
        open_ops(admin, url, "admin")
        assert layout(admin)["col"] == pytest.approx(0.62)
    finally:
        close(admin)
    page = new_page(browser, "en")
    try:
        open_ops(page, url, "operator")
        assert layout(page)["col"] < 0.5
        page.get_by_test_id("ops-reset-layout").click()
        assert layout(page)["col"] == pytest.approx(0.62)
        wait_until(lambda: saved_pref(page, "opsview.layout") is None, what="layout forgotten")
    finally:
        close(page)

    # Roles other than operators and command keep their landing page (the wall).
    for user in ("coordinator", "viewer"):
        other = new_page(browser, "en")
        try:
            login(other, url, user)
            expect(other).to_have_url(f"{url}/#/wall")
            expect(other.get_by_test_id("nav-ops")).to_be_visible()
        finally:
            close(other)


def test_live_updates_over_the_websocket(browser: Browser, ops_server: Server) -> None:
    url = ops_server.url
    page = new_page(browser, "en")
    try:
        open_ops(page, url, "operator")
        connected(page)
        cams_before = int(page.get_by_test_id("ops-map").get_attribute("data-cameras") or 0)

        # A drill today, started: it shows live at the top, one click into live drill mode.
        coord, ccsrf = api_session(url, "coordinator")
        eqo, psb = unit_id(coord, url, "eqo"), unit_id(coord, url, "psb")
        now = datetime.now(SH).replace(microsecond=0)
        plan = {
            "title": "总览实时演练",
            "type": "drill",
            "community_ids": ["C40"],
            "venue_shelter_id": "S20",
            "organising_unit": str(eqo),
            "participating_units": [str(psb)],
            "start": (now + timedelta(minutes=20)).isoformat(),
            "end": (now + timedelta(hours=2)).isoformat(),
        }
        call(coord, ccsrf, "POST", url + "/api/drills", {"id": "ops-live", "plan": plan})
        drill_walk(url, "ops-live", ("submitted", "approved", "scheduled"), (coord, ccsrf))
        started = {"If-Match": '"4"'}  # created, submitted, approved, scheduled
        call(coord, ccsrf, "POST", url + "/api/drills/ops-live/start", headers=started)
        row = page.get_by_test_id("ops-drill-ops-live")
        expect(row).to_have_attribute("data-status", "in_progress")
        expect(row).to_have_class("ops-drill live")
        expect(page.get_by_test_id("ops-drills-today").locator("li").first).to_have_attribute(
            "data-testid", "ops-drill-ops-live"
        )
        feed = page.get_by_test_id("ops-feed")
        expect(feed).to_contain_text("总览实时演练")

        # A shelter head count and a new camera arrive without a reload.
        fid = get(coord, url + "/api/gis/layers/shelters.geojson")["features"][0]["id"]
        at = datetime.now(UTC).isoformat()
        call(
            coord,
            ccsrf,
            "POST",
            f"{url}/api/gis/shelters/{fid}/occupancy",
            {"at": at, "count": 321},
        )
        expect(page.get_by_test_id(f"ops-occ-{fid}")).to_contain_text("321")
        expect(feed).to_contain_text(f"{fid}: 321")
        admin, acsrf = api_session(url, "admin")
        body = {
            "id": "OPS-LIVE-CAM",
            "name": "总览新摄像机",
            "owner_unit_id": psb,
            "lon": 113.29,
            "lat": 23.13,
            "main_url": "rtsp://127.0.0.1:9/none",
            "enabled": False,
        }
        call(admin, acsrf, "POST", url + "/api/cameras", body)
        expect(page.get_by_test_id("ops-map")).to_have_attribute(
            "data-cameras", str(cams_before + 1)
        )
        shot(page, "ops-live-en")

        page.get_by_test_id("ops-drill-live-ops-live").click()
        expect(page).to_have_url(f"{url}/#/drills/ops-live/live")
        expect(page.get_by_test_id("drills-view-live")).to_be_visible()
    finally:
        close(page)


def covering_community(opener: Any, csrf: str, url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A community some camera covers, and the server's answer for it."""
    for f in get(opener, url + "/api/gis/layers/communities.geojson")["features"]:
        out = call(
            opener, csrf, "POST", url + "/api/ops/selection", {"kind": "community", "id": f["id"]}
        )
        if out["total"]:
            return f, out
    raise AssertionError("no community is covered by a camera")


def test_open_map_selections_on_the_wall(browser: Browser, ops_server: Server) -> None:
    url = ops_server.url
    op, csrf = api_session(url, "operator")
    feature, answer = covering_community(op, csrf, url)
    page = new_page(browser, "zh-CN")
    try:
        open_ops(page, url, "operator")
        # A community: click inside it on the map; the server says which cameras cover it.
        inside = shapely.geometry.shape(feature["geometry"]).representative_point()
        page.mouse.click(*map_point(page, inside.x, inside.y))
        bar = page.get_by_test_id("ops-selection")
        expect(bar).to_have_attribute("data-kind", "community")
        expect(page.get_by_test_id("ops-selection-name")).to_have_text(answer["label"])
        expect(bar).to_have_attribute("data-total", str(answer["total"]))
        page.get_by_test_id("ops-selection-open").click()
        expect(page).to_have_url(f"{url}/{answer['wall_link']}")
        tiles = page.get_by_test_id("wall-grid").locator(
            ".wall-tile[data-camera]:not([data-camera=''])"
        )
        expect(tiles).to_have_count(len(answer["chosen"]))
        page.go_back()
        expect(page.get_by_test_id("ops-view")).to_have_attribute("data-ready", "true")

        # A box drawn around a camera (B, two corners).
        cam = next(
            c for c in get(op, url + "/api/cameras?limit=100")["items"] if c["id"] == "YX-0001"
        )
        d = 0.0015
        page.get_by_test_id("ops-map").click(position={"x": 5, "y": 300})
        page.keyboard.press("b")
        expect(page.get_by_test_id("ops-map")).to_have_attribute("data-drawing", "rectangle")
        page.mouse.click(*map_point(page, cam["lon"] - d, cam["lat"] + d))
        page.mouse.click(*map_point(page, cam["lon"] + d, cam["lat"] - d))
        expect(bar).to_have_attribute("data-kind", "area")
        expect(page.get_by_test_id("ops-selection-count")).to_contain_text("覆盖的视频")
        shot(page, "ops-selection-zh-CN")
        page.keyboard.press("w")
        expect(page).to_have_url(re.compile(r"#/wall\?cameras=.*YX-0001"))
        page.go_back()
        expect(page.get_by_test_id("ops-view")).to_have_attribute("data-ready", "true")

        # A polygon (A, clicks, Enter) around the same camera.
        page.get_by_test_id("ops-draw-area").click()
        for dx, dy in ((-d, d), (d, d), (d, -d), (-d, -d)):
            page.mouse.click(*map_point(page, cam["lon"] + dx, cam["lat"] + dy))
        page.keyboard.press("Enter")
        expect(bar).to_have_attribute("data-kind", "area")
        expect(page.get_by_test_id("ops-selection-open")).to_be_visible()
        page.keyboard.press("Escape")
        expect(bar).to_be_hidden()
    finally:
        close(page)


def test_exercise_banner_everywhere_and_a_real_incident_first(
    browser: Browser, ops_server: Server
) -> None:
    url = ops_server.url
    coord = new_page(browser, "zh-CN")
    admin_api, acsrf = api_session(url, "admin")
    try:
        login(coord, url, "coordinator")
        coord.get_by_test_id("nav-ops").click()
        expect(coord.get_by_test_id("ops-view")).to_have_attribute("data-ready", "true")
        # A new scenario on the demo fault, with the Nanao occupancy replay.
        coord.get_by_test_id("ops-start-exercise").click()
        form = coord.get_by_test_id("ops-exercise-form")
        form.locator("[name=scenario_id]").select_option("")
        form.locator("[name=name]").fill("总览演练情景")
        form.locator("[name=magnitude]").fill("6.0")
        expect(form.locator("[name=fault_fid]")).to_have_value("F-DEMO")
        expect(form.locator("[name=replay]")).to_be_checked()
        shot(coord, "ops-exercise-form-zh-CN")
        form.get_by_test_id("ops-exercise-submit").click()
        view = coord.get_by_test_id("ops-view")
        expect(view).to_have_attribute("data-mode", "exercise", timeout=30_000)
        expect(coord.get_by_test_id("ops-exercise-label")).to_have_text("演练 / EXERCISE")
        banner = coord.get_by_test_id("incident-banner-exercise")
        expect(banner).to_contain_text("演练 / EXERCISE")
        expect(coord.get_by_test_id("incident-banner-real")).to_have_count(0)
        shot(coord, "ops-exercise-zh-CN")
        # On every screen, in both languages.
        for nav in ("wall", "map", "drills", "health", "readiness", "incidents"):
            coord.get_by_test_id(f"nav-{nav}").click()
            expect(banner).to_be_visible()
        expect(
            coord.get_by_test_id("incidents-open").locator("[data-exercise=true]")
        ).to_have_count(1)
        coord.get_by_test_id("lang-en").click()
        expect(banner).to_contain_text("演练 / EXERCISE")

        # A real earthquake while the exercise runs: its banner comes first and the view
        # switches to it; the exercise is never shown as the real one.
        coord.get_by_test_id("nav-ops").click()
        expect(view).to_have_attribute("data-mode", "exercise")
        op, ocsrf = api_session(url, "operator")
        x0, y0, x1, y1 = 113.262, 23.105, 113.322, 23.150
        quake = {
            "lat": (y0 + y1) / 2,
            "lon": (x0 + x1) / 2,
            "depth_km": 12,
            "magnitude": 5.8,
            "origin_time": (datetime.now(UTC) - timedelta(minutes=2)).isoformat(),
            "place": "示范区",
        }
        filed = call(op, ocsrf, "POST", url + "/api/quakes", quake)
        assert filed["incident_id"] and filed["is_exercise"] is False
        lines = coord.locator("#incident-banner > div")
        expect(lines).to_have_count(2)
        expect(lines.first).to_have_attribute("data-testid", "incident-banner-real")
        expect(coord.get_by_test_id("incident-banner-exercise")).to_contain_text(
            "A real incident is open"
        )
        expect(view).to_have_attribute("data-mode", "incident")
        expect(view).to_have_attribute("data-incident", str(filed["incident_id"]))
        expect(coord.locator("html")).to_have_attribute("data-incident", "real")
        shot(coord, "ops-real-over-exercise-en")

        # Closing the real incident leaves the exercise banner alone.
        coord.get_by_test_id("ops-close-incident").click()
        expect(coord.get_by_test_id("incident-banner-real")).to_have_count(0)
        expect(coord.get_by_test_id("incident-banner-exercise")).to_be_visible()
        expect(view).to_have_attribute("data-mode", "normal")
    finally:
        close_open_incidents(admin_api, acsrf, url)
        close(coord)


def test_desk_and_video_wall_sizes(browser: Browser, ops_server: Server) -> None:
    url = ops_server.url
    wall = sized(browser, "zh-CN", 3840, 2160)
    try:
        open_ops(wall, url, "admin")
        expect(wall.get_by_test_id("ops-grid")).to_have_attribute("data-screen", "wall")
        expect(wall.get_by_test_id("ops-wall-count")).to_have_value("9")
        expect(wall.get_by_test_id("ops-wall-grid").locator(".wall-tile")).to_have_count(9)
        # The map fills its pane on the big screen too.
        box = wall.get_by_test_id("ops-map").bounding_box()
        assert box is not None and box["width"] > 1800 and box["height"] > 1000
        shot(wall, "ops-view-3840x2160-zh-CN")
        wall.get_by_test_id("ops-split-col").focus()
        wall.keyboard.press("ArrowRight")
        wait_until(
            lambda: (saved_pref(wall, "opsview.layout") or {}).get("value", {}).get("wall"),
            what="the wall layout saved",
        )
    finally:
        close(wall)
    desk = sized(browser, "zh-CN", 1920, 1080)
    try:
        open_ops(desk, url, "admin")
        expect(desk.get_by_test_id("ops-grid")).to_have_attribute("data-screen", "desk")
        # The wall PC's layout does not move the desk's.
        assert layout(desk)["col"] == pytest.approx(0.62) and layout(desk)["tiles"] == 4
        expect(desk.get_by_test_id("ops-wall-grid").locator(".wall-tile")).to_have_count(4)
        shot(desk, "ops-view-1920x1080-zh-CN")
        # Nothing overflows the desk screen: the page does not scroll.
        assert desk.evaluate("document.scrollingElement.scrollHeight") <= 1080
    finally:
        close(desk)
    assert (ARTIFACTS / "ops-view-3840x2160-zh-CN.png").exists()
