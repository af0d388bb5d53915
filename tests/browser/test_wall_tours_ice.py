"""In Debian's Chromium: a tour authored on the wall (steps, dwell times, validation, edit,
delete) runs and pre-opens its next step; STUN/TURN servers set in the server's settings
reach the browser's peer connections (and the server's own), and no TURN password is logged."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.harness import Server, close, demo, login, new_page, shot, stop
from tests.peers.stun import StunServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TURN_PASSWORD = "turn-pass-never-logged"


def tile_count(page: Page) -> int:
    count: int = page.get_by_test_id("wall-grid").locator(".wall-tile").count()
    return count


def test_tour_authored_in_the_ui_runs(browser: Browser, server: Server) -> None:
    page = new_page(browser, "en")
    prewarms: list[dict[str, object]] = []
    page.on(
        "request",
        lambda r: (
            prewarms.append(json.loads(r.post_data or "{}"))
            if r.url.endswith("/api/live/prewarm")
            else None
        ),
    )
    try:
        login(page, server.url, "operator")
        page.goto(server.url + "/#/wall")
        expect(page.get_by_test_id("wall-grid").locator(".wall-tile")).to_have_count(4)
        page.get_by_test_id("wall-tour-new").click()
        dialog = page.get_by_test_id("tour-dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_label("Name of the tour").fill("AAA night round")
        dialog.get_by_test_id("dialog-submit").click()
        expect(dialog.locator(".alert")).to_contain_text("at least one step")
        dialog.get_by_test_id("tour-step-add").click()
        dialog.get_by_test_id("tour-step-add").click()
        steps = dialog.get_by_test_id("tour-step")
        steps.nth(0).get_by_test_id("tour-step-ref").select_option("YX-0004")
        steps.nth(0).get_by_test_id("tour-step-dwell").fill("1")  # too short
        steps.nth(1).get_by_test_id("tour-step-kind").select_option("wall")
        dialog.get_by_test_id("dialog-submit").click()
        expect(steps.nth(0).locator(".field-error")).to_contain_text("3 to 3600")
        steps.nth(0).get_by_test_id("tour-step-dwell").fill("3")
        steps.nth(1).get_by_test_id("tour-step-dwell").fill("4")
        # Order: the wall first, then the camera.
        steps.nth(1).get_by_test_id("tour-step-up").click()
        expect(steps.nth(0).get_by_test_id("tour-step-kind")).to_have_value("wall")
        shot(page, "wall-tour-dialog")
        dialog.get_by_test_id("dialog-submit").click()
        expect(dialog).to_be_hidden()
        tour_select = page.get_by_test_id("wall-tour-select")
        expect(tour_select.locator("option:checked")).to_have_text("AAA night round")

        page.get_by_test_id("wall-tour").click()
        page.wait_for_function(
            "() => Number(document.querySelector('[data-tour-step]')?.dataset.tourStep) >= 2",
            timeout=20_000,
        )
        assert tile_count(page) == 1  # the camera step (after the 4-tile wall)
        expect(page.get_by_test_id("wall-tile-0")).to_have_attribute("data-camera", "YX-0004")
        page.get_by_test_id("wall-tour").click()
        # While the wall showed, its next step's camera was opened on the server.
        assert any(p.get("cameras") == ["YX-0004"] for p in prewarms), prewarms

        page.get_by_test_id("wall-tour-edit").click()
        dialog = page.get_by_test_id("tour-dialog")
        dialog.get_by_label("Name of the tour").fill("AAA night round 2")
        dialog.get_by_test_id("tour-step").nth(1).get_by_test_id("tour-step-remove").click()
        dialog.get_by_test_id("dialog-submit").click()
        expect(dialog).to_be_hidden()
        expect(tour_select.locator("option:checked")).to_have_text("AAA night round 2")
        page.get_by_test_id("wall-tour-delete").click()
        page.get_by_test_id("confirm-dialog").locator(".btn-danger").click()
        expect(tour_select.locator("option", has_text="AAA night round")).to_have_count(0)
    finally:
        close(page)


@pytest.fixture(scope="module")
def stun() -> Iterator[StunServer]:
    server = StunServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def ice_server(tmp_path_factory: pytest.TempPathFactory, stun: StunServer) -> Iterator[Server]:
    """A demo console whose settings name a STUN and a TURN server."""
    servers = [
        {"urls": [f"stun:127.0.0.1:{stun.port}"]},
        {
            "urls": ["turn:127.0.0.1:9?transport=udp"],
            "username": "wall",
            "credential": TURN_PASSWORD,
        },
    ]
    mp = pytest.MonkeyPatch()
    mp.setenv("EOC_LIVE__ICE_SERVERS", json.dumps(servers))
    mp.setenv("EOC_LIVE__SERVER_USES_ICE_SERVERS", "true")
    try:
        srv = demo(tmp_path_factory.mktemp("eoc-ice"))
    finally:
        mp.undo()
    yield srv
    stop(srv)


CAPTURE = """() => {
  window.iceConfigs = [];
  const Real = window.RTCPeerConnection;
  window.RTCPeerConnection = function (config) {
    window.iceConfigs.push(JSON.parse(JSON.stringify(config || {})));
    return new Real(config);
  };
  window.RTCPeerConnection.prototype = Real.prototype;
}"""


def test_ice_servers_from_settings_reach_the_browser(
    browser: Browser, ice_server: Server, stun: StunServer
) -> None:
    page = new_page(browser, "en")
    page.add_init_script(f"({CAPTURE})()")
    try:
        login(page, ice_server.url, "operator")
        page.goto(ice_server.url + "/#/wall?cameras=YX-0001")
        page.wait_for_function(
            "() => { const v = document.querySelector('.wall-tile video');"
            " return v && v.videoWidth > 0 && v.currentTime > 0.5; }",
            timeout=40_000,
        )
        configs = page.evaluate("() => window.iceConfigs")
        assert configs and configs[0]["iceServers"] == [
            {"urls": [f"stun:127.0.0.1:{stun.port}"]},
            {
                "urls": ["turn:127.0.0.1:9?transport=udp"],
                "username": "wall",
                "credential": TURN_PASSWORD,
            },
        ]
        deadline = time.monotonic() + 10
        while len({port for _host, port in stun.requests}) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        # Binding requests from the browser's and from the server's ICE agents.
        assert len({port for _host, port in stun.requests}) >= 2, stun.requests
    finally:
        close(page)
    assert TURN_PASSWORD not in Path(ice_server.log).read_text(errors="replace")
