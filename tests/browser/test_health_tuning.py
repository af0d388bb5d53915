"""Health page in Chromium: compare a camera's reference view with what it shows now and
accept the new view; tune sensitivity and switch checks off; maintenance windows; the patrol
target with expected and actual cycle. Against a real `eoc demo` server and its cameras."""

from __future__ import annotations

import asyncio
import json
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import cv2
import pytest
from playwright.sync_api import Browser, expect

from console.health.models import CameraBaseline
from console.settings import Settings
from console.store.engine import Store
from console.store.models import utcnow
from streams.faults import sample_frames
from tests.browser.harness import Server, api_session, close, connected, login, new_page, shot
from tests.paths import VIDEO

CAM = "YX-0001"  # the demo's continuous key camera at the crossroad


async def _seed_reference(server: Server) -> None:
    """A reference picture of another scene, as if the camera had been turned since."""
    img = sample_frames(VIDEO / "bottle-detection.mp4", 1.0, 1)[0]
    ok, jpeg = cv2.imencode(".jpg", cv2.resize(img, (640, 360)))
    assert ok
    store = Store(Settings(data_dir=server.data_dir, demo=True))
    try:
        async with store.session() as db, db.begin():
            row = await db.get(CameraBaseline, CAM)
            if row is None:
                row = CameraBaseline(camera_id=CAM, data={}, updated_at=utcnow())
                db.add(row)
            row.reference_jpeg, row.reference_at = jpeg.tobytes(), utcnow()
    finally:
        await store.close()


def get(opener: Any, url: str) -> Any:
    with opener.open(url, timeout=10) as resp:
        return json.load(resp)


@pytest.mark.browser
@pytest.mark.slow
def test_compare_accept_and_tune(server: Server, browser: Browser) -> None:
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _seed_reference(server)).result(timeout=60)
    page = new_page(browser, "zh-CN")
    login(page, server.url, "maintenance")
    page.goto(f"{server.url}/#/health/camera/{CAM}")
    connected(page)
    panel = page.get_by_test_id("reference-panel")
    # Side by side: the stored reference and the current keyframe, both real pictures.
    ref = panel.get_by_test_id("reference-image")
    now = panel.get_by_test_id("current-image")
    expect(ref).to_be_visible()
    expect(now).to_be_visible(timeout=60_000)
    page.wait_for_function(
        "els => els.every(e => e.complete && e.naturalWidth > 0)",
        arg=[ref.element_handle(), now.element_handle()],
        timeout=60_000,
    )
    expect(panel).to_contain_text("基准画面")
    shot(page, "health-reference-compare-zh-CN")
    panel.get_by_test_id("accept-view").click()
    dialog = page.get_by_test_id("accept-dialog")
    dialog.locator("[name=note]").fill("摄像机已按新规划调整朝向")
    page.get_by_test_id("dialog-submit").click()
    expect(dialog).to_have_count(0)
    # The old reference is gone; the camera says it is learning.
    expect(panel.get_by_test_id("reference-missing")).to_be_visible()
    expect(panel.get_by_test_id("reference-state")).to_contain_text("学习")
    opener, _ = api_session(server.url, "admin")
    audit = get(opener, f"{server.url}/api/audit?action=camera.accept_view")
    assert audit["items"][0]["detail"]["note"] == "摄像机已按新规划调整朝向"
    assert audit["items"][0]["actor"] == "maintenance"

    # Tuning: switch the darkness check off and lower blur sensitivity.
    tuning = page.get_by_test_id("tuning-panel")
    tuning.get_by_test_id("tuning-row-too_dark").locator("input[type=checkbox]").uncheck()
    tuning.get_by_test_id("tuning-row-blur").locator("select").select_option("low")
    tuning.get_by_test_id("tuning-save").click()
    expect(tuning).to_contain_text("maintenance")
    stored = get(opener, f"{server.url}/api/health/cameras/{CAM}/tuning")
    assert stored["disabled"] == ["too_dark"] and stored["sensitivity"] == {"blur": "low"}
    page.reload()
    row = page.get_by_test_id("tuning-panel").get_by_test_id("tuning-row-too_dark")
    expect(row.locator("input[type=checkbox]")).not_to_be_checked()
    shot(page, "health-tuning-zh-CN")
    close(page)

    # An operator sees both but changes nothing.
    page = new_page(browser, "en-US")
    login(page, server.url, "operator")
    page.goto(f"{server.url}/#/health/camera/{CAM}")
    expect(page.get_by_test_id("tuning-panel")).to_contain_text("Diagnosis tuning")
    expect(page.get_by_test_id("tuning-save")).to_have_count(0)
    expect(page.get_by_test_id("accept-view")).to_have_count(0)
    expect(page.get_by_test_id("tuning-row-blur").locator("select")).to_be_disabled()
    close(page)


@pytest.mark.browser
@pytest.mark.slow
def test_maintenance_window_and_patrol_target(server: Server, browser: Browser) -> None:
    page = new_page(browser, "en-US")
    login(page, server.url, "maintenance")
    page.goto(f"{server.url}/#/health/maintenance")
    page.get_by_test_id("mw-add").click()
    dialog = page.get_by_test_id("mw-dialog")
    dialog.locator("[name=scope]").select_option("tag")
    dialog.locator("[name=tag]").fill("crossroad")
    dialog.locator("[name=minutes]").fill("45")
    dialog.locator("[name=reason]").fill("Pole replacement")
    page.get_by_test_id("dialog-submit").click()
    expect(dialog).to_have_count(0)
    row = page.get_by_test_id("mw-table").locator("tbody tr").first
    expect(row).to_have_attribute("data-active", "true")
    expect(row).to_contain_text("crossroad")
    expect(row).to_contain_text("Pole replacement")
    shot(page, "health-maintenance-en")
    # A bad window is refused with the reason next to its field.
    page.get_by_test_id("mw-add").click()
    dialog = page.get_by_test_id("mw-dialog")
    dialog.locator("[name=scope]").select_option("tag")
    dialog.locator("[name=tag]").fill("crossroad")
    dialog.locator("[name=when]").select_option("scheduled")
    dialog.locator("[name=starts_at]").fill("2020-01-01T10:00")
    dialog.locator("[name=ends_at]").fill("2020-01-01T12:00")
    dialog.locator("[name=reason]").fill("Too late")
    page.get_by_test_id("dialog-submit").click()
    expect(dialog.locator("[data-field=ends_at] .field-error")).not_to_be_empty()
    dialog.get_by_role("button", name="Cancel").click()
    # Muted cameras say so on their detail page.
    page.goto(f"{server.url}/#/health/camera/{CAM}")
    expect(page.get_by_test_id("health-detail-maintenance")).to_contain_text("Pole replacement")
    page.goto(f"{server.url}/#/health/maintenance")
    page.get_by_test_id("mw-table").get_by_test_id("mw-end").first.click()
    expect(page.get_by_test_id("mw-table")).to_contain_text("No maintenance windows")
    opener, _ = api_session(server.url, "admin")
    audit = get(opener, f"{server.url}/api/audit?action=maintenance.")
    assert [i["action"] for i in audit["items"][:2]] == ["maintenance.end", "maintenance.create"]

    # Patrol: set a 5-minute target; expected and actual cycle are shown.
    page.goto(f"{server.url}/#/health")
    panel = page.get_by_test_id("patrol-panel")
    expect(panel).to_be_visible(timeout=30_000)
    panel.get_by_test_id("patrol-target-input").fill("5")
    panel.get_by_test_id("patrol-target-form").get_by_role("button").click()
    expect(panel.get_by_test_id("patrol-target")).to_contain_text(re.compile(r"5 min"))
    expect(panel.get_by_test_id("patrol-expected").locator("dd")).not_to_have_text("—")
    expect(panel.get_by_test_id("patrol-actual")).to_be_visible()
    assert get(opener, f"{server.url}/api/health/patrol")["target_cycle_s"] == 300
    shot(page, "health-patrol-en")
    close(page)
