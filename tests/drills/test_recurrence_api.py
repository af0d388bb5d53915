"""Recurrence through the API: bad rules refused, legacy bad rows harmless, bounded dates."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from console.drills.models import DrillRow
from tests.conftest import login, new_client
from tests.drills.api import SH, advance, create_drill, move, plan_body

BAD_RULES = [
    ("FREQ=WEEKLY;COUNT=3\nRDATE:20270519T090000", "rrule_multiline"),
    ("DTSTART:20270512T090000\nRRULE:FREQ=WEEKLY", "rrule_multiline"),
    ("FREQ=HOURLY", "rrule_subdaily"),
    ("FREQ=DAILY;COUNT=3;UNTIL=20270601T000000Z", "rrule_count_and_until"),
    ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "rrule_no_occurrence"),
]


@pytest.mark.asyncio
@pytest.mark.parametrize("rule,code", BAD_RULES)
async def test_bad_rules_refused_on_create_check_and_update(
    client: httpx.AsyncClient, rule: str, code: str
) -> None:
    await login(client, "coordinator")
    r = await client.post("/api/drills", json={"id": "x", "plan": plan_body(rrule=rule)})
    assert r.status_code == 422, r.text
    err = r.json()["errors"][0]
    assert err["loc"] == "body.plan.rrule" and f"({code})" in err["msg"], err
    r = await client.post("/api/drills/check", json=plan_body(rrule=rule))
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "body.rrule"
    await create_drill(client, "ok")
    r = await client.put("/api/drills/ok", json=plan_body(rrule=rule), headers={"If-Match": '"1"'})
    assert r.status_code == 422
    assert (await client.get("/api/drills/ok")).json()["plan"]["rrule"] is None


@pytest.mark.asyncio
async def test_until_from_the_picker_is_accepted(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    # The picker's form: 30 June 23:59:59 Shanghai, in UTC.
    rule = "FREQ=WEEKLY;UNTIL=20270630T155959Z"
    r = await client.post("/api/drills", json={"id": "u", "plan": plan_body(rrule=rule)})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["plan"]["rrule"] == rule and body["occurrence_count"] == 8
    assert not body["truncated"]
    r = await client.post(
        "/api/drills", json={"id": "u2", "plan": plan_body(rrule="FREQ=WEEKLY;UNTIL=20270630")}
    )
    assert r.status_code == 201 and r.json()["plan"]["rrule"] == rule


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "change",
    [
        {"start": "9999-12-31T09:00:00+08:00", "end": "9999-12-31T11:00:00+08:00"},
        {"start": "1900-01-01T09:00:00+08:00", "end": "1900-01-01T11:00:00+08:00"},
        {"exdates": ["9999-01-01T09:00:00+08:00"]},
        {"rrule": "FREQ=YEARLY;UNTIL=99991231T000000Z"},
    ],
)
async def test_extreme_dates_are_422(client: httpx.AsyncClient, change: dict[str, Any]) -> None:
    await login(client, "coordinator")
    body = {**plan_body(), **change}
    for url in ("/api/drills", "/api/drills/check"):
        payload = {"id": "y", "plan": body} if url == "/api/drills" else body
        r = await client.post(url, json=payload)
        assert r.status_code == 422, (url, r.text)
        assert "date_out_of_range" in r.text
    for q in ("date=9999-12-31", "date=0001-01-01&view=week"):
        r = await client.get(f"/api/drills/calendar?{q}")
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "query.date", r.text


async def _store_bad_rule(app: Any, drill_id: str, rule: str) -> None:
    # Rows written before validation existed: put the bad rule straight into the store.
    async with app.state.services.store.session() as db:
        row = await db.get(DrillRow, drill_id)
        row.plan = {**row.plan, "rrule": rule}
        row.first_start = row.last_end = None
        await db.commit()


@pytest.mark.asyncio
async def test_legacy_bad_rule_never_breaks_feeds_or_calendar(
    app: Any, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    await login(client, "coordinator")
    await create_drill(client, "good", start=datetime(2027, 5, 12, 9, tzinfo=SH))
    await create_drill(client, "bad", shelter="S02", start=datetime(2027, 5, 13, 9, tzinfo=SH))
    await advance(client, "good", "submitted")
    await advance(client, "bad", "submitted")
    await _store_bad_rule(app, "bad", "FREQ=WEEKLY;COUNT=3\nRDATE:20270519T090000")
    feed = (await client.post("/api/drills/feeds", json={"scope": "user"})).json()
    anon = await new_client(app)
    try:
        with caplog.at_level(logging.WARNING):
            r = await anon.get(feed["url"])
        assert r.status_code == 200 and b"drill-good@" in r.content
        assert b"drill-bad@" not in r.content
        assert any("bad" in m and "left out" in m for m in caplog.messages)
    finally:
        await anon.aclose()
    r = await client.get("/api/drills/calendar?date=2027-05-12&view=week")
    assert r.status_code == 200 and [i["drill_id"] for i in r.json()["items"]] == ["good"]
    # The drill itself still opens, saying what is wrong, and conflicts of others still work.
    r = await client.get("/api/drills/bad")
    assert r.status_code == 200 and r.json()["plan_error"]["type"] == "rrule_multiline"
    assert r.json()["plan_error"]["loc"] == "plan.rrule"
    r = await client.get("/api/drills/good")
    assert r.status_code == 200 and r.json()["plan_error"] is None
    # Cancelled, it can be mended (PUT) or deleted.
    assert (await move(client, "bad", "cancelled")).status_code == 200
    etag = (await client.get("/api/drills/bad")).headers["ETag"]
    r = await client.put(
        "/api/drills/bad",
        json=plan_body(shelter="S02", rrule="FREQ=WEEKLY;COUNT=3"),
        headers={"If-Match": etag},
    )
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    r = await client.delete("/api/drills/bad", headers={"If-Match": r.headers["ETag"]})
    assert r.status_code == 204
    assert (await client.get("/api/drills/bad")).status_code == 404


@pytest.mark.asyncio
async def test_far_off_and_cancelled_drills_are_not_expanded(
    app: Any, client: httpx.AsyncClient
) -> None:
    await login(client, "coordinator")
    await create_drill(client, "w", rrule="FREQ=WEEKLY;COUNT=10")
    body = (await client.get("/api/drills/w")).json()
    assert body["first_start"].startswith("2027-05-12T01:00")
    assert body["last_end"].startswith("2027-07-14T03:00")
    async with app.state.services.store.session() as db:
        stored = {r.id: r for r in await db.scalars(select(DrillRow))}
    assert stored["w"].last_end is not None
    # A week outside the bounds: the drill is not even read for expansion.
    r = await client.get("/api/drills/calendar?date=2027-08-02&view=week")
    assert r.json()["items"] == []
    r = await client.get("/api/drills/calendar?date=2027-05-24&view=week")
    assert [i["start"][:10] for i in r.json()["items"]] == ["2027-05-26"]
    await move(client, "w", "cancelled")
    r = await client.get("/api/drills/calendar?date=2027-05-24&view=week")
    assert r.json()["items"] == []


@pytest.mark.asyncio
async def test_calendar_and_conflicts_agree_on_the_cap(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    r = await client.post(
        "/api/drills",
        json={"id": "wd", "plan": plan_body(rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")},
    )
    body = r.json()
    assert (body["occurrence_count"], body["truncated"], body["cap"]) == (366, True, 366)
    last = datetime.fromisoformat(body["last_end"]) - timedelta(hours=2)
    # The 366th weekday is shown; the 367th is not (the feed stops there too: test_ical).
    day = last.astimezone(SH).date()
    r = await client.get(f"/api/drills/calendar?date={day}&view=week")
    shown = [i["start"][:10] for i in r.json()["items"]]
    assert shown[-1] == day.isoformat()
