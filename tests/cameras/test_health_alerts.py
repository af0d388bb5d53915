"""Alerts people can live with: one per fault with occurrences, quiet-period closing, open
counts without recovered alerts, severity, maintenance windows, per-camera tuning."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from console.accounts import add_user
from console.health.models import CameraAlert
from console.health.recorder import HealthRecorder, StatusReport
from console.store.models import utcnow
from tests.cameras.test_registry import CAM
from tests.conftest import login, new_client


def recorder(app: Any) -> HealthRecorder:
    rec = app.state.services.extensions["health_recorder"]
    assert isinstance(rec, HealthRecorder)
    return rec


async def alerts(app: Any) -> list[CameraAlert]:
    async with app.state.services.store.session() as db:
        return list(await db.scalars(select(CameraAlert).order_by(CameraAlert.id)))


def drain(app: Any, sub: Any) -> list[dict[str, Any]]:
    out = []
    while not sub.queue.empty():
        e = sub.queue.get_nowait()
        if e.type == "camera.alert":
            out.append(e.data)
    return out


@pytest.mark.asyncio
async def test_flapping_camera_keeps_one_alert_and_counts(
    client: httpx.AsyncClient, app: Any
) -> None:
    """16 dark spells in 21 minutes: one alert with 16 occurrences, one open in the table."""
    await login(client, "admin")
    assert (await client.post("/api/cameras", json=CAM)).status_code == 201
    rec = recorder(app)
    sub, _ = app.state.services.bus.subscribe()
    t0 = utcnow() - timedelta(minutes=30)
    at = t0
    for _ in range(16):
        await rec.report(StatusReport("gz-yx-0001", "degraded", ("too_dark",), at=at))
        at += timedelta(seconds=40)
        await rec.report(StatusReport("gz-yx-0001", "ok", at=at))
        at += timedelta(seconds=39)
    rows = await alerts(app)
    assert len(rows) == 1
    a = rows[0]
    assert a.kind == "too_dark" and a.occurrences == 16 and a.recovered_at is not None
    # Key camera: too_dark is "major" (one level above its usual "minor").
    assert a.severity == "major"
    events = drain(app, sub)
    assert [e["transition"] for e in events[:3]] == ["opened", "recovered", "reopened"]
    first = events[0]
    # What notification routing filters on.
    assert first["unit_id"] == 2 and first["shared_unit_ids"] == [4]
    assert first["tags"] == ["crossroad", "key"] and first["key_camera"] is True
    assert first["fault"] == "too_dark" and first["severity"] == "major"
    # Recovered alerts are not open: the table counts none, the alert list "firing" neither.
    table = (await client.get("/api/health/cameras")).json()
    assert table["items"][0]["open_alerts"] == 0
    firing = (await client.get("/api/health/alerts", params={"state": "firing"})).json()
    assert firing["items"] == []
    recovered = (await client.get("/api/health/alerts", params={"state": "recovered"})).json()
    assert [r["occurrences"] for r in recovered["items"]] == [16]
    # It comes back once more: still the same alert, now open.
    await rec.report(StatusReport("gz-yx-0001", "degraded", ("too_dark",), at=utcnow()))
    table = (await client.get("/api/health/cameras")).json()
    assert table["items"][0]["open_alerts"] == 1
    assert [(x.id, x.occurrences) for x in await alerts(app)] == [(a.id, 17)]


@pytest.mark.asyncio
async def test_quiet_alerts_close_themselves_and_offline_key_camera_is_critical(
    client: httpx.AsyncClient, app: Any
) -> None:
    await login(client, "admin")
    await client.post("/api/cameras", json=CAM)
    plain = {**CAM, "id": "gz-yx-0002", "key_camera": False, "tags": []}
    await client.post("/api/cameras", json=plain)
    rec = recorder(app)
    long_ago = utcnow() - timedelta(hours=3)
    await rec.report(StatusReport("gz-yx-0001", "offline", at=long_ago))
    await rec.report(StatusReport("gz-yx-0002", "offline", at=long_ago))
    await rec.report(StatusReport("gz-yx-0002", "degraded", ("blur",), at=long_ago))
    sev = {(a.camera_id, a.kind): a.severity for a in await alerts(app)}
    assert sev == {
        ("gz-yx-0001", "offline"): "critical",
        ("gz-yx-0002", "offline"): "major",
        ("gz-yx-0002", "blur"): "minor",
    }
    crit = (await client.get("/api/health/alerts", params={"severity": "critical"})).json()
    assert [i["camera_id"] for i in crit["items"]] == ["gz-yx-0001"]
    # Recovered two hours ago, quiet period 30 min: the sweep closes it, marked as the system.
    await rec.report(StatusReport("gz-yx-0001", "ok", at=long_ago + timedelta(minutes=60)))
    assert await rec.sweep() >= 1
    closed = [a for a in await alerts(app) if a.camera_id == "gz-yx-0001"]
    assert closed[0].state == "closed" and closed[0].closed_by == "system"
    assert "without recurrence" in closed[0].note
    # A fault after the alert closed opens a new one (occurrences start again).
    await rec.report(StatusReport("gz-yx-0001", "offline"))
    mine = [a for a in await alerts(app) if a.camera_id == "gz-yx-0001"]
    assert [(a.state, a.occurrences) for a in mine] == [("closed", 1), ("open", 1)]


@pytest.mark.asyncio
async def test_restart_does_not_recover_alerts(client: httpx.AsyncClient, app: Any) -> None:
    """Loading the recorder again (a restart) leaves open alerts open."""
    await login(client, "admin")
    await client.post("/api/cameras", json=CAM)
    rec = recorder(app)
    await rec.report(StatusReport("gz-yx-0001", "degraded", ("scene_change",)))
    again = HealthRecorder(app.state.services.store, app.state.services.bus)
    await again.load()
    await again.calendar.refresh()
    await again.sweep()
    rows = await alerts(app)
    assert [(a.kind, a.recovered_at, a.state) for a in rows] == [("scene_change", None, "open")]


@pytest.mark.asyncio
async def test_maintenance_window_mutes_then_alerts_when_over(
    client: httpx.AsyncClient, app: Any
) -> None:
    await login(client, "admin")
    await client.post("/api/cameras", json=CAM)
    maint = await new_client(app, "maintenance")
    try:
        r = await maint.post(
            "/api/health/maintenance",
            json={"scope": "tag", "tag": "crossroad", "minutes": 60, "reason": "更换立杆"},
        )
        assert r.status_code == 201, r.text
        win = r.json()
        assert win["active"] is True and win["created_by"] == "maintenance"
        rec = recorder(app)
        await rec.report(StatusReport("gz-yx-0001", "offline"))
        assert await alerts(app) == []
        row = (await maint.get("/api/health/cameras")).json()["items"][0]
        assert row["status"] == "offline" and row["maintenance"]["reason"] == "更换立杆"
        r = await maint.post(f"/api/health/maintenance/{win['id']}/end", json={"note": "完工"})
        assert r.status_code == 200 and r.json()["active"] is False
        # Still offline after the window: the alert opens now.
        assert [(a.kind, a.state) for a in await alerts(app)] == [("offline", "open")]
        again = await maint.post(f"/api/health/maintenance/{win['id']}/end", json={})
        assert again.status_code == 409
        listed = (await maint.get("/api/health/maintenance")).json()["items"]
        assert listed == []
        past = (await maint.get("/api/health/maintenance", params={"include_past": True})).json()[
            "items"
        ]
        assert [w["id"] for w in past] == [win["id"]]
        audit = (await client.get("/api/audit", params={"action": "maintenance."})).json()
        assert [i["action"] for i in audit["items"]] == ["maintenance.end", "maintenance.create"]
        # Scheduled and repeating: nightly 02:00-04:00 on one camera.
        start = (utcnow() + timedelta(days=1)).replace(hour=2, minute=0, second=0, microsecond=0)
        r = await maint.post(
            "/api/health/maintenance",
            json={
                "scope": "camera",
                "camera_id": "gz-yx-0001",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=2)).isoformat(),
                "repeat": "daily",
                "reason": "夜间检修",
            },
        )
        assert r.status_code == 201 and r.json()["active"] is False
        assert r.json()["next_change"] == start.isoformat()
    finally:
        await maint.aclose()


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"scope": "camera", "minutes": 10, "reason": "x"}, "body"),
        ({"scope": "camera", "camera_id": "nope", "minutes": 10, "reason": "x"}, "body.camera_id"),
        ({"scope": "unit", "unit_id": 999, "minutes": 10, "reason": "x"}, "body.unit_id"),
        ({"scope": "tag", "tag": "a", "reason": "x"}, "body"),
        (
            {
                "scope": "tag",
                "tag": "a",
                "minutes": 10,
                "ends_at": "2030-01-01T00:00:00Z",
                "reason": "x",
            },
            "body",
        ),
        ({"scope": "tag", "tag": "a", "minutes": 10, "reason": ""}, "body.reason"),
        ({"scope": "tag", "tag": "a", "minutes": 0, "reason": "x"}, "body.minutes"),
        (
            {"scope": "tag", "tag": "a", "ends_at": "2020-01-01T00:00:00Z", "reason": "x"},
            "body.ends_at",
        ),
        (
            {
                "scope": "tag",
                "tag": "a",
                "starts_at": "2030-01-01T00:00:00",
                "minutes": 5,
                "reason": "x",
            },
            "body",
        ),
        ({"scope": "tag", "tag": "a", "minutes": 60 * 24 * 40, "reason": "x"}, "body.minutes"),
        (
            {"scope": "tag", "tag": "a", "minutes": 60 * 25, "repeat": "daily", "reason": "x"},
            "body.ends_at",
        ),
        (
            {
                "scope": "tag",
                "tag": "a",
                "minutes": 5,
                "repeat_until": "2030-01-01T00:00:00Z",
                "reason": "x",
            },
            "body",
        ),
        ({"scope": "tag", "unit_id": 2, "tag": "a", "minutes": 5, "reason": "x"}, "body"),
        ({"scope": "planet", "minutes": 5, "reason": "x"}, "body.scope"),
    ],
)
@pytest.mark.asyncio
async def test_maintenance_window_refusals_name_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], loc: str
) -> None:
    await login(client, "admin")
    r = await client.post("/api/health/maintenance", json=body)
    assert r.status_code == 422, r.text
    locs = [e["loc"] for e in r.json()["errors"]]
    assert any(str(x).startswith(loc) for x in locs), locs


@pytest.mark.asyncio
async def test_sharing_unit_may_see_but_not_tune_or_mute(
    client: httpx.AsyncClient, app: Any
) -> None:
    await login(client, "admin")
    await client.post("/api/cameras", json=CAM)  # owned by psb, shared with street-a
    services = app.state.services
    async with services.store.session() as db, db.begin():
        await add_user(db, "street-fixer", "mend-the-lenses-42", "street-a", ["maintenance"])
    other = await new_client(app, "street-fixer", password="mend-the-lenses-42")
    try:
        assert (await other.get("/api/health/cameras/gz-yx-0001/tuning")).status_code == 200
        r = await other.put("/api/health/cameras/gz-yx-0001/tuning", json={"disabled": ["blur"]})
        assert r.status_code == 403
        r = await other.post(
            "/api/health/maintenance",
            json={"scope": "camera", "camera_id": "gz-yx-0001", "minutes": 5, "reason": "x"},
        )
        assert r.status_code == 403
        r = await other.post(
            "/api/health/maintenance",
            json={"scope": "unit", "unit_id": 2, "minutes": 5, "reason": "x"},
        )
        assert r.status_code == 403
    finally:
        await other.aclose()


@pytest.mark.asyncio
async def test_tuning_is_validated_versioned_and_audited(client: httpx.AsyncClient) -> None:
    await login(client, "admin")
    await client.post("/api/cameras", json=CAM)
    url = "/api/health/cameras/gz-yx-0001/tuning"
    assert (await client.get(url)).json()["version"] == 0
    bad = await client.put(url, json={"sensitivity": {"glare": "high"}})
    assert bad.status_code == 422 and "sensitivity" in bad.text
    bad = await client.put(url, json={"sensitivity": {"blur": "extreme"}})
    assert bad.status_code == 422
    bad = await client.put(url, json={"disabled": ["too_dark"], "colour": 1})
    assert bad.status_code == 422
    r = await client.put(
        url,
        json={"sensitivity": {"blur": "low", "noise": "normal"}, "disabled": ["too_dark"]},
    )
    assert r.status_code == 200
    assert r.json()["sensitivity"] == {"blur": "low"} and r.json()["disabled"] == ["too_dark"]
    stale = await client.put(url, params={"version": 0}, json={})
    assert stale.status_code == 412 and stale.json()["current"]["version"] == 1
    assert (await client.get("/api/health/cameras/nope/tuning")).status_code == 404
    audit = (await client.get("/api/audit", params={"action": "camera.tuning"})).json()
    assert audit["items"][0]["detail"]["after"]["disabled"] == ["too_dark"]
