"""Health recording: one alert per failure, one recovery, acknowledgement, availability."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

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


@pytest.mark.asyncio
async def test_transitions_logged_once_and_alerts_follow(
    client: httpx.AsyncClient, app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="console.health.recorder")
    await login(client, "admin")
    assert (await client.post("/api/cameras", json=CAM)).status_code == 201
    rec = recorder(app)
    t0 = utcnow() - timedelta(hours=2)
    sub, _ = app.state.services.bus.subscribe()
    assert await rec.report(StatusReport("gz-yx-0001", "ok", at=t0))
    for i in range(3):  # repeated offline reports: one alert, one event, one log line
        changed = await rec.report(
            StatusReport(
                "gz-yx-0001",
                "offline",
                metrics={"last_packet_age_s": 5 + i},
                at=t0 + timedelta(minutes=30, seconds=i),
            )
        )
        assert changed is (i == 0)
    assert await rec.report(
        StatusReport("gz-yx-0001", "degraded", ("too_dark", "blur"), at=t0 + timedelta(minutes=60))
    )
    assert await rec.report(
        StatusReport("gz-yx-0001", "degraded", ("too_dark",), at=t0 + timedelta(minutes=70))
    )
    assert await rec.report(StatusReport("gz-yx-0001", "ok", at=t0 + timedelta(minutes=90)))
    rows = await alerts(app)
    assert [(a.kind, a.recovered_at is not None) for a in rows] == [
        ("offline", True),
        ("blur", True),
        ("too_dark", True),
    ]
    assert [r.message for r in caplog.records if "fault" in r.message] == [
        "camera gz-yx-0001 fault: offline",
        "camera gz-yx-0001 fault: blur",
        "camera gz-yx-0001 fault: too_dark",
    ]
    assert len([r for r in caplog.records if "recovered" in r.message]) == 3
    events = []
    alert_events = []
    while not sub.queue.empty():
        e = sub.queue.get_nowait()
        if e.type == "camera.status":
            events.append((e.data["status"], tuple(e.data["reasons"])))
        elif e.type == "camera.alert":
            alert_events.append((e.data["kind"], e.data["recovered_at"] is not None))
    assert alert_events == [
        ("offline", False),
        ("offline", True),
        ("blur", False),
        ("too_dark", False),
        ("blur", True),
        ("too_dark", True),
    ]
    assert events == [
        ("ok", ()),
        ("offline", ()),
        ("degraded", ("blur", "too_dark")),
        ("degraded", ("too_dark",)),
        ("ok", ()),
    ]
    # The table and detail show it; availability counts 30 of 120 minutes offline.
    table = (await client.get("/api/health/cameras")).json()
    assert table["items"][0]["status"] == "ok" and table["summary"]["ok"] == 1
    detail = (await client.get("/api/health/cameras/gz-yx-0001")).json()
    assert [c["status"] for c in detail["changes"]][:2] == ["ok", "degraded"] and len(
        detail["history"]
    ) >= 5
    av = (await client.get("/api/health/availability", params={"period": "day"})).json()["items"][0]
    assert av["online_pct"] == pytest.approx(75.0, abs=0.5)
    assert av["healthy_pct"] == pytest.approx(50.0, abs=0.5)
    by_unit = (await client.get("/api/health/availability", params={"by": "unit"})).json()["items"]
    assert by_unit[0]["unit_id"] == 2
    metrics = (await client.get("/metrics")).text
    assert 'eoc_cameras{status="ok",unit_id="2"} 1.0' in metrics
    assert 'eoc_cameras{status="offline",unit_id="2"} 0.0' in metrics
    assert 'eoc_camera_transitions_total{status="degraded"} 2.0' in metrics
    assert "gz-yx-0001" not in metrics


@pytest.mark.asyncio
async def test_acknowledge_and_close(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    await client.post("/api/cameras", json=CAM)
    await recorder(app).report(StatusReport("gz-yx-0001", "offline"))
    alert_id = (await client.get("/api/health/alerts")).json()["items"][0]["id"]
    maint = await new_client(app, "maintenance")
    viewer = await new_client(app, "viewer")
    operator2 = await new_client(app, "operator2")
    try:
        assert (await viewer.post(f"/api/health/alerts/{alert_id}/ack", json={})).status_code == 403
        # Not shared with street-b: the camera does not exist for operator2.
        assert (await operator2.get("/api/health/cameras/gz-yx-0001")).status_code == 404
        assert (await operator2.get("/api/health/alerts")).json()["items"] == []
        r = await maint.post(f"/api/health/alerts/{alert_id}/ack", json={"note": "派单维修"})
        assert (
            r.status_code == 200
            and r.json()["state"] == "acknowledged"
            and r.json()["acknowledged_by"] == "maintenance"
        )
        assert (await maint.post(f"/api/health/alerts/{alert_id}/ack", json={})).status_code == 409
        r = await maint.post(
            f"/api/health/alerts/{alert_id}/close", json={"note": "已更换电源", "extra": 1}
        )
        assert r.status_code == 422
        r = await maint.post(f"/api/health/alerts/{alert_id}/close", json={"note": "已更换电源"})
        assert r.status_code == 200 and r.json()["note"] == "派单维修\n已更换电源"
        assert (
            await maint.post(f"/api/health/alerts/{alert_id}/close", json={})
        ).status_code == 409
        assert (await client.get("/api/health/alerts")).json()["items"] == []
        assert (
            len(
                (await client.get("/api/health/alerts", params={"state": "closed"})).json()["items"]
            )
            == 1
        )
        r = await client.get("/api/audit", params={"action": "alert."})
        assert [i["action"] for i in r.json()["items"]] == ["alert.close", "alert.ack"]
    finally:
        for c in (maint, viewer, operator2):
            await c.aclose()
    # Still offline: closing does not reopen; a later failure after recovery opens a new alert.
    await recorder(app).report(StatusReport("gz-yx-0001", "ok"))
    await recorder(app).report(StatusReport("gz-yx-0001", "offline"))
    async with app.state.services.store.session() as db:
        assert await db.scalar(select(func.count()).select_from(CameraAlert)) == 2
