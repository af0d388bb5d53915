"""Wall controls: cameras opened from another page's link, arrow keys, shortcut help, saving a
unit-shared wall, choosing a tour, pushing the selected camera, and tiles scrolled off screen
stopping their streams and resuming."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.harness import Server, api_post, api_session, close, login, new_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def get_json(opener: Any, url: str) -> Any:
    with opener.open(url, timeout=10) as resp:
        return json.load(resp)


def delete(opener: Any, csrf: str, url: str) -> None:
    req = urllib.request.Request(url, method="DELETE", headers={"X-CSRF-Token": csrf})
    with opener.open(req, timeout=10):
        pass


def test_link_keys_help_save_shared_and_offscreen(browser: Browser, server: Server) -> None:
    page = new_page(browser, "en")
    try:
        login(page, server.url, "operator")
        page.goto(server.url + "/#/wall?cameras=YX-0002,YX-0004,YX-0006")
        grid = page.get_by_test_id("wall-grid")
        expect(grid.locator(".wall-tile")).to_have_count(4)
        expect(page.get_by_test_id("wall-tile-0")).to_have_attribute("data-camera", "YX-0002")
        expect(page.get_by_test_id("wall-tile-1")).to_have_attribute("data-camera", "YX-0004")
        # YX-0006 belongs to a street office not shared with the operator's unit.
        expect(page.get_by_test_id("wall-tile-2")).to_have_attribute("data-camera", "")
        expect(page.locator(".toast").first).to_contain_text("YX-0006")
        expect(page.get_by_test_id("wall-tile-1")).to_have_attribute(
            "data-state", "playing", timeout=30_000
        )

        # Arrow keys move the selection through the 2x2 grid.
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press("ArrowDown")
        expect(page.get_by_test_id("wall-tile-2")).to_have_class("wall-tile selected")
        page.keyboard.press("ArrowRight")
        expect(page.get_by_test_id("wall-tile-3")).to_have_class("wall-tile selected")
        page.keyboard.press("?")
        expect(page.get_by_test_id("wall-help")).to_contain_text("Move between tiles")
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("wall-help")).to_have_count(0)

        # Save as a wall shared with the unit.
        page.get_by_test_id("wall-save").click()
        dialog = page.get_by_test_id("wall-save-dialog")
        dialog.locator("input[name=name]").fill("Shared pair")
        dialog.locator("input[name=shared]").check()
        dialog.get_by_test_id("dialog-submit").click()
        expect(dialog).to_have_count(0)
        op, op_csrf = api_session(server.url, "operator")
        saved = [
            w
            for w in get_json(op, server.url + "/api/walls")["items"]
            if w["name"] == "Shared pair"
        ]
        assert len(saved) == 1 and saved[0]["shared"] is True
        assert saved[0]["tiles"] == ["YX-0002", "YX-0004", None, None]
        # Leave the demo's own wall first in the list for the other wall tests.
        delete(op, op_csrf, f"{server.url}/api/walls/{saved[0]['id']}")

        # A tile scrolled out of view stops its stream; scrolled back, it plays again.
        page.evaluate("document.querySelector('.wall-body').style.marginTop = '4000px'")
        expect(page.get_by_test_id("wall-tile-0")).to_have_attribute("data-state", "paused")
        stopped = page.evaluate(
            "document.querySelector('[data-testid=wall-tile-0] video').srcObject"
            " === null || document.querySelector('[data-testid=wall-tile-0]').dataset.state"
            " === 'paused'"
        )
        assert stopped
        page.evaluate("document.querySelector('.wall-body').style.marginTop = ''")
        expect(page.get_by_test_id("wall-tile-0")).to_have_attribute(
            "data-state", "playing", timeout=30_000
        )
    finally:
        close(page)


def test_tour_choice_and_push_dialog(browser: Browser, server: Server) -> None:
    admin, csrf = api_session(server.url, "admin")
    api_post(
        admin,
        csrf,
        server.url + "/api/users",
        {
            "username": "duty-two",
            "password": "harbour-lantern-8231",
            "unit_id": 2,
            "roles": ["operator"],
        },
    )
    op, op_csrf = api_session(server.url, "operator")
    tour = api_post(
        op,
        op_csrf,
        server.url + "/api/tours",
        {"name": "ZZ quick", "steps": [{"kind": "camera", "ref": "YX-0008", "dwell_s": 3}]},
    )
    target = new_page(browser, "zh-CN")
    page = new_page(browser, "en")
    try:
        login(target, server.url, "duty-two", "harbour-lantern-8231")
        target.goto(server.url + "/#/wall")
        expect(target.get_by_test_id("wall-grid")).to_be_visible()
        login(page, server.url, "operator")
        page.goto(server.url + "/#/wall")
        page.get_by_test_id("wall-tour-select").select_option(label="ZZ quick")
        page.get_by_test_id("wall-tour").click()
        expect(page.get_by_test_id("wall-tile-0")).to_have_attribute("data-camera", "YX-0008")
        page.get_by_test_id("wall-tour").click()  # pause

        page.get_by_test_id("wall-push").click()
        dialog = page.get_by_test_id("wall-push-dialog")
        who = dialog.locator("select[name=user_id] option", has_text="duty-two")
        dialog.locator("select[name=user_id]").select_option(who.get_attribute("value"))
        dialog.locator("select[name=what]").select_option("camera")
        dialog.get_by_test_id("dialog-submit").click()
        expect(dialog).to_have_count(0)
        expect(target.get_by_test_id("wall-tile-0")).to_have_attribute("data-camera", "YX-0008")
        expect(target.get_by_test_id("wall-grid").locator(".wall-tile")).to_have_count(1)
    finally:
        close(page)
        close(target)
        delete(op, op_csrf, f"{server.url}/api/tours/{tour['id']}")
