"""Incident API: manual entry, thresholds, revisions, opened twice, bad input, unit scoping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import login, new_client
from tests.incidents.conftest import centre, quake, seed
from tests.paths import QUAKE


@pytest.mark.asyncio
async def test_m6_under_district_opens_incident_and_revision_recomputes(
    client: httpx.AsyncClient, app: Any
) -> None:
    await seed(app, fault=True)
    await login(client, "operator")
    r = await client.post("/api/quakes", json=quake(event_id="EQ-1"))
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["outcome"] == "new" and out["incident_id"] and out["is_exercise"] is False
    inc_id = out["incident_id"]
    inc = (await client.get(f"/api/incidents/{inc_id}")).json()
    assert inc["status"] == "open" and inc["label"] is None
    assert inc["event"]["decision"]["open"] is True
    assert inc["strike"]["source"] == "fault" and inc["strike"]["fault_id"] == "F1"
    s1 = inc["summary"]
    assert s1["max_intensity"] >= 6.5 and s1["displaced"] > 0

    ints = (await client.get(f"/api/incidents/{inc_id}/intensity")).json()
    assert len(ints["items"]) == 12
    row = ints["items"][0]
    assert set(row["by_relation"]) == {r["id"] for r in ints["relations"]}
    assert row["intensity_low"] <= row["intensity"] <= row["intensity_high"]
    assert all(r["citation"] for r in ints["relations"])

    iso = (await client.get(f"/api/incidents/{inc_id}/isoseismals.geojson")).json()
    degrees = [f["properties"]["degree"] for f in iso["features"]]
    assert 6 in degrees and degrees == sorted(degrees)
    one = await client.get(f"/api/incidents/{inc_id}/isoseismals.geojson?relation=gb18306_east")
    assert one.status_code == 200
    bad = await client.get(f"/api/incidents/{inc_id}/isoseismals.geojson?relation=nope")
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "query.relation"

    imp = (await client.get(f"/api/incidents/{inc_id}/impact?sort=intensity")).json()
    assert imp["totals"]["displaced"] == s1["displaced"]
    assert imp["totals"]["fatalities"]["model"]["country"] == "CN"
    c0 = imp["communities"][0]
    assert c0["inputs"]["water_l_per_person_day"] == 15.0 and "kit_shortfall" in c0
    intens = [c["intensity"] for c in imp["communities"]]
    assert intens == sorted(intens, reverse=True)

    # A revision from the same source: bigger magnitude -> recomputed, says what changed.
    r = await client.post("/api/quakes", json=quake(event_id="EQ-1", magnitude=6.4))
    rev = r.json()
    assert rev["outcome"] == "applied" and rev["incident_id"] == inc_id
    assert {"field": "magnitude", "before": 6.0, "after": 6.4} in rev["changes"]
    inc2 = (await client.get(f"/api/incidents/{inc_id}")).json()
    assert inc2["revision"] == 2 and inc2["summary"]["displaced"] > s1["displaced"]
    tl = (await client.get(f"/api/incidents/{inc_id}/timeline")).json()["items"]
    kinds = [e["kind"] for e in tl]
    assert kinds[:2] == ["opened", "revision"]
    assert "magnitude 6.0 → 6.4" in tl[1]["text"] and tl[1]["data"]["impact"]["displaced"]

    # Events log has one event with two reports
    ev = (await client.get(f"/api/quakes/{inc['event_id']}")).json()
    assert [x["outcome"] for x in ev["reports"]] == ["new", "applied"]


@pytest.mark.asyncio
async def test_small_far_event_logged_and_opened_twice_is_one(
    client: httpx.AsyncClient, app: Any
) -> None:
    await seed(app)
    await login(client, "operator")
    lat, _lon = centre()
    r = await client.post("/api/quakes", json=quake(lat=lat + 4.0, magnitude=3.2))
    out = r.json()
    assert out["outcome"] == "new" and out["incident_id"] is None
    ev = (await client.get(f"/api/quakes/{out['event_id']}")).json()
    assert ev["status"] == "logged" and ev["decision"]["open"] is False
    assert ev["decision"]["distance_km"] > 300
    first = await client.post(f"/api/quakes/{out['event_id']}/open")
    again = await client.post(f"/api/quakes/{out['event_id']}/open")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"] and again.json()["already_open"]
    logged = (await client.get("/api/quakes?status=opened")).json()["items"]
    assert [e["id"] for e in logged] == [out["event_id"]]
    assert len((await client.get("/api/incidents")).json()["items"]) == 1


@pytest.mark.asyncio
async def test_old_event_is_logged_only(client: httpx.AsyncClient, app: Any) -> None:
    await seed(app)
    await login(client, "operator")
    old = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    out = (await client.post("/api/quakes", json=quake(origin_time=old))).json()
    assert out["incident_id"] is None
    ev = (await client.get(f"/api/quakes/{out['event_id']}")).json()
    assert ev["decision"]["too_old"] and ev["decision"]["reasons"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"lat": 95.0}, "body.lat"),
        ({"lon": -200.0}, "body.lon"),
        ({"magnitude": 11.0}, "body.magnitude"),
        ({"depth_km": 900.0}, "body.depth_km"),
        ({"origin_time": "2099-01-01T00:00:00+08:00"}, "body.origin_time"),
        ({"origin_time": "2025-01-01T00:00:00"}, "body.origin_time"),
        ({"magnitude": "big"}, "body.magnitude"),
        ({"strike_deg": 361}, "body.strike_deg"),
        ({"extra": 1}, "body.extra"),
    ],
)
async def test_bad_manual_entry(
    client: httpx.AsyncClient, app: Any, change: dict[str, Any], loc: str
) -> None:
    await login(client, "operator")
    r = await client.post("/api/quakes", json=quake(**change))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["loc"] == loc
    assert (await client.get("/api/quakes")).json()["items"] == []


@pytest.mark.asyncio
async def test_push_feeds_dedup_out_of_order_and_html(client: httpx.AsyncClient, app: Any) -> None:
    await seed(app)
    await login(client, "operator")
    html = await client.post("/api/quakes/ingest", content=b"<!DOCTYPE html><html>502</html>")
    assert html.status_code == 422 and html.json()["errors"][0]["type"] == "html"
    cenc = (QUAKE / "cenc.json").read_bytes()
    r = await client.post("/api/quakes/ingest?format=cenc", content=cenc)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["format"] == "cenc" and len(body["filed"]) == 2
    assert {e["loc"] for e in body["errors"]} == {"[2].EPI_LAT", "[3].M"}
    # The same event from USGS and GFZ joins the CENC event; the detail revision too.
    for name in ("usgs_summary.geojson", "quakeml.xml", "usgs_detail.geojson"):
        r = await client.post("/api/quakes/ingest", content=(QUAKE / name).read_bytes())
        assert r.status_code == 200, r.text
    events = (await client.get("/api/quakes")).json()["items"]
    yangjiang = [e for e in events if abs(e["lat"] - 21.49) < 0.05]
    assert len(yangjiang) == 1 and yangjiang[0]["source"] == "cenc"
    # pushing the older USGS summary again: a duplicate; an older revision: stale
    r = await client.post(
        "/api/quakes/ingest", content=(QUAKE / "usgs_summary.geojson").read_bytes()
    )
    outcomes = {o["source_id"]: o["outcome"] for o in r.json()["filed"]}
    assert outcomes["us7000p1a2"] in ("duplicate", "stale")
    detail = (await client.get(f"/api/quakes/{yangjiang[0]['id']}")).json()
    assert detail["magnitude"] == 5.2  # CENC outranks USGS's 5.3 revision
    assert {r["outcome"] for r in detail["reports"]} >= {"new", "applied"}


@pytest.mark.asyncio
async def test_roles_and_units(client: httpx.AsyncClient, app: Any) -> None:
    await seed(app)
    await login(client, "operator")
    inc_id = (await client.post("/api/quakes", json=quake())).json()["incident_id"]
    viewer = await new_client(app, "viewer")
    other = await new_client(app, "operator2")
    try:
        assert (await viewer.post("/api/quakes", json=quake())).status_code == 403
        v = await viewer.get(f"/api/incidents/{inc_id}")
        assert v.status_code == 200  # 东山 street office: affected communities
        note = await viewer.post(
            f"/api/incidents/{inc_id}/timeline", json={"kind": "note", "text": "x"}
        )
        assert note.status_code == 403
        # Not involved: the incident does not exist for them (no id oracle).
        hidden = await other.get(f"/api/incidents/{inc_id}")
        missing = await other.get("/api/incidents/999999")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["detail"].replace(str(inc_id), "X") == missing.json()[
            "detail"
        ].replace("999999", "X")
        assert (await other.get("/api/incidents")).json()["items"] == []
    finally:
        await viewer.aclose()
        await other.aclose()
    r = await client.post(
        f"/api/incidents/{inc_id}/timeline", json={"kind": "decision", "text": "开放避难场所"}
    )
    assert r.status_code == 201 and r.json()["kind"] == "decision"
    audit = await new_client(app, "admin")
    try:
        rows = (await audit.get("/api/audit?action=incident.")).json()
        actions = {x["action"] for x in rows["items"]}
        assert {"incident.open", "incident.decision"} <= actions
    finally:
        await audit.aclose()
