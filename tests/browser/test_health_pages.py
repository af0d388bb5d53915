"""Health section and camera registry in the browser: status table with translated faults,
camera detail chart, alert acknowledgement (single, bulk, live), availability, the registry
dialogs (inline errors, stale edits), CSV import reports, and what a viewer may not do."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, FilePayload, Page, Route, expect

from console.events import InProcessBus
from console.health.recorder import HealthRecorder, StatusReport
from console.settings import Settings
from console.store.engine import Store
from console.store.models import utcnow
from tests.browser.harness import Server, api_session, close, connected, login, new_page, shot

WEB = Path(__file__).resolve().parents[2] / "web"
# Cameras these tests own: disabled, so no stream watcher reports on them but these tests.
DARK, DOWN, FINE = "HT-0001", "HT-0002", "HT-0003"


def call(
    opener: Any, csrf: str, method: str, url: str, body: Any = None
) -> tuple[int, dict[str, Any]]:
    """An API request with the session cookie; returns (status, JSON body or {})."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data, method=method)
    req.add_header("Content-Type", "application/json")
    req.add_header("X-CSRF-Token", csrf)
    try:
        with opener.open(req, timeout=10) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else {}


def camera(cam_id: str, name: str, **extra: Any) -> dict[str, Any]:
    """A registry body for a test camera owned by the police sub-bureau (psb)."""
    return {
        "id": cam_id,
        "name": name,
        "owner_unit_id": extra.pop("owner_unit_id"),
        "main_url": f"rtsp://tester:pw-{cam_id}@127.0.0.1:9/live",
        "enabled": False,
        **extra,
    }


async def _seed_health(data_dir: Path) -> None:
    """Write status history through the recorder into the running server's database."""
    store = Store(Settings(data_dir=data_dir, demo=True))
    rec = HealthRecorder(store, InProcessBus(), sample_every_s=0)
    start = utcnow() - timedelta(hours=3)
    try:
        for i in range(36):  # every 5 minutes for 3 hours; dark and blurred in the last hour
            at = start + timedelta(minutes=5 * i)
            bad = i >= 24
            metrics = {
                "fps": 24.6 + (i % 3) * 0.2,
                "nominal_fps": 25,
                "bitrate_kbps": 2100 + 35 * (i % 4),
                "width": 1920,
                "height": 1080,
                "codec": "h264",
                "keyframe_interval_s": 2.0,
                "scores": {"brightness": 0.06 if bad else 0.48, "blur": 0.7 if bad else 0.15},
            }
            reasons = ("too_dark", "blur") if bad else ()
            await rec.report(
                StatusReport(DARK, "degraded" if bad else "ok", reasons, metrics, at=at)
            )
        await rec.report(StatusReport(DOWN, "ok", (), {"fps": 25.0}, at=start))
        await rec.report(
            StatusReport(
                DOWN, "offline", (), {"last_packet_age_s": 41.0}, at=start + timedelta(hours=2)
            )
        )
        await rec.report(StatusReport(FINE, "ok", (), {"fps": 12.5}, at=start))
    finally:
        await store.close()


@pytest.fixture(scope="module")
def seeded(server: Server) -> Iterator[Server]:
    """Three test cameras with health history, alerts and availability on the shared server."""
    opener, csrf = api_session(server.url, "admin")
    with opener.open(server.url + "/api/units", timeout=10) as resp:
        psb = next(u["id"] for u in json.load(resp)["items"] if u["code"] == "psb")
    for cam_id, name in ((DARK, "测试夜间路口"), (DOWN, "测试离线点位"), (FINE, "测试正常点位")):
        status, body = call(
            opener,
            csrf,
            "POST",
            server.url + "/api/cameras",
            camera(cam_id, name, owner_unit_id=psb),
        )
        assert status == 201, body
    # Playwright's sync API keeps an event loop running in this thread: seed from another one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _seed_health(server.data_dir)).result(timeout=120)
    yield server


def alerts_of(opener: Any, url: str, cam_id: str) -> list[dict[str, Any]]:
    """All alerts of one camera."""
    with opener.open(f"{url}/api/health/alerts?state=all&camera_id={cam_id}", timeout=10) as r:
        items: list[dict[str, Any]] = json.load(r)["items"]
        return items


@pytest.mark.browser
@pytest.mark.slow
def test_maintenance_health_table_detail_and_alerts(seeded: Server, browser: Browser) -> None:
    """Statuses with translated faults, filters in the URL, thumbnails degrade to placeholders,
    the detail chart and history, acknowledge and close an alert with notes."""
    page = new_page(browser, "zh-CN")
    login(page, seeded.url, "maintenance")
    page.goto(seeded.url + "/#/health")
    dark = page.get_by_test_id(f"health-row-{DARK}")
    expect(dark.get_by_test_id("health-status")).to_contain_text("异常")
    expect(dark.locator(".reason[data-reason=too_dark]")).to_have_text("画面过暗")
    expect(dark.locator(".reason[data-reason=blur]")).to_have_text("图像模糊")
    down = page.get_by_test_id(f"health-row-{DOWN}")
    expect(down.get_by_test_id("health-status")).to_contain_text("离线")
    expect(down.locator("td").last).to_have_text("1")
    expect(page.get_by_test_id(f"health-row-{FINE}").get_by_test_id("health-status")).to_have_text(
        "正常"
    )
    # No snapshot exists for these cameras: the thumbnail falls back to its placeholder.
    expect(dark.get_by_test_id("thumb")).to_have_class(re.compile(r"\bmissing\b"))
    # Worst first by default: offline rows come before degraded ones, degraded before ok.
    order = (
        page.get_by_test_id("health-table")
        .locator("tbody tr")
        .evaluate_all("rows => rows.map(r => r.dataset.status)")
    )
    rank = {"offline": 0, "degraded": 1, "unknown": 2, "learning": 2.5, "ok": 3}
    assert [rank[s] for s in order] == sorted(rank[s] for s in order)
    expect(page.get_by_test_id("health-tile-offline").locator(".tile-value")).not_to_have_text("0")
    shot(page, "health-table-zh-CN")

    # Filter from the keyboard: the offline tile is a toggle button.
    page.get_by_test_id("health-tile-offline").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("health-tile-offline")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("health-filter-status")).to_have_value("offline")
    expect(page.get_by_test_id("health-tile-offline")).to_be_focused()
    expect(page).to_have_url(re.compile(r"#/health\?.*status=offline"))
    statuses = page.get_by_test_id("health-table").locator("tbody tr")
    expect(statuses.first).to_have_attribute("data-status", "offline")
    assert set(statuses.evaluate_all("rows => rows.map(r => r.dataset.status)")) == {"offline"}
    expect(dark).to_have_count(0)
    page.get_by_test_id("health-filter-status").select_option("")
    page.get_by_test_id("health-filter-reason").select_option("too_dark")
    expect(dark).to_be_visible()
    expect(down).to_have_count(0)
    page.get_by_test_id("health-sort-name").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("health-sort-name")).to_be_focused()
    expect(page.get_by_test_id("health-sort-name").locator("xpath=..")).to_have_attribute(
        "aria-sort", "ascending"
    )

    # Detail: chart with the fps and score lines and a status band with the degraded hour.
    dark.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"#/health/camera/{DARK}$"))
    expect(page.get_by_test_id("health-detail-name")).to_have_text("测试夜间路口")
    chart = page.get_by_test_id("health-chart")
    expect(chart.locator("polyline[data-series=fps]")).to_have_count(1)
    expect(chart.locator("polyline[data-series=nominal_fps]")).to_have_count(1)
    expect(chart.locator("polyline[data-series=brightness]")).to_have_count(1)
    band = page.get_by_test_id("health-chart-band")
    expect(band.locator("rect[data-status=degraded]")).to_have_count(1)
    expect(band.locator("rect[data-status=ok]")).to_have_count(1)
    status = page.get_by_test_id("health-detail-status")
    expect(status.locator("[data-metric=resolution] dd")).to_have_text("1920×1080")
    expect(status).to_contain_text("画面过暗")
    changes = page.get_by_test_id("health-changes").locator("tbody tr")
    expect(changes).to_have_count(2)
    expect(changes.first).to_contain_text("持续中")
    page.get_by_test_id("health-window-6").click()
    expect(page).to_have_url(re.compile(r"\?hours=6$"))
    expect(page.get_by_test_id("health-window-6")).to_have_attribute("aria-current", "true")
    expect(chart.locator("polyline[data-series=blur]")).to_have_count(1)
    shot(page, "health-camera-detail-zh-CN")

    opener, _ = api_session(seeded.url, "admin")
    too_dark = next(a for a in alerts_of(opener, seeded.url, DARK) if a["kind"] == "too_dark")
    row = page.get_by_test_id("camera-alerts").get_by_test_id(f"alert-row-{too_dark['id']}")
    row.get_by_test_id("alert-ack").click()
    dialog = page.get_by_test_id("alert-dialog")
    dialog.locator("[name=note]").fill("已通知维修班组")
    page.get_by_test_id("dialog-submit").click()
    expect(dialog).to_have_count(0)
    expect(row).to_have_attribute("data-state", "acknowledged")
    # Who acknowledged, by display name (the user name on hover).
    expect(row.locator(".person").first).to_have_text("运维工程师")
    expect(row.locator(".person").first).to_have_attribute("title", "maintenance")
    expect(row.get_by_test_id("alert-ack")).to_have_count(0)
    row.get_by_test_id("alert-close").click()
    page.get_by_test_id("alert-dialog").locator("[name=note]").fill("已清洁镜头并补光")
    page.get_by_test_id("dialog-submit").click()
    expect(row).to_have_attribute("data-state", "closed")
    stored = next(a for a in alerts_of(opener, seeded.url, DARK) if a["id"] == too_dark["id"])
    assert stored["state"] == "closed"
    assert stored["acknowledged_by"] == stored["closed_by"] == "maintenance"
    assert stored["note"] == "已通知维修班组\n已清洁镜头并补光"
    close(page)


@pytest.mark.browser
@pytest.mark.slow
def test_alerts_live_bulk_and_availability(seeded: Server, browser: Browser) -> None:
    """An acknowledgement made elsewhere shows up live; the rest are acknowledged in bulk;
    availability per camera and unit; the patrol panel draws the scheduler's progress."""
    page = new_page(browser, "en-US")
    login(page, seeded.url, "maintenance")
    page.goto(f"{seeded.url}/#/health/alerts?camera_id={DOWN}")
    connected(page)
    opener, csrf = api_session(seeded.url, "admin")
    offline = alerts_of(opener, seeded.url, DOWN)[0]
    row = page.get_by_test_id(f"alert-row-{offline['id']}")
    expect(row).to_have_attribute("data-state", "open")
    status, _ = call(
        opener,
        csrf,
        "POST",
        f"{seeded.url}/api/health/alerts/{offline['id']}/ack",
        {"note": "on site"},
    )
    assert status == 200
    expect(row).to_have_attribute("data-state", "acknowledged")  # live, no reload
    expect(row).to_contain_text("on site")

    page.locator("#alerts-camera").fill(DARK)
    page.locator("#alerts-camera").press("Enter")
    page.locator("#alerts-camera").blur()
    expect(page).to_have_url(re.compile(rf"camera_id={DARK}"))
    open_rows = page.get_by_test_id("alerts-table").locator("tbody tr[data-state=open]")
    expect(open_rows.first).to_be_visible()
    count = open_rows.count()  # blur, and too_dark unless the first test closed it
    page.get_by_test_id("alerts-select-all").check()
    expect(page.get_by_test_id("alerts-bulk-ack")).to_have_text(f"Acknowledge {count} selected")
    page.get_by_test_id("alerts-bulk-ack").click()
    page.get_by_test_id("alert-dialog").locator("[name=note]").fill("batch")
    page.get_by_test_id("dialog-submit").click()
    expect(open_rows).to_have_count(0)
    blur = next(a for a in alerts_of(opener, seeded.url, DARK) if a["kind"] == "blur")
    assert blur["state"] == "acknowledged" and blur["note"] == "batch"

    # Closing an alert elsewhere lowers the open-alert count on the overview live.
    page.goto(seeded.url + "/#/health")
    down = page.get_by_test_id(f"health-row-{DOWN}")
    expect(down.locator("td").last).to_have_text("1")
    connected(page)
    status, _ = call(
        opener, csrf, "POST", f"{seeded.url}/api/health/alerts/{offline['id']}/close", {}
    )
    assert status == 200
    expect(down.locator("td").last).to_have_text("0")

    # A camera registered now whose stream refuses connections: the server's watcher reports
    # it offline and the row follows through camera.created / camera.status, without a reload.
    with opener.open(seeded.url + "/api/units", timeout=10) as resp:
        psb = next(u["id"] for u in json.load(resp)["items"] if u["code"] == "psb")
    refused = camera("HT-LIVE", "refused", owner_unit_id=psb)
    refused.update(enabled=True, watch_mode="continuous")
    assert call(opener, csrf, "POST", seeded.url + "/api/cameras", refused)[0] == 201
    try:
        live_row = page.get_by_test_id("health-row-HT-LIVE")
        expect(live_row).to_have_attribute("data-status", "offline", timeout=30_000)
        expect(live_row.get_by_test_id("health-status")).to_contain_text("Offline")
    finally:
        assert call(opener, csrf, "DELETE", seeded.url + "/api/cameras/HT-LIVE")[0] == 204
    expect(live_row).to_have_count(0)

    page.get_by_test_id("health-tab-availability").click()
    avail = page.get_by_test_id(f"avail-row-{DOWN}")
    # Online for 2 of the (a little more than) 3 hours observed.
    expect(avail.locator("td").nth(1)).to_contain_text(re.compile(r"6[5-7](\.\d)? %"))
    page.get_by_test_id("avail-period-week").click()
    expect(page).to_have_url(re.compile(r"period=week"))
    expect(page.get_by_test_id("avail-period-week")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id(f"avail-row-{DOWN}")).to_be_visible()
    page.get_by_test_id("avail-by-unit").click()
    expect(page).to_have_url(re.compile(r"period=week&by=unit"))
    expect(page.get_by_test_id("availability-table")).to_contain_text(
        "District Public Security Sub-bureau"
    )

    # The patrol scheduler's endpoint, answered here as the server will answer it.
    def patrol(route: Route) -> None:
        body = {
            "cameras": 40,
            "cycle_s": 130,
            "checked_this_cycle": 10,
            "last_cycle_s": 125,
            "in_flight": ["YX-0003", "YX-0004"],
            "concurrency": 4,
        }
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/health/patrol", patrol)
    page.get_by_test_id("health-tab-overview").click()
    panel = page.get_by_test_id("patrol-panel")
    expect(panel).to_contain_text("10 of 40 cameras checked this cycle")
    expect(panel.locator("progress")).to_have_attribute("value", "10")
    expect(panel).to_contain_text("2 min 10 s")
    expect(panel).to_contain_text("YX-0003, YX-0004")
    close(page)


@pytest.mark.browser
@pytest.mark.slow
def test_registry_create_edit_import_delete(seeded: Server, browser: Browser) -> None:
    """Inline URL error then a good camera (credentials masked), a stale edit reloaded, CSV
    import rejected with row numbers and then imported partially, delete with confirmation."""
    page = new_page(browser, "zh-CN")
    login(page, seeded.url, "maintenance")
    page.goto(seeded.url + "/#/health/cameras")
    expect(page.get_by_test_id("camera-row-YX-0001")).to_be_visible()
    page.get_by_test_id("camera-create").click()
    dialog = page.get_by_test_id("camera-dialog")
    dialog.locator("[name=id]").fill("HT-0100")
    dialog.locator("[name=name]").fill("测试新建点位")
    dialog.locator("[name=main_url]").fill("ftp://cam.example/live")
    dialog.locator("[name=fov_bearing]").fill("90")
    dialog.locator("[name=fov_angle]").fill("60")
    dialog.locator("[name=fov_range_m]").fill("150")
    dialog.locator("[name=tags]").fill("路口, 测试")
    dialog.locator("[name=enabled]").uncheck()  # 192.0.2.0/24 never answers: do not watch it
    page.get_by_test_id("dialog-submit").click()
    url_error = dialog.locator("[data-field=main_url] .field-error")
    expect(url_error).to_contain_text("不支持的协议")
    expect(dialog.locator("[name=main_url]")).to_have_attribute("aria-invalid", "true")
    dialog.locator("[name=main_url]").fill("rtsp://admin:Secret-123@192.0.2.7:554/h264")
    page.get_by_test_id("dialog-submit").click()
    expect(dialog).to_have_count(0)
    row = page.get_by_test_id("camera-row-HT-0100")
    expect(row).to_contain_text("rtsp://***@192.0.2.7:554/h264")
    expect(row).not_to_contain_text("Secret-123")
    expect(row).to_contain_text("90° / 60° / 150 米")
    expect(row).to_contain_text("已停用")

    # Someone else renames the camera while our edit dialog is open: 412, form refilled.
    row.get_by_test_id("camera-edit").click()
    dialog = page.get_by_test_id("camera-dialog")
    dialog.locator("[name=tags]").fill("路口, 测试, 夜间")
    opener, csrf = api_session(seeded.url, "admin")
    status, _ = call(
        opener, csrf, "PATCH", seeded.url + "/api/cameras/HT-0100", {"name": "他人修改的名称"}
    )
    assert status == 200
    page.get_by_test_id("dialog-submit").click()
    expect(dialog.locator(".alert")).to_contain_text("已被他人修改")
    expect(dialog.locator("[name=name]")).to_have_value("他人修改的名称")
    dialog.locator("[name=tags]").fill("路口, 夜间")
    page.get_by_test_id("dialog-submit").click()
    expect(dialog).to_have_count(0)
    with opener.open(seeded.url + "/api/cameras/HT-0100", timeout=10) as resp:
        saved = json.load(resp)
    assert saved["name"] == "他人修改的名称" and sorted(saved["tags"]) == ["夜间", "路口"]

    # CSV with a bad row: rejected with its row number, nothing stored; then partial.
    content = (
        "id,name,owner_unit,main_url,tags,enabled\n"
        "HT-IMP-1,导入点位一,psb,rtsp://u:p@192.0.2.21/s,导入,false\n"
        "HT-IMP-2,导入点位二,psb,gopher://192.0.2.22/s,导入,false\n"
        "HT-IMP-3,导入点位三,no-such-unit,rtsp://192.0.2.23/s,导入,false\n"
    )
    page.get_by_test_id("camera-import").click()
    imp = page.get_by_test_id("import-dialog")
    payload: FilePayload = {
        "name": "cameras.csv",
        "mimeType": "text/csv",
        "buffer": content.encode(),
    }
    imp.get_by_test_id("import-file").set_input_files(files=payload)
    imp.get_by_test_id("import-dry_run").uncheck()
    imp.get_by_test_id("import-submit").click()
    summary = imp.get_by_test_id("import-summary")
    expect(summary).to_have_attribute("data-ok", "false")
    expect(summary).to_contain_text("未导入任何数据")
    errors = imp.get_by_test_id("import-errors").locator("tbody tr")
    expect(errors).to_have_count(2)
    assert errors.evaluate_all("rows => rows.map(r => r.dataset.row)") == ["3", "4"]
    expect(imp.get_by_test_id("import-errors")).to_contain_text("main_url")
    expect(imp.get_by_test_id("import-errors")).to_contain_text("owner_unit")
    shot(page, "camera-import-report-zh-CN")
    assert call(opener, csrf, "GET", seeded.url + "/api/cameras/HT-IMP-1")[0] == 404
    imp.get_by_test_id("import-partial").check()
    imp.get_by_test_id("import-submit").click()
    expect(summary).to_have_attribute("data-ok", "true")
    expect(summary).to_contain_text("新建 1 路")
    expect(summary).to_contain_text("跳过 2 行")
    imp.get_by_role("button", name="关闭").last.click()
    expect(page.get_by_test_id("camera-row-HT-IMP-1")).to_contain_text("导入点位一")
    expect(page.get_by_test_id("camera-row-HT-IMP-2")).to_have_count(0)
    expect(page.get_by_test_id("camera-row-HT-IMP-3")).to_have_count(0)

    page.get_by_test_id("camera-row-HT-IMP-1").get_by_test_id("camera-delete").click()
    page.get_by_test_id("confirm-dialog").get_by_role("button", name="删除").click()
    expect(page.get_by_test_id("camera-row-HT-IMP-1")).to_have_count(0)
    assert call(opener, csrf, "GET", seeded.url + "/api/cameras/HT-IMP-1")[0] == 404
    close(page)


@pytest.mark.browser
@pytest.mark.slow
def test_viewer_and_operator_rights(seeded: Server, browser: Browser) -> None:
    """A viewer gets the read-only registry (no edit controls, no health tabs); an operator
    sees health but cannot acknowledge."""
    page = new_page(browser, "en-US")
    login(page, seeded.url, "viewer")
    page.get_by_test_id("nav-health").click()
    expect(page).to_have_url(re.compile(r"#/health/cameras$"))
    expect(page.get_by_test_id("cameras-readonly")).to_be_visible()
    expect(page.get_by_test_id("camera-row-YX-0001")).to_be_visible()
    for testid in ("camera-create", "camera-import", "camera-edit", "camera-delete"):
        expect(page.get_by_test_id(testid)).to_have_count(0)
    expect(page.get_by_test_id("health-tab-overview")).to_have_count(0)
    expect(page.get_by_test_id("cameras-export-csv")).to_have_attribute(
        "href", "/api/cameras/export.csv"
    )
    page.goto(seeded.url + "/#/health/alerts")
    expect(page.get_by_test_id("message-panel")).to_be_visible()
    close(page)

    page = new_page(browser, "en-US")
    login(page, seeded.url, "operator")
    page.goto(f"{seeded.url}/#/health/camera/{DOWN}")
    expect(page.get_by_test_id("camera-alerts").locator("tbody tr").first).to_be_visible()
    expect(page.get_by_test_id("alert-ack")).to_have_count(0)
    expect(page.get_by_test_id("alert-close")).to_have_count(0)
    page.get_by_test_id("health-tab-cameras").click()
    expect(page.get_by_test_id("camera-create")).to_have_count(0)
    close(page)


@pytest.mark.browser
@pytest.mark.slow
def test_health_modules(seeded: Server, browser: Browser) -> None:
    """Pure helpers of the health modules, run in the browser that ships them."""
    page: Page = new_page(browser, "en-US")
    page.goto(seeded.url + "/")
    expect(page.get_by_test_id("login-view")).to_be_visible()
    result = page.evaluate(
        """async () => {
        const c = await import('/js/pages/health/common.js');
        const chart = await import('/js/pages/health/chart.js');
        const form = await import('/js/pages/health/camera_form.js');
        const imp = await import('/js/pages/health/import.js');
        const ov = await import('/js/pages/health/overview.js');
        const av = await import('/js/pages/health/availability.js');
        const rows = [
          {camera_id: 'b', name: 'B', status: 'ok', reasons: [], since: '2026-01-02T00:00:00Z',
           owner_unit_id: 1},
          {camera_id: 'a', name: 'A', status: 'degraded', reasons: ['blur'],
           since: '2026-01-03T00:00:00Z', owner_unit_id: 2},
          {camera_id: 'c', name: 'C', status: 'offline', reasons: [],
           since: '2026-01-01T00:00:00Z', owner_unit_id: 1},
          {camera_id: 'd', name: 'D', status: 'unknown', reasons: [], since: null,
           owner_unit_id: 1},
        ];
        const hist = [
          {ts: '2026-01-01T00:00:00Z', fps: 25, scores: {blur: 0.1}},
          {ts: '2026-01-01T00:01:00Z', fps: 24},
          {ts: '2026-01-01T00:02:00Z'},
          {ts: '2026-01-01T00:03:00Z', fps: 20},
        ];
        const cam = {name: 'X', owner_unit_id: 1, lon: null, lat: null, key_camera: false,
                     watch_mode: 'patrol', enabled: true, shared_unit_ids: [2], tags: ['a'],
                     fov: null};
        const v = {name: 'X', owner_unit_id: '1', shared_unit_ids: ['2', '3'], lon: '',
                   lat: '', fov_bearing: '10', fov_angle: '', fov_range_m: 'x', main_url: '',
                   sub_url: '', tags: 'a, b；c', key_camera: false, watch_mode: 'patrol',
                   enabled: true};
        const body = form.cameraBody(v);
        return {
          status: c.sortRows(rows, 'status').map(r => r.camera_id),
          since: c.sortRows(rows, 'since', -1).map(r => r.camera_id),
          name: c.sortRows(rows, 'name').map(r => r.camera_id),
          filters: [
            rows.filter(r => c.matchesFilters(r, {reason: 'blur'})).map(r => r.camera_id),
            rows.filter(r => c.matchesFilters(r, {reason: 'offline'})).map(r => r.camera_id),
            rows.filter(r => c.matchesFilters(r, {unit: '1', q: 'c'})).map(r => r.camera_id),
          ],
          summary: c.summarise(rows),
          segments: chart.segments(hist, 'fps').map(s => s.length),
          score: chart.valueAt(hist[0], 'scores.blur'),
          spans: chart.statusSpans([{status: 'ok', started_at: '2026-01-01T00:00:00Z',
                                     ended_at: null}], Date.parse('2026-01-01T01:00:00Z'),
                                   Date.parse('2026-01-01T02:00:00Z')).length,
          nice: [0.4, 27.6, 2160, 0].map(chart.niceMax),
          fields: ['body.fov.bearing', 'body.fov.range_m', 'body.main_url',
                   'body.shared_unit_ids[1]', 'body'].map(form.cameraField),
          body,
          patch: form.cameraPatch(cam, body),
          formats: ['a.CSV', 'b.geojson', 'c.json', 'd.txt'].map(imp.formatOf),
          online: ov.overallOnline([{online_pct: 100, observed_h: 3},
                                    {online_pct: 50, observed_h: 1},
                                    {online_pct: null, observed_h: 0}]),
          paged: c.pagedRows([1, 2, 3, 4, 5], 3, 2, () => document.createElement('tr'),
                             () => null).map(r => r.textContent),
          all: c.pagedRows([1, 2], 3, 2, () => document.createElement('tr'), () => null).length,
          worst: av.worstFirst([{camera_id: 'x', online_pct: null},
                                {camera_id: 'y', online_pct: 90},
                                {camera_id: 'z', online_pct: 20}]).map(i => i.camera_id),
        };
    }"""
    )
    assert result["status"] == ["c", "a", "d", "b"]
    assert result["since"] == ["a", "b", "c", "d"]
    assert result["name"] == ["a", "b", "c", "d"]
    assert result["filters"] == [["a"], ["c"], ["c"]]
    assert result["summary"] == {"ok": 1, "learning": 0, "degraded": 1, "offline": 1, "unknown": 1}
    assert result["segments"] == [2, 1]
    assert result["score"] == 0.1
    assert result["spans"] == 1
    assert result["nice"] == [0.5, 50, 2500, 1]
    assert result["fields"] == ["fov_bearing", "fov_range_m", "main_url", "shared_unit_ids", ""]
    assert result["body"]["fov"] == {"bearing": 10, "angle": None, "range_m": "x"}
    assert result["body"]["tags"] == ["a", "b", "c"]
    assert result["body"]["shared_unit_ids"] == [2, 3]
    assert result["patch"] == {
        "shared_unit_ids": [2, 3],
        "tags": ["a", "b", "c"],
        "fov": {"bearing": 10, "angle": None, "range_m": "x"},
    }
    assert result["formats"] == ["csv", "geojson", "geojson", ""]
    assert result["online"] == 87.5
    assert result["worst"] == ["z", "y", "x"]
    assert result["paged"] == ["", "", "", "Show 2 more (2 not shown)"]
    assert result["all"] == 2
    close(page)


KEY = re.compile(r"""["'`]((?:health|cameras|validation|problem)\.[a-z0-9_.${}\-]+)["'`]""")
FILE_NAME = re.compile(r"\.(csv|geojson|js|json|jpg)$")


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_health_keys_are_translated(locale: str) -> None:
    """Every key the health modules use (static, or built from their enumerations) exists."""
    sources = [WEB / "js/pages/health.js", *sorted((WEB / "js/pages/health").glob("*.js"))]
    text = "\n".join(p.read_text(encoding="utf-8") for p in sources)
    catalogue = json.loads((WEB / "i18n" / f"{locale}.json").read_text(encoding="utf-8"))
    perms = set(re.findall(r"""\bcan\(\s*["']([^"']+)["']""", text))  # permissions, not keys
    keys = {k for k in KEY.findall(text) if not FILE_NAME.search(k)} - perms
    static = {k for k in keys if "${" not in k}
    templated = {k for k in keys if "${" in k}
    assert len(static) > 60 and len(templated) > 10
    missing = sorted(k for k in static if k not in catalogue)
    for key in templated:
        pattern = re.compile(
            "^" + re.sub(r"\\\$\\\{[^}]*\\\}", "[a-z0-9_-]+", re.escape(key)) + "$"
        )
        if not any(pattern.match(k) for k in catalogue):
            missing.append(key)

    def array(name: str) -> list[str]:
        match = re.search(rf"{name}\s*=\s*\[(.*?)\]", text, re.DOTALL)
        assert match, name
        return re.findall(r"""["']([^"']+)["']""", match.group(1))

    dynamic = [f"health.reason.{r}" for r in array("REASONS")]
    dynamic += [f"health.status.{s}" for s in array("STATUSES")]
    dynamic += [f"health.alert_filter.{s}" for s in array("ALERT_STATES")]
    dynamic += [f"health.alert_state.{s}" for s in ("open", "acknowledged", "closed")]
    dynamic += [f"cameras.mode.{m}" for m in array("WATCH_MODES")]
    dynamic += [f"health.avail_period_{p}" for p in array("PERIODS")]
    dynamic += [f"health.tab.{s}" for s in array("SECTIONS")]
    metrics = re.search(r"METRICS = \[(.*?)\n\];", text, re.DOTALL)
    assert metrics
    dynamic += [f"health.metric.{m}" for m in re.findall(r'\["(\w+)"', metrics.group(1))]
    for action in ("ack", "close"):
        dynamic += [f"health.{action}{s}" for s in ("", "_done", "_title", "_many_title")]
        dynamic += [f"health.note_hint_{action}"]
    missing += [k for k in dynamic if k not in catalogue]
    assert missing == [], f"{locale} lacks {sorted(set(missing))}"
    assert len(dynamic) > 40
