"""Exercise mode end to end: never mixed with a real incident, labelled in every response,
event and report; running an incident (shelters, occupancy, dispatch, picks); the drill hook."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from console.events import Event
from tests.conftest import login
from tests.incidents.conftest import centre, quake, seed


async def collect(app: Any, types: set[str]) -> tuple[list[Event], Any]:
    bus = app.state.services.bus
    sub, _ = bus.subscribe(maxsize=4096)
    return [], sub


def drain(sub: Any) -> list[Event]:
    out = []
    while not sub.queue.empty():
        out.append(sub.queue.get_nowait())
    return out


@pytest.mark.asyncio
async def test_exercise_during_real_incident_never_mixes(
    client: httpx.AsyncClient, app: Any
) -> None:
    await seed(app)
    _, sub = await collect(app, set())
    await login(client, "coordinator")
    real_id = (await client.post("/api/quakes", json=quake())).json()["incident_id"]
    lat, lon = centre()
    scn = await client.post(
        "/api/quake-scenarios",
        json={
            "name": "同震中情景",
            "magnitude": 6.0,
            "lat": lat,
            "lon": lon,
            "strike_deg": 40,
            "replay_hours": 0.0005,
        },
    )
    assert scn.status_code == 201, scn.text
    assert scn.json()["link"].startswith("quake-scenario:")
    r = await client.post("/api/incidents/exercise", json={"scenario_id": scn.json()["id"]})
    assert r.status_code == 201, r.text
    ex = r.json()
    assert ex["id"] != real_id and ex["is_exercise"] is True and ex["label"] == "演练 / EXERCISE"
    assert ex["title"].startswith("【演练 EXERCISE】") and ex["event"]["is_exercise"] is True
    assert ex["event"]["id"] != (await client.get(f"/api/incidents/{real_id}")).json()["event_id"]
    assert ex["strike"]["source"] == "operator"

    # every response of the exercise says so
    for path in ("", "/intensity", "/impact", "/timeline", "/shelters", "/dispatches", "/autowall"):
        body = (await client.get(f"/api/incidents/{ex['id']}{path}")).json()
        assert body["is_exercise"] is True and body["label"] == "演练 / EXERCISE", path
        real = (await client.get(f"/api/incidents/{real_id}{path}")).json()
        assert real["is_exercise"] is False and real["label"] is None, path
    iso = (await client.get(f"/api/incidents/{ex['id']}/isoseismals.geojson")).json()
    assert all(f["properties"]["is_exercise"] for f in iso["features"])

    # the replay feeds the exercise's own occupancy; the real series stays empty
    for _ in range(100):
        sh = (await client.get(f"/api/incidents/{ex['id']}/shelters")).json()["items"]
        if any(s["occupancy"] for s in sh):
            break
        await asyncio.sleep(0.1)
    assert any(s["occupancy"] for s in sh), "the Nanao replay wrote no exercise occupancy"
    real_occ = (await client.get("/api/gis/shelters/occupancy/latest")).json()["items"]
    assert real_occ == []
    assert all(
        not s["occupancy"]
        for s in (await client.get(f"/api/incidents/{real_id}/shelters")).json()["items"]
    )

    # notes go to their own incident only
    await client.post(
        f"/api/incidents/{ex['id']}/timeline", json={"kind": "note", "text": "演练记录"}
    )
    real_tl = (await client.get(f"/api/incidents/{real_id}/timeline")).json()["items"]
    assert all(not e["is_exercise"] for e in real_tl) and "演练记录" not in str(real_tl)

    # events: the exercise's carry is_exercise and the labelled notification
    events = drain(sub)
    opened = [e for e in events if e.type == "incident.opened"]
    assert {e.data["is_exercise"] for e in opened} == {False, True}
    ex_note = next(e.data["notification"] for e in opened if e.data["is_exercise"])
    assert ex_note["is_exercise"] is True and ex_note["title"].startswith("【演练 EXERCISE】")
    assert "exercise" in ex_note["tags"] and ex_note["link"] == f"#/incidents/{ex['id']}"
    assert all(e.data["is_exercise"] for e in events if e.type == "incident.occupancy")

    # reports: HTML and PDF say EXERCISE; the real one does not
    html = (await client.get(f"/api/incidents/{ex['id']}/report?lang=en")).text
    assert "EXERCISE" in html and "演练" in html
    assert "EXERCISE" not in (await client.get(f"/api/incidents/{real_id}/report?lang=en")).text
    pdf = await client.get(f"/api/incidents/{ex['id']}/report.pdf?lang=zh-CN")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).replace(
        "\x00", ""
    )
    assert "EXERCISE" in text and "地震应急事件报告" in text and "时间线" in text
    pdf_en = await client.get(f"/api/incidents/{real_id}/report.pdf?lang=en")
    text_en = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(pdf_en.content)).pages
    ).replace("\x00", "")
    assert "Earthquake incident report" in text_en and "EXERCISE" not in text_en
    bus = app.state.services.bus
    bus.unsubscribe(sub)


@pytest.mark.asyncio
async def test_running_the_incident(client: httpx.AsyncClient, app: Any) -> None:
    await seed(app)
    await login(client, "operator")
    inc_id = (await client.post("/api/quakes", json=quake(magnitude=6.5))).json()["incident_id"]
    sh = (await client.get(f"/api/incidents/{inc_id}/shelters")).json()["items"]
    assert sh and all("expected_demand" in s and s["status"] == "unset" for s in sh)
    fid = sh[0]["id"]
    r = await client.put(f"/api/incidents/{inc_id}/shelters/{fid}", json={"status": "opened"})
    assert r.status_code == 200
    assert (
        await client.put(f"/api/incidents/{inc_id}/shelters/{fid}", json={"status": "gone"})
    ).status_code == 422
    assert (
        await client.put(f"/api/incidents/{inc_id}/shelters/NOPE", json={"status": "full"})
    ).status_code == 404
    from datetime import UTC, datetime

    at = datetime.now(UTC).isoformat()
    r = await client.post(
        f"/api/incidents/{inc_id}/shelters/{fid}/occupancy", json={"at": at, "count": 120}
    )
    assert r.status_code == 201, r.text
    real = (await client.get("/api/gis/shelters/occupancy/latest")).json()["items"]
    assert [x["fid"] for x in real] == [fid]  # a real incident uses the real series
    sh = {
        s["id"]: s for s in (await client.get(f"/api/incidents/{inc_id}/shelters")).json()["items"]
    }
    assert sh[fid]["status"] == "opened" and sh[fid]["occupancy"] == 120
    code = (await client.get(f"/api/incidents/{inc_id}/impact")).json()["communities"][0]["code"]
    d = await client.post(
        f"/api/incidents/{inc_id}/dispatches",
        json={"item": "water_l", "quantity": 5000, "community_code": code},
    )
    assert d.status_code == 201
    bad = await client.post(
        f"/api/incidents/{inc_id}/dispatches", json={"item": "kits", "quantity": 5}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "body.community_code"
    unknown = await client.post(
        f"/api/incidents/{inc_id}/dispatches",
        json={"item": "kits", "quantity": 5, "community_code": "ZZ"},
    )
    assert unknown.status_code == 422
    totals = (await client.get(f"/api/incidents/{inc_id}/dispatches")).json()["totals"]
    assert totals == {"water_l": 5000.0}
    kinds = [
        e["kind"] for e in (await client.get(f"/api/incidents/{inc_id}/timeline")).json()["items"]
    ]
    assert {"opened", "shelter", "occupancy", "dispatch"} <= set(kinds)
    # close: no more changes
    await login(client, "coordinator")
    assert (await client.post(f"/api/incidents/{inc_id}/close")).status_code == 200
    again = await client.put(f"/api/incidents/{inc_id}/shelters/{fid}", json={"status": "closed"})
    assert again.status_code == 409


@pytest.mark.asyncio
async def test_functional_drill_with_scenario_link_starts_exercise(
    client: httpx.AsyncClient, app: Any
) -> None:
    await seed(app)
    await login(client, "coordinator")
    lat, lon = centre()
    scn = (
        await client.post(
            "/api/quake-scenarios",
            json={"name": "演练情景", "magnitude": 5.5, "lat": lat, "lon": lon},
        )
    ).json()
    bus = app.state.services.bus
    plan = {
        "type": "functional",
        "scenario": f"地震应急功能演练 {scn['link']}",
        "title": "功能演练",
    }
    await bus.publish("drill.status", {"id": "D-1", "status": "in_progress", "plan": plan})
    await bus.publish("drill.status", {"id": "D-1", "status": "in_progress", "plan": plan})
    for _ in range(100):
        items = (await client.get("/api/incidents?exercise=true")).json()["items"]
        if items:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)
    items = (await client.get("/api/incidents?exercise=true")).json()["items"]
    assert len(items) == 1 and items[0]["drill_id"] == "D-1" and items[0]["is_exercise"]
    tabletop = {**plan, "type": "tabletop"}
    await bus.publish("drill.status", {"id": "D-2", "status": "in_progress", "plan": tabletop})
    await asyncio.sleep(0.3)
    assert len((await client.get("/api/incidents?exercise=true")).json()["items"]) == 1
