"""More of the drills pages: a weekly drill from the recurrence builder on three weeks of the
calendar, the report PDF, the improvement plan (overdue flagged, closing removes it from the open
list), unit calendar feeds created and revoked, and reminder notices on another page."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, WebSocketRoute, expect

from tests.browser.harness import Server, api_session, close, connected, login, new_page, shot
from tests.browser.test_drills_page import COMMUNITIES, SHELTER, seed_gis

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Wednesdays far from the other drills tests' March dates and from October's holidays.
WEEKS = ["2027-10-13", "2027-10-20", "2027-10-27"]


def test_weekly_drill_from_the_recurrence_builder(browser: Browser, server: Server) -> None:
    opener, csrf = api_session(server.url, "coordinator")
    seed_gis(server, opener, csrf)
    page = new_page(browser, "en")
    try:
        login(page, server.url, "coordinator")
        page.goto(f"{server.url}/#/drills/new?date={WEEKS[0]}")
        expect(page.get_by_test_id("plan-form")).to_be_visible()
        page.get_by_test_id("plan-id").fill("bt-weekly")
        page.get_by_test_id("plan-title").fill("Weekly warden drill")
        page.get_by_test_id(f"plan-community_ids-{COMMUNITIES[0]}").check()
        page.get_by_test_id("plan-venue_shelter_id").select_option(SHELTER)
        page.get_by_test_id("rrule-freq").select_option("WEEKLY")
        page.get_by_test_id("rrule-count").fill("3")
        page.get_by_test_id("rrule-count").dispatch_event("change")
        expect(page.get_by_test_id("plan-rrule")).to_have_value("FREQ=WEEKLY;COUNT=3")
        page.get_by_test_id("plan-save").click()
        expect(page).to_have_url(re.compile(r"#/drills/bt-weekly$"))
        expect(page.get_by_test_id("plan-rrule")).to_have_value("FREQ=WEEKLY;COUNT=3")

        page.goto(f"{server.url}/#/drills?date={WEEKS[0]}")
        events = page.get_by_test_id("cal-event-bt-weekly")
        expect(events).to_have_count(3)
        for day in WEEKS:
            expect(
                page.get_by_test_id(f"cal-day-{day}").get_by_test_id("cal-event-bt-weekly")
            ).to_have_count(1)
        expect(page.get_by_test_id("cal-day-2027-11-03").locator(".cal-event")).to_have_count(0)
        # The week view of the second week shows that week's occurrence only.
        page.goto(f"{server.url}/#/drills?date={WEEKS[1]}&view=week")
        expect(page.get_by_test_id("cal-grid")).to_have_attribute("data-view", "week")
        expect(events).to_have_count(1)
        expect(
            page.get_by_test_id(f"cal-day-{WEEKS[1]}").get_by_test_id("cal-event-bt-weekly")
        ).to_be_visible()
        shot(page, "drills-weekly-en")
    finally:
        close(page)


def test_report_pdf_through_the_session(browser: Browser, server: Server) -> None:
    page = new_page(browser, "zh-CN")
    try:
        login(page, server.url, "viewer")
        page.goto(f"{server.url}/#/drills/demo-past-1/report")
        link = page.get_by_test_id("report-pdf")
        expect(link).to_have_attribute("href", re.compile(r"/report\.pdf\?lang=zh-CN$"))
        answer = page.request.get(server.url + str(link.get_attribute("href")))
        assert answer.status == 200, answer.text()[:300]
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.body()[:5] == b"%PDF-"
    finally:
        close(page)


def test_improvement_plan_lists_overdue_and_closes(browser: Browser, server: Server) -> None:
    page = new_page(browser, "zh-CN")
    viewer = new_page(browser, "en")
    try:
        login(page, server.url, "coordinator")
        page.goto(f"{server.url}/#/drills")
        page.get_by_test_id("drills-tab-actions").click()
        expect(page).to_have_url(re.compile(r"#/drills/actions"))
        expect(page.get_by_test_id("drills-tab-actions")).to_have_attribute("aria-current", "page")
        # The demo's overdue action: flagged, linked to its drill's report.
        late = page.get_by_test_id("ip-demo-past-1-a1")
        expect(late).to_have_attribute("data-overdue", "1")
        expect(late).to_have_class(re.compile(r"\boverdue\b"))
        expect(late.get_by_test_id("ip-overdue")).to_be_visible()
        expect(late.get_by_test_id("ip-report")).to_have_attribute(
            "href", "#/drills/demo-past-1/report"
        )
        # Open, not overdue: listed but not flagged; closed ones are not in the open list.
        expect(page.get_by_test_id("ip-demo-past-1-a2")).to_have_attribute("data-overdue", "0")
        expect(page.get_by_test_id("ip-demo-past-1-a3")).to_have_count(0)
        page.get_by_test_id("ip-filter-overdue").select_option("true")
        expect(page.get_by_test_id("ip-demo-past-1-a2")).to_have_count(0)
        expect(late).to_be_visible()
        rows = page.get_by_test_id("ip-rows").locator("tr[data-overdue]")
        assert rows.count() >= 1
        for i in range(rows.count()):
            expect(rows.nth(i)).to_have_attribute("data-overdue", "1")
        shot(page, "drills-improvement-plan-zh-CN")

        # A viewer sees the plan without close buttons.
        login(viewer, server.url, "viewer")
        viewer.goto(f"{server.url}/#/drills/actions")
        expect(viewer.get_by_test_id("ip-demo-past-1-a1")).to_be_visible()
        expect(viewer.get_by_test_id("ip-close")).to_have_count(0)

        late.get_by_test_id("ip-close").click()
        expect(late).to_have_count(0)
        page.get_by_test_id("ip-filter-overdue").select_option("")
        expect(page.get_by_test_id("ip-demo-past-1-a2")).to_be_visible()
        expect(late).to_have_count(0)
        page.get_by_test_id("ip-filter-status").select_option("closed")
        expect(late).to_have_attribute("data-status", "closed")
        expect(late).to_have_attribute("data-overdue", "0")
        expect(late.get_by_test_id("ip-close")).to_have_count(0)
        # The viewer's open list dropped it live (the close event).
        expect(viewer.get_by_test_id("ip-demo-past-1-a1")).to_have_count(0)
    finally:
        close(page)
        close(viewer)


def test_unit_feed_created_and_revoked(browser: Browser, server: Server) -> None:
    page = new_page(browser, "en")
    try:
        login(page, server.url, "coordinator")
        page.goto(f"{server.url}/#/drills")
        page.get_by_test_id("feed-manage").click()
        box = page.get_by_test_id("feed-box")
        expect(box).to_be_visible()
        unit = page.get_by_test_id("feed-unit")
        expect(unit.locator("option")).not_to_have_count(0)
        own = unit.input_value()
        assert own, "the user's unit is preselected"
        page.get_by_test_id("feed-new-unit").click()
        url_box = page.get_by_test_id("feed-url")
        expect(url_box).to_have_value(re.compile(r"/api/drills/feeds/[\w-]+\.ics$"))
        url = url_box.input_value()
        feed_id = url_box.get_attribute("data-feed-id")
        item = page.get_by_test_id(f"feed-item-{feed_id}")
        expect(item).to_have_attribute("data-scope", "unit")
        expect(item).to_have_attribute("data-revoked", "0")
        ics = page.request.get(url)
        assert ics.status == 200 and "BEGIN:VCALENDAR" in ics.text()
        # The list survives a reload (GET /api/drills/feeds), without the secret URL.
        page.reload()
        page.get_by_test_id("feed-manage").click()
        expect(item).to_have_attribute("data-scope", "unit")
        expect(page.get_by_test_id("feed-url")).to_have_count(0)
        shot(page, "drills-feeds-en")
        page.get_by_test_id(f"feed-revoke-{feed_id}").click()
        dialog = page.get_by_test_id("confirm-dialog")
        expect(dialog).to_be_visible()
        dialog.locator(".btn-danger").click()
        expect(item).to_have_attribute("data-revoked", "1")
        expect(page.get_by_test_id(f"feed-revoke-{feed_id}")).to_have_count(0)
        assert page.request.get(url).status == 404
    finally:
        close(page)


def test_reminder_notice_on_another_page(browser: Browser, server: Server) -> None:
    page = new_page(browser, "en")
    sockets: list[WebSocketRoute] = []

    def proxy(ws: WebSocketRoute) -> None:
        ws.connect_to_server()  # pass everything through; keep the page side to inject into
        sockets.append(ws)

    page.route_web_socket(re.compile(r"/ws(\?.*)?$"), proxy)
    try:
        login(page, server.url, "coordinator")
        page.goto(f"{server.url}/#/drills")
        expect(page.get_by_test_id("cal-grid")).to_be_visible()
        page.goto(f"{server.url}/#/health")
        connected(page)
        start = "2027-10-13T09:00:00+08:00"
        data = {
            "drill_id": "demo-next-1",
            "title": "Reminder test drill",
            "start": start,
            "lead": "1h",
            "venue_shelter_id": SHELTER,
        }
        message: dict[str, Any] = {"type": "drills.reminder", "v": 1, "data": data}
        sockets[-1].send(json.dumps(message))
        notice = page.get_by_test_id("drill-reminder")
        expect(notice).to_have_count(1)
        expect(notice).to_contain_text("Reminder test drill")
        expect(notice).to_contain_text("1 hour")
        # The same reminder again (a replay) is not shown twice.
        sockets[-1].send(json.dumps(message))
        page.wait_for_timeout(300)
        expect(notice).to_have_count(1)
        notice.get_by_test_id("drill-reminder-link").click()
        expect(page).to_have_url(re.compile(r"#/drills/demo-next-1$"))
        expect(page.get_by_test_id("drill-editor")).to_be_visible()
        expect(notice).to_have_count(0)
    finally:
        close(page)


def test_new_drills_keys_in_both_catalogues() -> None:
    """Keys the new views build from values (not found by the literal-key scan) exist."""
    web = Path(__file__).resolve().parents[2] / "web"
    keys = {f"drills.ip.status_{s}" for s in ("open", "closed", "all")}
    keys |= {f"drills.ip.overdue_{s}" for s in ("all", "true", "false")}
    keys |= {f"drills.ip.col_{c}" for c in ("text", "drill", "owner", "due", "state")}
    keys |= {f"drills.ip.filter_{c}" for c in ("status", "overdue", "unit")}
    keys |= {f"drills.reminder.lead_{x}" for x in ("24h", "1h")} | {"drills.tab.actions"}
    for loc in ("zh-CN", "en"):
        cat = json.loads((web / "i18n" / f"{loc}.json").read_text(encoding="utf-8"))
        assert sorted(k for k in keys if k not in cat) == [], loc
