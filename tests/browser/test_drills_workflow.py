"""Workflow in the browser: a rescheduled drill is sent back for approval and says so, the
recurrence picker's end date is accepted, working days only, a draft is deleted, a running drill
is aborted with a reason, and public holidays (provisional ones marked) show in the calendar."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.harness import (
    Server,
    api_post,
    api_session,
    close,
    drill_walk,
    login,
    new_page,
    shot,
)
from tests.browser.test_drills_page import COMMUNITIES, SHANGHAI, SHELTER, seed_gis

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DAY = "2027-04-14"  # a Wednesday without holidays near it


def _plan(eqo: int, start: datetime, **kw: Any) -> dict[str, Any]:
    return {
        "title": "流程测试演练",
        "type": "drill",
        "community_ids": [COMMUNITIES[0]],
        "venue_shelter_id": SHELTER,
        "organising_unit": str(eqo),
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
        **kw,
    }


def _get(opener: Any, url: str) -> dict[str, Any]:
    with opener.open(url, timeout=10) as resp:
        answer: dict[str, Any] = json.load(resp)
        return answer


def test_sent_back_until_and_working_days(browser: Browser, server: Server) -> None:
    opener, csrf = api_session(server.url, "coordinator")
    eqo = seed_gis(server, opener, csrf)
    start = datetime.fromisoformat(f"{DAY}T09:00:00+08:00")
    api_post(opener, csrf, server.url + "/api/drills", {"id": "bt-wf", "plan": _plan(eqo, start)})
    drill_walk(server.url, "bt-wf", ("submitted", "approved", "scheduled"), (opener, csrf))
    page = new_page(browser, "zh-CN")
    try:
        login(page, server.url, "coordinator")
        page.goto(f"{server.url}/#/drills/bt-wf")
        expect(page.get_by_test_id("drill-status")).to_have_attribute("data-status", "scheduled")
        # Weekly until 30 June, working days only: the picker's UNTIL is the end of that day
        # in Shanghai, in UTC, and the server keeps it as is.
        page.get_by_test_id("rrule-freq").select_option("WEEKLY")
        page.get_by_test_id("rrule-until").fill("2027-06-30")
        page.get_by_test_id("rrule-until").dispatch_event("change")
        expect(page.get_by_test_id("plan-rrule")).to_have_value(
            "FREQ=WEEKLY;UNTIL=20270630T155959Z"
        )
        page.get_by_test_id("plan-working_days_only").check()
        page.get_by_test_id("plan-save").click()
        notice = page.get_by_test_id("sent-back")
        expect(notice).to_be_visible()
        expect(notice).to_contain_text("重复规则")
        expect(notice).to_contain_text("已排期")
        expect(page.get_by_test_id("drill-status")).to_have_attribute("data-status", "submitted")
        shot(page, "drills-sent-back-zh-CN")
        saved = _get(opener, server.url + "/api/drills/bt-wf")
        assert saved["plan"]["rrule"] == "FREQ=WEEKLY;UNTIL=20270630T155959Z"
        assert saved["plan"]["working_days_only"] is True
        assert saved["occurrence_count"] == 11  # Dragon Boat Festival, 9 June, is skipped
        # Reloaded, the picker shows the same end date.
        page.reload()
        expect(page.get_by_test_id("rrule-until")).to_have_value("2027-06-30")
        # The calendar marks public holidays; next year's are provisional.
        page.goto(f"{server.url}/#/drills?date=2027-10-01")
        national = page.get_by_test_id("cal-holiday-2027-10-01")
        expect(national).to_contain_text("国庆节")
        expect(national).to_have_attribute("data-provisional", "1")
    finally:
        close(page)


def test_delete_draft_and_abort_with_reason(browser: Browser, server: Server) -> None:
    opener, csrf = api_session(server.url, "coordinator")
    eqo = seed_gis(server, opener, csrf)
    start = datetime.fromisoformat(f"{DAY}T14:00:00+08:00")
    api_post(opener, csrf, server.url + "/api/drills", {"id": "bt-del", "plan": _plan(eqo, start)})
    now = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(minutes=5)
    plan = _plan(eqo, now, venue_shelter_id=SHELTER, community_ids=[COMMUNITIES[1]])
    api_post(opener, csrf, server.url + "/api/drills", {"id": "bt-abort", "plan": plan})
    drill_walk(server.url, "bt-abort", ("submitted", "approved", "scheduled"), (opener, csrf))
    req = urllib.request.Request(
        server.url + "/api/drills/bt-abort/start",
        b"",
        {"X-CSRF-Token": csrf, "If-Match": '"4"'},
        method="POST",
    )
    with opener.open(req, timeout=10) as resp:
        assert json.load(resp)["status"] == "in_progress"
    page = new_page(browser, "en")
    try:
        login(page, server.url, "coordinator")
        page.goto(f"{server.url}/#/drills/bt-del")
        page.get_by_test_id("drill-delete").click()
        page.get_by_test_id("reason-confirm").click()
        expect(page).to_have_url(re.compile(r"#/drills$"))
        with pytest.raises(urllib.error.HTTPError) as gone:
            _get(opener, server.url + "/api/drills/bt-del")
        assert gone.value.code == 404
        # Abort the running drill from its live view: a reason is required.
        page.goto(f"{server.url}/#/drills/bt-abort/live")
        page.get_by_test_id("transition-aborted").click()
        confirm = page.get_by_test_id("reason-confirm")
        expect(confirm).to_be_disabled()
        page.get_by_test_id("reason-text").fill("Real aftershock M4.1: drill stopped")
        expect(confirm).to_be_enabled()
        confirm.click()
        expect(page.get_by_test_id("drill-status")).to_have_attribute("data-status", "aborted")
        expect(page.get_by_test_id("status-reason")).to_contain_text("Real aftershock M4.1")
        assert _get(opener, server.url + "/api/drills/bt-abort")["status_reason"].startswith("Real")
    finally:
        close(page)
