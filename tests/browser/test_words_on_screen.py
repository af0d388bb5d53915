"""Words on screen, in a real browser against `eoc demo`: durations in natural units, the readiness
"why" dialog in sentences, holiday names and capabilities in the UI language, display names
instead of user names, actions offered only to roles that may do them (no 403 on a normal
visit), idempotent tile stops, and a session that ends under a half-filled drill form."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Response, expect

from console.auth.cache import TTL_S
from tests.browser.harness import (
    Server,
    api_post,
    api_session,
    close,
    connected,
    drill_step,
    login,
    new_page,
    shot,
    unit_id,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COMMUNITIES = ["WS-C1", "WS-C2"]
SHELTER = "WS-S1"
ANCHOR_DAY = "2027-06-14"  # a drill in WS-C1 that a second one three days later comes too close to
NATIONAL_DAY = "2027-10-04"
RAW_KEY = re.compile(r"\b[a-z]+_[a-z_]+\b")  # allocated_capacity, mass_care, dark_flat ...
DURATION_ZH = re.compile(r"^(\d+ (秒|分钟|小时|天)( \d+ (分钟|小时))?|—)$")


def _send(opener: Any, csrf: str, url: str, body: bytes, ctype: str) -> Any:
    req = urllib.request.Request(url, body, {"Content-Type": ctype, "X-CSRF-Token": csrf})
    try:
        with opener.open(req, timeout=15) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"{url}: {exc.code} {exc.read()[:800]!r}") from exc


def _feature(props: dict[str, Any], geometry: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON feature; an "id" given among the properties becomes the Feature.id."""
    rest = {k: v for k, v in props.items() if k != "id"}
    feature = {"type": "Feature", "properties": rest, "geometry": geometry}
    return feature | ({"id": props["id"]} if "id" in props else {})


_SEEDED: dict[str, int] = {}


def seed(server: Server) -> int:
    """Two communities with a shelter, kits for one, and a drill in WS-C1 (once per server);
    returns eqo's id."""
    if server.url in _SEEDED:
        return _SEEDED[server.url]
    opener, csrf = api_session(server.url, "coordinator")
    x, y = 113.42, 23.21  # inside the demo site (the import checks the extent)
    comms = [
        _feature(
            {"name": f"词语社区{i}", "code": code, "population": 900, "households": 300},
            {
                "type": "Polygon",
                "coordinates": [
                    [
                        [x + i / 40, y],
                        [x + i / 40 + 0.01, y],
                        [x + i / 40 + 0.01, y + 0.01],
                        [x + i / 40, y],
                    ]
                ],
            },
        )
        for i, code in enumerate(COMMUNITIES)
    ]
    base = server.url + "/api/gis/layers"
    fc = {"type": "FeatureCollection", "features": comms}
    _send(opener, csrf, f"{base}/communities/import", json.dumps(fc).encode(), "application/json")
    shelter = _feature(
        {"id": SHELTER, "name": "词语公园避难场所", "kind": "emergency", "capacity": 400},
        {"type": "Point", "coordinates": [x + 0.005, y + 0.004]},
    )
    fc = {"type": "FeatureCollection", "features": [shelter]}
    mapping = urllib.parse.quote(
        json.dumps({"name": "name", "kind": "kind", "capacity": "capacity"})
    )
    _send(
        opener,
        csrf,
        f"{base}/shelters/import?mapping={mapping}",
        json.dumps(fc).encode(),
        "application/json",
    )
    kits = "community_code,category,quantity,date,unit\nWS-C1,standard,120,2026-05-01,\n"
    kits += "WS-C1,elderly,15,2026-05-01,\n"
    _send(opener, csrf, server.url + "/api/gis/kits/import", kits.encode(), "text/csv")
    eqo = unit_id(opener, server.url, "eqo")
    plan = {
        "title": "词语锚定演练",
        "type": "drill",
        "community_ids": [COMMUNITIES[0]],
        "venue_shelter_id": SHELTER,
        "organising_unit": str(eqo),
        "start": f"{ANCHOR_DAY}T09:00:00+08:00",
        "end": f"{ANCHOR_DAY}T11:00:00+08:00",
        "objectives": [{"id": "o1", "text": "安置受灾群众", "capability": "mass_care"}],
    }
    api_post(opener, csrf, server.url + "/api/drills", {"id": "ws-anchor", "plan": plan})
    drill_step(opener, csrf, server.url, "ws-anchor", "submitted")
    api_post(opener, csrf, server.url + "/api/readiness/recompute", {})
    _SEEDED[server.url] = eqo
    return eqo


def forbidden(page: Page) -> list[str]:
    """Every 403 answer the page receives from now on."""
    seen: list[str] = []

    def on_response(resp: Response) -> None:
        if resp.status == 403:
            seen.append(f"{resp.request.method} {resp.url}")

    page.on("response", on_response)
    return seen


def new_plan(page: Page, server: Server, day: str, community: str) -> None:
    """Open a new plan for `community` on `day` at the test shelter (the live check runs)."""
    page.goto(f"{server.url}/#/drills/new?date={day}&community={community}")
    expect(page.get_by_test_id("plan-form")).to_be_visible()
    page.get_by_test_id("plan-title").fill("词语测试演练")
    page.get_by_test_id("plan-venue_shelter_id").select_option(SHELTER)


def test_zh_cn_words(browser: Browser, server: Server) -> None:
    """Durations, readiness inputs, holidays, capabilities, gaps, audit names in Chinese."""
    seed(server)
    page = new_page(browser, "zh-CN")
    try:
        login(page, server.url, "coordinator")
        # Durations through the helpers every page uses: minutes are numbers, not "{m}".
        texts = page.evaluate(
            """async () => {
              const d = await import('/js/ui/duration.js');
              const c = await import('/js/pages/health/common.js');
              const ago = (s) => new Date(Date.now() - s * 1000).toISOString();
              return [c.formatDuration(ago(5 * 60 + 10)), c.formatDuration(ago(59 * 60)),
                      c.formatDuration(ago(3 * 3600 + 20 * 60)), d.hoursText(336),
                      d.hoursText(52), d.durationText(45)];
            }"""
        )
        assert texts == ["5 分钟", "59 分钟", "3 小时 20 分钟", "14 天", "2 天 4 小时", "45 秒"]

        # The readiness "why" dialog in sentences, no raw keys or JSON.
        page.goto(f"{server.url}/#/readiness?code={COMMUNITIES[0]}")
        dialog = page.get_by_test_id("readiness-detail-dialog")
        expect(dialog).to_be_visible()
        kits = dialog.get_by_test_id("readiness-inputs-kits")
        expect(kits).to_contain_text("已发放：标准应急包 120 个，老年人应急包 15 个")
        expect(kits).to_contain_text("共 300 户")
        capacity = dialog.get_by_test_id("readiness-inputs-shelter_capacity")
        expect(capacity).to_contain_text("名居民分配了")
        text = dialog.inner_text()
        assert "{" not in text and '"' not in text, text
        assert not RAW_KEY.search(text), RAW_KEY.findall(text)
        shot(page, "words-readiness-why-zh-CN")
        page.keyboard.press("Escape")

        # A capability shows as words in the plan (stored as its code).
        page.goto(f"{server.url}/#/drills/ws-anchor")
        expect(page.get_by_test_id("objective-capability")).to_have_value("群众安置")

        # Too close to the anchor drill: the gap and the minimum in days, not "336 小时".
        new_plan(page, server, "2027-06-17", COMMUNITIES[0])
        close_by = page.get_by_test_id("conflict-community_too_close")
        expect(close_by).to_contain_text("至少需相隔 14 天")
        expect(close_by).to_contain_text(re.compile(r"仅相隔 \d+ 天"))
        expect(close_by).not_to_contain_text("小时）")
        # A holiday in the UI language only.
        page.get_by_test_id("plan-start").fill(f"{NATIONAL_DAY}T09:00")
        page.get_by_test_id("plan-start").dispatch_event("change")
        blackout = page.get_by_test_id("conflict-blackout")
        expect(blackout).to_contain_text("国庆节")
        expect(blackout).not_to_contain_text("National")
        shot(page, "words-conflicts-zh-CN")
    finally:
        close(page)

    admin = new_page(browser, "zh-CN")
    try:
        login(admin, server.url, "admin")
        # Audit rows: the action in words (code on hover), the actor by display name.
        admin.goto(f"{server.url}/#/admin/audit?action=drill.create")
        row = admin.get_by_test_id("audit-table").locator("tbody tr").first
        expect(row.locator("td").nth(3)).to_have_text("创建演练计划")
        expect(row.locator("td").nth(3)).to_have_attribute("title", "drill.create")
        actor = row.locator(".person")
        expect(actor).to_have_text("演练协调员")
        expect(actor).to_have_attribute("title", "coordinator")
        admin.goto(f"{server.url}/#/admin/audit?action=auth.login")
        expect(admin.get_by_test_id("audit-table").locator("tbody tr td").nth(3)).to_have_text(
            "登录"
        )
        # Health "since" in natural units on the real overview.
        admin.goto(f"{server.url}/#/health")
        rows = admin.locator("[data-testid^=health-row-]")
        expect(rows.first).to_be_visible()
        since = rows.locator("td:nth-child(5)").all_inner_texts()
        assert since and all(DURATION_ZH.match(s) for s in since), since
        shot(admin, "words-health-zh-CN")
    finally:
        close(admin)


def test_en_holiday_and_readiness(browser: Browser, server: Server) -> None:
    seed(server)
    page = new_page(browser, "en")
    try:
        login(page, server.url, "coordinator")
        new_plan(page, server, NATIONAL_DAY, COMMUNITIES[1])
        blackout = page.get_by_test_id("conflict-blackout")
        expect(blackout).to_contain_text("National Day")
        expect(blackout).not_to_contain_text("国庆")
        page.goto(f"{server.url}/#/readiness?code={COMMUNITIES[0]}")
        kits = page.get_by_test_id("readiness-inputs-kits")
        expect(kits).to_contain_text("Delivered: 120 standard kits, 15 for the elderly")
        text = page.get_by_test_id("readiness-detail-dialog").inner_text()
        assert not RAW_KEY.search(text), RAW_KEY.findall(text)
    finally:
        close(page)


def _stops(page: Page) -> list[int]:
    statuses: list[int] = []

    def on_response(resp: Response) -> None:
        if resp.request.method == "DELETE" and "/api/live/" in resp.url:
            statuses.append(resp.status)

    page.on("response", on_response)
    return statuses


def test_viewer_sees_no_action_it_may_not_take(browser: Browser, server: Server) -> None:
    """A viewer visits every page: no Plan-a-drill, no recompute, no map tools, no push or
    share, camera status on the wall without 403, and tile stops answered 204."""
    seed(server)
    page = new_page(browser, "zh-CN")
    refused = forbidden(page)
    stops = _stops(page)
    try:
        login(page, server.url, "viewer")
        expect(page.get_by_test_id("nav-admin")).to_have_count(0)
        page.goto(f"{server.url}/#/wall?cameras=YX-0001,YX-0003")
        expect(page.get_by_test_id("wall-push")).to_have_count(0)
        page.wait_for_function(
            """() => [...document.querySelectorAll('.wall-tile video')]
                 .filter((v) => v.videoWidth > 0).length >= 2""",
            timeout=40_000,
        )
        # The dark road's badge comes from the status view the viewer may now read.
        dark = page.locator(".wall-tile[data-camera=YX-0003]")
        expect(dark).to_have_attribute("data-status", "degraded", timeout=60_000)
        page.get_by_test_id("wall-save").click()
        save = page.get_by_test_id("wall-save-dialog")
        expect(save).to_be_visible()
        expect(save.locator("[name=shared]")).to_have_count(0)
        page.keyboard.press("Escape")
        page.goto(f"{server.url}/#/drills/compliance")
        expect(page.get_by_test_id("overdue-list").locator("li").first).to_be_visible()
        expect(page.get_by_test_id("plan-one")).to_have_count(0)
        deadline = time.monotonic() + 20
        while len(stops) < 2 and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        assert len(stops) >= 2 and set(stops) == {204}, stops  # the wall's tiles stopped
        page.goto(f"{server.url}/#/drills?date={ANCHOR_DAY}")
        expect(page.get_by_test_id("cal-grid")).to_be_visible()
        expect(page.get_by_test_id("drill-new")).to_have_count(0)
        page.goto(f"{server.url}/#/drills/actions")
        expect(page.get_by_test_id("drills-view-actions")).to_be_visible()
        expect(page.get_by_test_id("ip-close")).to_have_count(0)
        page.goto(f"{server.url}/#/drills/new")
        expect(page.get_by_test_id("message-panel")).to_contain_text("您的角色不包括编制演练计划")
        page.goto(f"{server.url}/#/readiness")
        expect(page.get_by_test_id("readiness-rows").locator("tr").first).to_be_visible()
        expect(page.get_by_test_id("readiness-recompute")).to_have_count(0)
        page.goto(f"{server.url}/#/map")
        expect(page.get_by_test_id("map-tools")).to_have_count(0)
        page.goto(f"{server.url}/#/health")
        expect(page.get_by_test_id("cameras-table")).to_be_visible()
        expect(page.get_by_test_id("camera-create")).to_have_count(0)
        connected(page)
        shot(page, "words-viewer-health-zh-CN")
        assert refused == [], refused
    finally:
        close(page)


def test_coordinator_gets_its_actions_and_no_refusals(browser: Browser, server: Server) -> None:
    seed(server)
    page = new_page(browser, "en")
    refused = forbidden(page)
    try:
        login(page, server.url, "coordinator")
        page.goto(f"{server.url}/#/wall")
        expect(page.get_by_test_id("wall-grid")).to_be_visible()
        expect(page.get_by_test_id("wall-push")).to_have_count(0)
        page.goto(f"{server.url}/#/drills/compliance")
        expect(page.get_by_test_id("plan-one").first).to_be_visible()
        page.goto(f"{server.url}/#/readiness")
        expect(page.get_by_test_id("readiness-recompute")).to_be_visible()
        page.goto(f"{server.url}/#/map")
        expect(page.get_by_test_id("map-tools")).to_be_visible()
        page.goto(f"{server.url}/#/health")
        expect(page.get_by_test_id("cameras-table")).to_be_visible()
        expect(page.get_by_test_id("camera-create")).to_have_count(0)
        expect(page.get_by_test_id("nav-admin")).to_have_count(0)
        assert refused == [], refused
    finally:
        close(page)


def _expire_sessions(server: Server, username: str) -> None:
    """End the user's sessions in the server's database (as the idle timeout does)."""
    with sqlite3.connect(server.data_dir / "eoc.db", timeout=15) as db:
        db.execute(
            "UPDATE sessions SET expires_at = '2000-01-01 00:00:00.000000' "
            "WHERE user_id = (SELECT id FROM users WHERE username = ?)",
            (username,),
        )
    # The server remembers who a cookie belongs to for up to TTL_S (a real expiry is honoured
    # at once; this write from outside the process is not seen until the entry lapses).
    time.sleep(TTL_S + 0.5)


def test_session_end_keeps_the_half_filled_drill_form(browser: Browser, server: Server) -> None:
    eqo = seed(server)
    admin, csrf = api_session(server.url, "admin")
    user, password = "ws-coord", "quiet-river-lantern-9"
    try:
        api_post(
            admin,
            csrf,
            server.url + "/api/users",
            {
                "username": user,
                "display_name": "词语协调员",
                "password": password,
                "unit_id": eqo,
                "roles": ["coordinator"],
            },
        )
    except urllib.error.HTTPError as exc:  # a second run on the same server
        assert exc.code == 409, exc.read()
    page = new_page(browser, "zh-CN")
    try:
        login(page, server.url, user, password)
        new_plan(page, server, "2027-08-18", COMMUNITIES[1])
        page.get_by_test_id("plan-id").fill("ws-relogin")
        page.get_by_test_id("plan-title").fill("会话过期后仍保存的演练")
        page.get_by_test_id("plan-expected_residents").fill("321")
        page.get_by_test_id("plan-objectives-add").click()
        page.get_by_test_id("objective-text").fill("十五分钟内完成集结")
        page.get_by_test_id("objective-capability").fill("疏散")
        _expire_sessions(server, user)
        page.get_by_test_id("plan-save").click()
        dialog = page.get_by_test_id("relogin-dialog")
        expect(dialog).to_be_visible()
        expect(page.get_by_test_id("relogin-username")).to_have_value(user)
        # A wrong password keeps the dialog (and the page) and says so.
        page.get_by_test_id("relogin-password").fill("not-the-password")
        page.get_by_test_id("relogin-submit").click()
        expect(page.get_by_test_id("relogin-error")).to_contain_text("用户名或密码错误")
        expect(page.get_by_test_id("plan-title")).to_have_value("会话过期后仍保存的演练")
        shot(page, "words-relogin-zh-CN")
        page.get_by_test_id("relogin-password").fill(password)
        page.get_by_test_id("relogin-submit").click()
        expect(dialog).to_have_count(0)
        # The save went through after signing in again, with what was typed.
        expect(page).to_have_url(re.compile(r"#/drills/ws-relogin$"))
        expect(page.get_by_test_id("drill-title")).to_have_text("会话过期后仍保存的演练")
        expect(page.get_by_test_id("login-view")).to_have_count(0)
    finally:
        close(page)
    opener, _ = api_session(server.url, user, password)
    with opener.open(server.url + "/api/drills/ws-relogin", timeout=10) as resp:
        saved = json.load(resp)
    assert saved["plan"]["title"] == "会话过期后仍保存的演练"
    assert saved["plan"]["expected_residents"] == 321
    assert saved["plan"]["community_ids"] == [COMMUNITIES[1]]
    assert [(o["text"], o["capability"]) for o in saved["plan"]["objectives"]] == [
        ("十五分钟内完成集结", "evacuation")
    ]
