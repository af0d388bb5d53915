"""The drills pages: a coordinator schedules a drill in the calendar, sees a venue conflict and
fixes it, moves it through the workflow, runs it live while an observer in another browser adds a
note that appears without reload, completes it and files the after-action report."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.harness import (
    Server,
    api_post,
    api_session,
    close,
    connected,
    drill_step,
    login,
    new_page,
    open_json,
    shot,
    unit_id,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DAY = "2027-03-17"  # a Wednesday without public holidays around it
SHANGHAI = ZoneInfo("Asia/Shanghai")
COMMUNITIES = ["BT-C1", "BT-C2"]
SHELTER = "BT-S1"
ROUTE = "BT-R1"
CAMERA = "BT-CAM1"  # 55 m from the shelter: it covers the venue


def _import(
    opener: Any, csrf: str, url: str, layer: str, fc: dict[str, Any], **params: str
) -> None:
    qs = urllib.parse.urlencode(params)
    req = urllib.request.Request(
        f"{url}/api/gis/layers/{layer}/import?{qs}",
        json.dumps(fc).encode(),
        {"Content-Type": "application/geo+json", "X-CSRF-Token": csrf},
    )
    assert open_json(opener, req)["layer"] == layer


def _feature(props: dict[str, Any], geometry: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON feature; an "id" given among the properties becomes the Feature.id."""
    rest = {k: v for k, v in props.items() if k != "id"}
    feature = {"type": "Feature", "properties": rest, "geometry": geometry}
    return feature | ({"id": props["id"]} if "id" in props else {})


def seed(server: Server) -> tuple[int, int]:
    """GIS features the plan refers to and a submitted drill holding the venue at 09:00."""
    opener, csrf = api_session(server.url, "coordinator")
    eqo = seed_gis(server, opener, csrf)
    street = unit_id(opener, server.url, "street-a")
    plan = {
        "title": "占用场地的演练",
        "type": "drill",
        "community_ids": [COMMUNITIES[1]],
        "venue_shelter_id": SHELTER,
        "organising_unit": str(eqo),
        "start": f"{DAY}T09:00:00+08:00",
        "end": f"{DAY}T11:00:00+08:00",
    }
    api_post(opener, csrf, server.url + "/api/drills", {"id": "bt-blocker", "plan": plan})
    drill_step(opener, csrf, server.url, "bt-blocker", "submitted")
    admin, admin_csrf = api_session(server.url, "admin")
    camera = {
        "id": CAMERA,
        "name": "测试公园东门",
        "owner_unit_id": eqo,
        "watch_mode": "patrol",
        "main_url": "rtsp://127.0.0.1:9/bt-cam",
        "lon": 113.505,
        "lat": 23.1045,
    }
    api_post(admin, admin_csrf, server.url + "/api/cameras", camera)
    return eqo, street


def seed_gis(server: Server, opener: Any, csrf: str) -> int:
    """Communities, a shelter and a route (imports upsert, so this may run twice); eqo's id."""
    x = 113.5
    comms = [
        _feature(
            {"name": f"测试社区{code}", "code": code, "population": 800, "households": 300},
            {
                "type": "Polygon",
                "coordinates": [
                    [
                        [x + i / 50, 23.1],
                        [x + i / 50 + 0.01, 23.1],
                        [x + i / 50 + 0.01, 23.11],
                        [x + i / 50, 23.1],
                    ]
                ],
            },
        )
        for i, code in enumerate(COMMUNITIES)
    ]
    _import(
        opener, csrf, server.url, "communities", {"type": "FeatureCollection", "features": comms}
    )
    names = json.dumps({"name": "name"})
    shelter = _feature(
        {"id": SHELTER, "name": "测试公园避难场所"},
        {"type": "Point", "coordinates": [x + 0.005, 23.105]},
    )
    _import(
        opener,
        csrf,
        server.url,
        "shelters",
        {"type": "FeatureCollection", "features": [shelter]},
        mapping=names,
    )
    route = _feature(
        {"id": ROUTE, "name": "测试疏散路线"},
        {"type": "LineString", "coordinates": [[x, 23.1], [x + 0.005, 23.105]]},
    )
    _import(
        opener,
        csrf,
        server.url,
        "routes",
        {"type": "FeatureCollection", "features": [route]},
        mapping=names,
    )
    return unit_id(opener, server.url, "eqo")


def plan_drill(page: Page, street: int) -> None:
    page.get_by_test_id(f"cal-day-{DAY}").click()
    expect(page.get_by_test_id("plan-form")).to_be_visible()
    page.get_by_test_id("plan-id").fill("bt-drill")
    page.get_by_test_id("plan-title").fill("测试社区地震疏散演练")
    page.get_by_test_id(f"plan-community_ids-{COMMUNITIES[0]}").check()
    page.get_by_test_id(f"plan-route_ids-{ROUTE}").check()
    page.get_by_test_id(f"plan-participating_units-{street}").check()
    page.get_by_test_id("plan-expected_residents").fill("200")
    page.get_by_test_id("plan-objectives-add").click()
    page.get_by_test_id("objective-text").fill("30 分钟内完成全员疏散")
    page.get_by_test_id("objective-capability").fill("evacuation")
    page.get_by_test_id("plan-venue_shelter_id").select_option(SHELTER)
    expect(page.get_by_test_id("plan-start")).to_have_value(f"{DAY}T09:00")


def test_plan_conflict_run_live_and_report(browser: Browser, server: Server) -> None:
    _eqo, street = seed(server)
    coord = new_page(browser, "zh-CN")
    observer: Page | None = None
    try:
        login(coord, server.url, "coordinator")
        coord.goto(f"{server.url}/#/drills?date={DAY}")
        expect(coord.get_by_test_id("cal-event-bt-blocker")).to_be_visible()
        plan_drill(coord, street)
        # The live check explains the clash with the submitted drill at the same venue.
        conflict = coord.get_by_test_id("conflict-venue")
        expect(conflict).to_be_visible()
        expect(conflict).to_contain_text("占用场地的演练")
        expect(conflict).to_contain_text(SHELTER)
        shot(coord, "drills-conflict-zh-CN")
        # Moving the start to now (a drill can only start near its time) keeps the two hours
        # and clears the venue conflict.
        begin = datetime.now(SHANGHAI) - timedelta(minutes=10)
        coord.get_by_test_id("plan-start").fill(begin.strftime("%Y-%m-%dT%H:%M"))
        coord.get_by_test_id("plan-start").dispatch_event("change")
        end = (begin + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
        expect(coord.get_by_test_id("plan-end")).to_have_value(end)
        expect(coord.get_by_test_id("conflict-venue")).to_have_count(0)
        coord.get_by_test_id("plan-save").click()
        expect(coord).to_have_url(re.compile(r"#/drills/bt-drill$"))
        expect(coord.get_by_test_id("drill-status")).to_have_attribute("data-status", "draft")
        expect(coord.get_by_test_id("conflict-venue")).to_have_count(0)
        # Only allowed transitions are offered; walk to in progress. Whoever submits a drill
        # may not approve it (separation of duties): the district admin approves.
        expect(coord.get_by_test_id("transition-approved")).to_have_count(0)
        coord.get_by_test_id("transition-submitted").click()
        expect(coord.get_by_test_id("drill-status")).to_have_attribute("data-status", "submitted")
        opener, csrf = api_session(server.url, "admin")
        drill_step(opener, csrf, server.url, "bt-drill", "approved")
        coord.reload()
        expect(coord.get_by_test_id("drill-status")).to_have_attribute("data-status", "approved")
        coord.get_by_test_id("transition-scheduled").click()
        expect(coord.get_by_test_id("drill-status")).to_have_attribute("data-status", "scheduled")
        coord.get_by_test_id("transition-in_progress").click()
        expect(coord.get_by_test_id("drill-live")).to_be_visible()
        expect(coord.get_by_test_id("drill-status")).to_have_attribute("data-status", "in_progress")
        connected(coord)
        expect(coord.get_by_test_id(f"live-camera-{CAMERA}").get_by_test_id("thumb")).to_have_count(
            1
        )
        wall = coord.get_by_test_id("live-open-wall")
        expect(wall).to_have_attribute("href", f"#/wall?cameras={CAMERA}")

        observer = new_page(browser, "en")
        login(observer, server.url, "viewer")
        observer.goto(f"{server.url}/#/drills/bt-drill/live")
        expect(observer.get_by_test_id("tl-note-text")).to_be_visible()
        expect(observer.get_by_test_id("tl-alarm_sounded")).to_have_count(0)
        connected(observer)

        coord.get_by_test_id("tl-alarm_sounded").click()
        expect(coord.get_by_test_id("tl-entry").filter(has_text="警报拉响")).to_have_count(1)
        coord.get_by_test_id("tl-evacuation_started").click()
        expect(coord.get_by_test_id("tl-entry")).to_have_count(2)
        coord.wait_for_timeout(1200)  # a measurable evacuation time
        coord.get_by_test_id("tl-assembly_complete").click()
        coord.get_by_test_id("tl-count").fill("150")
        coord.get_by_test_id("tl-head_count").click()
        expect(coord.get_by_test_id("tl-entry")).to_have_count(4)
        evacuation = coord.get_by_test_id("measure-evacuation")
        expect(evacuation).not_to_contain_text("—")
        expect(coord.get_by_test_id("measure-participation")).to_contain_text("75")
        # The observer saw the coordinator's entries live and adds a note the coordinator sees.
        expect(observer.get_by_test_id("tl-entry")).to_have_count(4)
        observer.get_by_test_id("tl-note-text").fill("东门通道拥堵约 2 分钟")
        observer.get_by_test_id("tl-note-add").click()
        note = coord.get_by_test_id("tl-entry").filter(has_text="东门通道拥堵约 2 分钟")
        expect(note).to_have_count(1)
        # The observer by display name, the user name on hover.
        author = note.locator(".tl-author .person")
        expect(author).to_have_text("街道观察员")
        expect(author).to_have_attribute("title", "viewer")
        measured = evacuation.locator(".measure-value").inner_text()
        shot(coord, "drills-live-zh-CN")

        coord.get_by_test_id("transition-completed").click()
        expect(coord.get_by_test_id("drill-report")).to_be_visible()
        expect(coord.get_by_test_id("report-measure-evacuation")).to_contain_text(measured)
        coord.get_by_test_id("rating-o1").select_option("S")
        coord.get_by_test_id("areas-o1").fill("东门通道需增派引导员")
        coord.get_by_test_id("action-add").click()
        coord.get_by_test_id("action-description").fill("东门增设两名疏散引导员")
        coord.get_by_test_id("action-due").fill("2027-04-30")
        coord.get_by_test_id("report-purpose").fill("检验社区地震疏散预案")
        coord.get_by_test_id("report-save").click()
        expect(coord.get_by_test_id("drill-report")).to_have_attribute("data-version", "1")
        expect(coord.get_by_test_id("rating-o1")).to_have_value("S")
        expect(coord.get_by_test_id("action-description")).to_have_value("东门增设两名疏散引导员")
        expect(coord.get_by_test_id("report-measure-evacuation")).to_contain_text(measured)
        print_view = coord.get_by_test_id("report-print").get_attribute("href")
        assert print_view and "report.html?lang=zh-CN" in print_view
        shot(coord, "drills-report-zh-CN")
        # Sign-off names print on the report.
        coord.get_by_test_id("report-reviewed_by").fill("李四")
        coord.get_by_test_id("report-issued_by").fill("王五")
        coord.get_by_test_id("report-save").click()
        expect(coord.get_by_test_id("drill-report")).to_have_attribute("data-version", "2")
        expect(coord.get_by_test_id("report-reviewed_by")).to_have_value("李四")
        # Reviewed: the report locks, but corrective actions can still be closed.
        coord.get_by_test_id("transition-reviewed").click()
        expect(coord.get_by_test_id("report-locked")).to_be_visible()
        expect(coord.get_by_test_id("report-save")).to_have_count(0)
        expect(coord.get_by_test_id("report-purpose")).to_be_disabled()
        coord.locator("[data-testid^=action-close-]").click()
        expect(coord.get_by_test_id("action-closed")).to_be_visible()
    finally:
        close(coord)
        if observer is not None:
            close(observer)


def test_stale_save_validation_calendar_feed_and_compliance(
    browser: Browser, server: Server
) -> None:
    opener, csrf = api_session(server.url, "coordinator")
    eqo = seed_gis(server, opener, csrf)
    day = "2027-03-24"
    plan = {
        "title": "并发编辑演练",
        "type": "community_evacuation",
        "community_ids": [COMMUNITIES[1]],
        "venue_shelter_id": SHELTER,
        "organising_unit": str(eqo),
        "start": f"{day}T09:00:00+08:00",
        "end": f"{day}T10:00:00+08:00",
    }
    api_post(opener, csrf, server.url + "/api/drills", {"id": "bt-conc", "plan": plan})
    first = new_page(browser, "zh-CN")
    second = new_page(browser, "en")
    try:
        for page, user in ((first, "coordinator"), (second, "admin")):
            login(page, server.url, user)
            page.goto(f"{server.url}/#/drills/bt-conc")
            expect(page.get_by_test_id("drill-version")).to_contain_text("1")
            connected(page)
        first.get_by_test_id("plan-title").fill("甲的标题")
        first.get_by_test_id("plan-save").click()
        expect(first.get_by_test_id("drill-title")).to_have_text("甲的标题")
        expect(second.get_by_test_id("changed-banner")).to_be_visible()
        # A server validation error lands next to its field (live check), then a stale save.
        second.get_by_test_id("plan-end").fill(f"{day}T08:00")
        second.get_by_test_id("plan-end").dispatch_event("change")
        expect(second.get_by_test_id("plan-error-end")).to_contain_text("after the start")
        second.get_by_test_id("plan-end").fill(f"{day}T10:30")
        second.get_by_test_id("plan-title").fill("B title")
        second.get_by_test_id("plan-save").click()
        expect(second.get_by_test_id("stale-banner")).to_contain_text("version 2")
        second.get_by_test_id("stale-overwrite").click()
        expect(second.get_by_test_id("drill-title")).to_have_text("B title")
        expect(second.get_by_test_id("drill-version")).to_contain_text("3")
        # Calendar: month and week views, community filter, subscription link.
        second.goto(f"{server.url}/#/drills?date={day}")
        event = second.get_by_test_id("cal-event-bt-conc")
        expect(event).to_have_attribute("data-status", "draft")
        second.get_by_test_id("cal-view-week").click()
        expect(second.get_by_test_id("cal-grid")).to_have_attribute("data-view", "week")
        expect(event).to_be_visible()
        second.get_by_test_id("cal-filter-community").select_option(COMMUNITIES[0])
        expect(event).to_have_count(0)
        second.get_by_test_id("cal-filter-community").select_option(COMMUNITIES[1])
        expect(event).to_be_visible()
        second.get_by_test_id("feed-subscribe").click()
        feed = second.get_by_test_id("feed-url")
        expect(feed).to_have_value(re.compile(r"/api/drills/feeds/[\w-]+\.ics$"))
        ics = second.request.get(feed.input_value())
        assert ics.ok and "BEGIN:VCALENDAR" in ics.text()
        shot(second, "drills-calendar-en")
        # Compliance: communities without a completed drill are listed as overdue.
        second.get_by_test_id("drills-tab-compliance").click()
        expect(second.get_by_test_id(f"overdue-{COMMUNITIES[0]}")).to_be_visible()
        row = second.get_by_test_id(f"compliance-{COMMUNITIES[0]}")
        expect(row).to_have_attribute("data-compliant", "0")
    finally:
        close(first)
        close(second)


def test_drills_catalogue_keys() -> None:
    """Every drills key the pages use (static and built from enumerations) is in both languages."""
    web = Path(__file__).resolve().parents[2] / "web"
    sources = [web / "js/pages/drills.js", *sorted((web / "js/pages/drills").glob("*.js"))]
    text = "\n".join(p.read_text(encoding="utf-8") for p in sources)
    used = set(re.findall(r"""["'](drills\.[a-z0-9_.]+)["']""", text)) - {"drills.timeline.added"}
    used -= set(re.findall(r"""\bcan\(\s*["']([^"']+)["']""", text))  # permissions, not keys
    assert len(used) > 100, "the key scan found suspiciously few keys"
    common = (web / "js/pages/drills/common.js").read_text(encoding="utf-8")
    enum = {
        name: re.findall(r'"(\w+)"', re.search(rf"{name} = \[(.*?)\]", common, re.S).group(1))  # type: ignore[union-attr]
        for name in ("STATUSES", "TYPES")
    }
    used |= {f"drills.status.{s}" for s in enum["STATUSES"]}
    used |= {f"drills.action.{s}" for s in enum["STATUSES"] if s != "draft"} | {
        "drills.action.draft"
    }
    used |= {f"drills.type.{s}" for s in enum["TYPES"]}
    kinds = ["alarm_sounded", "evacuation_started", "assembly_complete", "head_count", "all_clear"]
    used |= {f"drills.kind.{k}" for k in [*kinds, "incident", "note"]}
    used |= {f"drills.rating.{r}" for r in "PSMU"}
    used |= {f"drills.rrule.{f}" for f in ("none", "WEEKLY", "MONTHLY", "YEARLY")}
    for key in ("venue", "team", "evaluator", "community", "blackout"):
        used.add(f"drills.conflict.{key}")
    holidays = ["new_years_day", "spring_festival", "tomb_sweeping_day", "labour_day"]
    holidays += ["dragon_boat_festival", "mid_autumn_festival", "national_day", "site"]
    used |= {f"drills.holiday.{k}" for k in holidays}
    fields = ["start", "end", "timezone", "rrule", "exdates", "working_days_only"]
    used |= {f"drills.sent_back_field.{f}" for f in [*fields, "venue_shelter_id", "community_ids"]}
    used |= {f"drills.reason.{r}" for r in ("cancelled", "aborted")}
    used |= {f"drills.report.{k}" for k in ("prepared_by", "reviewed_by", "issued_by")}
    cats = {
        loc: json.loads((web / "i18n" / f"{loc}.json").read_text(encoding="utf-8"))
        for loc in ("zh-CN", "en")
    }
    for loc, cat in cats.items():
        assert sorted(k for k in used if k not in cat) == [], loc
    for key in used:
        params = [set(re.findall(r"\{(\w+)\}", cats[loc][key])) for loc in cats]
        assert params[0] == params[1], key
