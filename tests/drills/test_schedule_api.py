"""Scheduling through the API: each conflict kind, RRULEs in the calendar, iCal feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar

from tests.conftest import login, new_client
from tests.drills.api import SH, advance, create_drill, plan_body

NY = ZoneInfo("America/New_York")
T0 = datetime(2027, 5, 12, 9, 0, tzinfo=SH)


async def check(c: httpx.AsyncClient, **kw: Any) -> list[dict[str, Any]]:
    r = await c.post("/api/drills/check", json=plan_body(**kw))
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["conflicts"]
    return found


@pytest.mark.asyncio
async def test_each_conflict_kind_explained(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    await create_drill(
        client, "base", team_ids=["T01"], evaluator_ids=["ev-li"], community_ids=["C01"]
    )
    await advance(client, "base", "submitted")
    # Same shelter, same time, another community: venue only.
    got = await check(client, community_ids=["C05"])
    assert [(c["kind"], c["other_drill_id"]) for c in got] == [("venue", "base")]
    assert "S01" in got[0]["message"] and got[0]["at"] == T0.isoformat()
    got = await check(client, shelter="S02", community_ids=["C05"], team_ids=["T01"])
    assert [c["kind"] for c in got] == ["team"] and "T01" in got[0]["message"]
    got = await check(client, shelter="S02", community_ids=["C05"], evaluator_ids=["ev-li"])
    assert [c["kind"] for c in got] == ["evaluator"] and "ev-li" in got[0]["message"]
    # Ten days later in the same community: too close under the 14-day default.
    got = await check(client, shelter="S02", start=T0 + timedelta(days=10))
    assert [c["kind"] for c in got] == ["community_too_close"]
    assert got[0]["params"]["min_gap_hours"] == 14 * 24
    assert await check(client, shelter="S02", start=T0 + timedelta(days=15)) == []
    # National Day is a blackout date from the shipped holiday list.
    got = await check(client, shelter="S03", start=datetime(2026, 10, 2, 9, tzinfo=SH))
    assert [c["kind"] for c in got] == ["blackout"]
    assert got[0]["other_drill_id"] is None and "National Day" in got[0]["message"]
    assert got[0]["params"]["holiday_key"] == "national_day"
    assert "provisional" not in got[0]["params"]
    # The stored drill's own conflicts route explains the same thing.
    await create_drill(client, "twin", community_ids=["C05"])
    r = await client.get("/api/drills/twin/conflicts")
    assert [c["kind"] for c in r.json()["conflicts"]] == ["venue"]
    r = await client.get("/api/drills/base/conflicts")
    assert r.json()["conflicts"] == []  # twin is a draft and does not block


@pytest.mark.asyncio
async def test_bad_plans_refused(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    bad = plan_body(
        community_ids=["C01", "C99"], shelter="S99", route_ids=["R77"], team_ids=["T55"]
    )
    r = await client.post("/api/drills", json={"id": "x", "plan": bad})
    assert r.status_code == 422
    errs = {e["loc"]: e["ids"] for e in r.json()["errors"]}
    assert errs == {
        "body.plan.community_ids": ["C99"],
        "body.plan.venue_shelter_id": ["S99"],
        "body.plan.route_ids": ["R77"],
        "body.plan.team_ids": ["T55"],
    }
    r = await client.post(
        "/api/drills", json={"id": "x", "plan": plan_body(rrule="FREQ=SOMETIMES")}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "body.plan.rrule"
    r = await client.post(
        "/api/drills", json={"id": "x", "plan": plan_body(end=(T0 + timedelta(days=8)).isoformat())}
    )
    assert r.status_code == 422 and "too_long" in r.text
    # A 7-day full-scale exercise is fine; an endless rule is capped and says so.
    r = await client.post(
        "/api/drills",
        json={"id": "week", "plan": plan_body(end=(T0 + timedelta(days=7)).isoformat())},
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        "/api/drills", json={"id": "daily", "plan": plan_body(rrule="FREQ=DAILY")}
    )
    assert r.status_code == 201
    assert (r.json()["truncated"], r.json()["cap"], r.json()["occurrence_count"]) == (
        True,
        366,
        366,
    )
    r = await client.post("/api/drills", json={"id": "x", "plan": plan_body(note="x" * 10)})
    assert r.status_code == 422
    r = await client.post(
        "/api/drills", json={"id": "x", "plan": plan_body(scenario="长" * 20_001)}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["loc"].endswith("scenario")


@pytest.mark.asyncio
async def test_calendar_expands_rrule_across_dst(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    start = datetime(2026, 10, 25, 9, 0, tzinfo=NY)  # DST ends in New York on 1 Nov 2026
    await create_drill(
        client,
        "ny",
        start=start,
        timezone="America/New_York",
        rrule="FREQ=WEEKLY;BYDAY=SU;COUNT=5",
        exdates=[datetime(2026, 11, 15, 9, 0, tzinfo=NY).isoformat()],
    )
    r = await client.get(
        "/api/drills/calendar", params={"date": "2026-11-10", "tz": "America/New_York"}
    )
    assert r.status_code == 200, r.text
    starts = [datetime.fromisoformat(i["start"]) for i in r.json()["items"]]
    # 9:00 wall time every Sunday of November except the 15th, now at UTC-5.
    assert [(s.day, s.hour, s.utcoffset()) for s in starts] == [
        (1, 9, timedelta(hours=-5)),
        (8, 9, timedelta(hours=-5)),
        (22, 9, timedelta(hours=-5)),
    ]
    r = await client.get(
        "/api/drills/calendar",
        params={"view": "week", "date": "2026-10-22", "tz": "America/New_York"},
    )
    (item,) = r.json()["items"]
    assert datetime.fromisoformat(item["start"]).utcoffset() == timedelta(hours=-4)
    assert item["drill_id"] == "ny" and item["status"] == "draft" and item["conflict"] is False


@pytest.mark.asyncio
async def test_calendar_in_shanghai_with_filters_and_conflict_flag(
    client: httpx.AsyncClient,
) -> None:
    await login(client, "coordinator")
    await create_drill(client, "monthly", rrule="FREQ=MONTHLY;BYMONTHDAY=12;COUNT=6")
    await create_drill(client, "clash", community_ids=["C02"], start=T0 + timedelta(days=31))
    await advance(client, "monthly", "submitted")
    await advance(client, "clash", "submitted")
    r = await client.get("/api/drills/calendar", params={"date": "2027-06-03"})
    items = r.json()["items"]
    assert [(i["drill_id"], i["start"], i["conflict"]) for i in items] == [
        ("monthly", "2027-06-12T09:00:00+08:00", True),
        ("clash", "2027-06-12T09:00:00+08:00", True),
    ]
    r = await client.get("/api/drills/calendar", params={"date": "2027-06-03", "community": "C02"})
    assert [i["drill_id"] for i in r.json()["items"]] == ["clash"]
    r = await client.get(
        "/api/drills/calendar", params={"date": "2027-08-30", "type": "tabletop", "unit": 3}
    )
    assert r.json()["items"] == []
    r = await client.get("/api/drills/calendar", params={"date": "2027-08-30", "unit": 3})
    assert [i["start"][:10] for i in r.json()["items"]] == ["2027-08-12"]
    r = await client.get("/api/drills/calendar", params={"tz": "Mars/Base"})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "query.tz"


@pytest.mark.asyncio
async def test_ical_feed_parsed_back_and_revoked(app: Any, client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    ex = datetime(2027, 5, 26, 9, 0, tzinfo=SH)
    await create_drill(client, "weekly", rrule="FREQ=WEEKLY;COUNT=4", exdates=[ex.isoformat()])
    await advance(client, "weekly", "submitted", "approved")
    await create_drill(client, "hidden-draft", shelter="S02", community_ids=["C02"])
    r = await client.post("/api/drills/feeds", json={"scope": "user"})
    assert r.status_code == 201, r.text
    feed = r.json()
    assert feed["url"].startswith("/api/drills/feeds/") and feed["url"].endswith(".ics")
    anon = await new_client(app)
    try:
        r = await anon.get(feed["url"])
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
        cal = Calendar.from_ical(r.content)
        assert {str(t["TZID"]) for t in cal.walk("VTIMEZONE")} == {"Asia/Shanghai"}
        (ev,) = cal.walk("VEVENT")
        assert str(ev["UID"]).startswith("drill-weekly@")
        assert int(ev["SEQUENCE"]) == 3  # created, submitted, approved
        assert ev.decoded("DTSTART") == T0
        # COUNT=4 with DTSTART first: the 4th occurrence (2 June) becomes the UNTIL.
        assert ev["RRULE"]["FREQ"] == ["WEEKLY"] and "COUNT" not in ev["RRULE"]
        assert ev["RRULE"]["UNTIL"] == [datetime(2027, 6, 2, 1, 0, tzinfo=UTC)]
        assert [d.dt for d in ev["EXDATE"].dts] == [ex]
        # Listing never shows the secret again.
        assert (await client.get("/api/drills/feeds")).json()["items"][0]["url"] is None
        r = await client.delete(f"/api/drills/feeds/{feed['id']}")
        assert r.status_code == 204
        assert (await anon.get(feed["url"])).status_code == 404
        assert (await anon.get("/api/drills/feeds/made-up.ics")).status_code == 404
    finally:
        await anon.aclose()


@pytest.mark.asyncio
async def test_unit_feed_scoping(app: Any, client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    await create_drill(client, "shared", participating_units=["4"])
    await advance(client, "shared", "submitted")
    viewer = await new_client(app, "viewer")  # street-a, unit 4
    try:
        r = await viewer.post("/api/drills/feeds", json={"scope": "unit", "unit_id": 5})
        assert r.status_code == 403
        r = await viewer.post("/api/drills/feeds", json={"scope": "unit"})
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "body.unit_id"
        r = await viewer.post("/api/drills/feeds", json={"scope": "unit", "unit_id": 4})
        assert r.status_code == 201
        cal = Calendar.from_ical((await viewer.get(r.json()["url"])).content)
        assert [str(e["UID"]).split("@")[0] for e in cal.walk("VEVENT")] == ["drill-shared"]
        # Someone else's feed cannot be revoked by a non-admin.
        r = await client.delete(f"/api/drills/feeds/{r.json()['id']}")
        assert r.status_code == 404
    finally:
        await viewer.aclose()
