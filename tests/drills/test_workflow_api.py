"""Workflow rules through the API: If-Match, roles per step, send-back, review, abort, delete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from console.store.models import AuditEntry
from tests.conftest import login, new_client
from tests.drills.api import (
    SH,
    TO_SCHEDULED,
    advance,
    create_drill,
    move,
    plan_body,
    soon,
    start,
)

OBJ = [
    {"id": "o1", "text": "15 分钟内完成疏散", "capability": "evacuation"},
    {"id": "o2", "text": "清点人数", "capability": "mass_care"},
]


async def audit(app: Any, action: str) -> list[AuditEntry]:
    await app.state.services.audit.flush()
    async with app.state.services.store.session() as db:
        q = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list(await db.scalars(q))


@pytest.mark.asyncio
async def test_transitions_need_if_match(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    await create_drill(client, "d")
    r = await client.post("/api/drills/d/transition", json={"to": "submitted"})
    assert r.status_code == 428 and r.json()["errors"][0]["loc"] == "header.If-Match"
    r = await client.post(
        "/api/drills/d/transition", json={"to": "submitted"}, headers={"If-Match": '"7"'}
    )
    assert r.status_code == 412 and r.json()["current_version"] == 1
    r = await client.post(
        "/api/drills/d/transition", json={"to": "submitted"}, headers={"If-Match": '"1"'}
    )
    assert r.status_code == 200 and r.headers["ETag"] == '"2"'
    assert (await client.post("/api/drills/d/start")).status_code in (409, 428)


@pytest.mark.asyncio
async def test_roles_per_transition(app: Any, client: httpx.AsyncClient) -> None:
    await login(client, "admin")
    r = await client.post(
        "/api/users",
        json={
            "username": "eqo-duty",
            "password": "duty-officer-pass-77",
            "unit_id": 3,
            "roles": ["operator"],
        },
    )
    assert r.status_code == 201, r.text
    await login(client, "coordinator")
    # Unit 2 (public security) takes part: its duty officer follows the drill but, as a
    # participant, runs none of it; the organising unit's duty officer runs it live.
    await create_drill(client, "d", start=soon(-10), participating_units=["2"])
    psb = await new_client(app, "operator")
    op = await new_client(app, "eqo-duty", password="duty-officer-pass-77")
    try:
        assert (await psb.get("/api/drills/d")).status_code == 200
        r = await move(psb, "d", "submitted")
        assert r.status_code == 403 and "relation" in r.json()["detail"], r.text
        r = await move(op, "d", "submitted")
        assert r.status_code == 403 and "coordinator" in r.json()["detail"], r.text
        await advance(client, "d", *TO_SCHEDULED)
        # The duty officer runs it live, but may not cancel it.
        assert (await move(op, "d", "cancelled")).status_code == 403
        r = await start(op, "d")
        assert r.status_code == 200 and r.json()["status"] == "in_progress", r.text
        r = await op.post("/api/drills/d/timeline", json={"kind": "alarm_sounded"})
        assert r.status_code == 201
        assert (await move(op, "d", "completed")).status_code == 200
        r = await move(op, "d", "reviewed")
        assert r.status_code == 403
    finally:
        await op.aclose()
        await psb.aclose()
    denied = [e for e in await audit(app, "drills.run") if e.outcome == "denied"]
    assert len(denied) == 4


@pytest.mark.asyncio
async def test_changing_time_venue_or_communities_sends_back(
    app: Any, client: httpx.AsyncClient
) -> None:
    await login(client, "coordinator")
    await create_drill(client, "d")
    await advance(client, "d", *TO_SCHEDULED)
    # A title change keeps it scheduled.
    r = await client.put("/api/drills/d", json=plan_body(title="改名"), headers={"If-Match": '"4"'})
    assert r.status_code == 200 and r.json()["status"] == "scheduled"
    assert r.json()["sent_back"] is None
    later = datetime(2027, 5, 13, 9, tzinfo=SH)
    r = await client.put(
        "/api/drills/d",
        json=plan_body(title="改名", start=later, community_ids=["C01", "C02"]),
        headers={"If-Match": '"5"'},
    )
    body = r.json()
    assert r.status_code == 200 and body["status"] == "submitted"
    assert body["sent_back"] == {
        "from_status": "scheduled",
        "fields": ["start", "end", "community_ids"],
    }
    (entry,) = [e for e in await audit(app, "drill.update") if "sent_back" in e.detail]
    assert entry.detail["sent_back"]["from_status"] == "scheduled"
    # Approved, a venue change sends it back too.
    await advance(client, "d", "approved")
    r = await client.put(
        "/api/drills/d",
        json=plan_body(title="改名", start=later, community_ids=["C01", "C02"], shelter="S03"),
        headers={"If-Match": '"7"'},
    )
    assert r.json()["status"] == "submitted"
    assert r.json()["sent_back"]["fields"] == ["venue_shelter_id"]


@pytest.mark.asyncio
async def test_review_needs_a_report_with_every_objective_rated(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    await create_drill(client, "d", start=soon(-60), objectives=OBJ)
    await advance(client, "d", *TO_SCHEDULED)
    assert (await start(client, "d")).status_code == 200
    await advance(client, "d", "completed")
    r = await move(client, "d", "reviewed")
    assert r.status_code == 409 and r.json()["type"].endswith("report-missing")
    rating = {"objective_id": "o1", "rating": "S", "strengths": ["广播及时"]}
    r = await client.put(
        "/api/drills/d/report", json={"ratings": [rating]}, headers={"If-Match": '"0"'}
    )
    assert r.status_code == 200
    r = await move(client, "d", "reviewed")
    assert r.status_code == 409 and r.json()["unrated"] == ["o2"], r.text
    both = [rating, {"objective_id": "o2", "rating": "M", "areas_for_improvement": ["名单过期"]}]
    r = await client.put(
        "/api/drills/d/report", json={"ratings": both}, headers={"If-Match": '"1"'}
    )
    assert r.status_code == 200
    r = await move(client, "d", "reviewed")
    assert r.status_code == 200 and r.json()["status"] == "reviewed"


@pytest.mark.asyncio
async def test_abort_needs_a_reason(app: Any, client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    await create_drill(client, "d", start=soon(-5))
    await advance(client, "d", *TO_SCHEDULED)
    await start(client, "d")
    r = await move(client, "d", "aborted")
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "body.reason"
    r = await move(client, "d", "aborted", reason="  ")
    assert r.status_code == 422
    r = await move(client, "d", "aborted", reason="真实余震 M4.1，停止演练")
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["status_reason"]) == ("aborted", "真实余震 M4.1，停止演练")
    (entry,) = [e for e in await audit(app, "drill.transition") if e.detail["to"] == "aborted"]
    assert entry.detail["reason"] == "真实余震 M4.1，停止演练"
    # Aborted is terminal; the report can still say what happened.
    assert (await move(client, "d", "completed")).status_code == 409
    r = await client.put(
        "/api/drills/d/report", json={"lessons": "余震预案"}, headers={"If-Match": '"0"'}
    )
    assert r.status_code == 200


@pytest.mark.asyncio
async def test_delete_drafts_and_cancelled_only(app: Any, client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    await create_drill(client, "draft")
    assert (await client.delete("/api/drills/draft")).status_code == 428
    r = await client.delete("/api/drills/draft", headers={"If-Match": '"1"'})
    assert r.status_code == 204
    assert (await client.get("/api/drills/draft")).status_code == 404
    (entry,) = await audit(app, "drill.delete")
    assert entry.target_id == "draft" and entry.detail["plan"]["title"] == "社区地震疏散演练"
    await create_drill(client, "sub")
    await advance(client, "sub", "submitted")
    r = await client.delete("/api/drills/sub", headers={"If-Match": '"2"'})
    assert r.status_code == 409 and r.json()["deletable"] == ["cancelled", "draft"]
    viewer = await new_client(app, "viewer")
    try:
        assert (
            await viewer.delete("/api/drills/sub", headers={"If-Match": '"2"'})
        ).status_code == 403
    finally:
        await viewer.aclose()


@pytest.mark.asyncio
async def test_start_only_near_an_occurrence(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    await create_drill(client, "far", start=soon(60 * 24 * 21))
    await advance(client, "far", *TO_SCHEDULED)
    r = await start(client, "far")
    assert r.status_code == 409 and r.json()["type"].endswith("start-too-early"), r.text
    opens = datetime.fromisoformat(r.json()["opens_at"])
    assert abs(opens - (datetime.now(UTC) + timedelta(days=21, hours=-2))) < timedelta(minutes=2)
    # Within the two hours before: allowed; the occurrence being run is recorded.
    await create_drill(client, "near", start=soon(90), shelter="S02")
    await advance(client, "near", *TO_SCHEDULED)
    r = await start(client, "near")
    assert r.status_code == 200 and r.json()["run_start"] is not None
    # Long over: refused, naming the last occurrence.
    await create_drill(client, "old", start=soon(-60 * 24 * 3), shelter="S03")
    await advance(client, "old", *TO_SCHEDULED)
    r = await start(client, "old")
    assert r.status_code == 409 and r.json()["type"].endswith("start-too-late")


@pytest.mark.asyncio
async def test_timeline_before_the_drill_and_overfull_head_count(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    await create_drill(client, "d", start=soon(-30), expected_residents=200)
    await advance(client, "d", *TO_SCHEDULED)
    await start(client, "d")
    # An alarm backdated to 2019 once gave an evacuation time of 239 million seconds.
    for at in ("2019-06-01T09:00:00+08:00", (datetime.now(UTC) - timedelta(hours=3)).isoformat()):
        r = await client.post("/api/drills/d/timeline", json={"kind": "alarm_sounded", "at": at})
        assert r.status_code == 422 and r.json()["errors"][0]["type"] == "entry_before_start"
        assert r.json()["errors"][0]["loc"] == "body.at"
    r = await client.post(
        "/api/drills/d/timeline", json={"kind": "alarm_sounded", "at": "1900-01-01T00:00:00Z"}
    )
    assert r.status_code == 422
    ok = (datetime.now(UTC) - timedelta(minutes=20)).isoformat()
    assert (
        await client.post("/api/drills/d/timeline", json={"kind": "alarm_sounded", "at": ok})
    ).status_code == 201
    r = await client.post("/api/drills/d/timeline", json={"kind": "head_count", "count": 260})
    assert r.status_code == 201
    m = (await client.get("/api/drills/d/live")).json()["measures"]
    assert m["participation_rate"] == 1.3 and m["over_expected"] is True
    assert m["expected_residents"] == 200
