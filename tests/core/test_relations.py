"""Rights by relation, tried as users of other units would: a sharer watches, never changes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from console.cameras.models import Camera
from console.store.models import AuditEntry
from tests.conftest import login, new_client
from tests.drills.api import TO_SCHEDULED, advance, create_drill, plan_body, seed_reference, soon

PW = "relation-pass-2026"


async def add_user(admin: httpx.AsyncClient, name: str, unit: int, *roles: str) -> None:
    r = await admin.post(
        "/api/users",
        json={"username": name, "password": PW, "unit_id": unit, "roles": list(roles)},
    )
    assert r.status_code == 201, r.text


async def as_user(app: Any, name: str) -> httpx.AsyncClient:
    return await new_client(app, name, password=PW)


async def denied_rows(app: Any, action: str) -> list[AuditEntry]:
    await app.state.services.audit.flush()
    async with app.state.services.store.session() as db:
        q = select(AuditEntry).where(AuditEntry.action == action, AuditEntry.outcome == "denied")
        return list(await db.scalars(q.order_by(AuditEntry.id)))


async def shared_camera(admin: httpx.AsyncClient, cam_id: str = "shared-cam") -> dict[str, Any]:
    """A camera of street-a (4) shared with street-b (5)."""
    r = await admin.post(
        "/api/cameras",
        json={
            "id": cam_id,
            "name": "东山口",
            "owner_unit_id": 4,
            "shared_unit_ids": [5],
            "main_url": "rtsp://cam.example:554/main",
        },
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.mark.asyncio
async def test_sharer_can_watch_but_not_change_a_camera(
    client: httpx.AsyncClient, app: Any
) -> None:
    await login(client, "admin")
    before = await shared_camera(client)
    await add_user(client, "b-maint", 5, "maintenance")
    b = await as_user(app, "b-maint")
    try:
        assert (await b.get("/api/cameras/shared-cam")).status_code == 200
        assert "shared-cam" in [c["id"] for c in (await b.get("/api/cameras")).json()["items"]]
        for body in (
            {"owner_unit_id": 5},
            {"main_url": "rtsp://evil.example/x"},
            {"name": "taken"},
            {"shared_unit_ids": []},
        ):
            r = await b.patch("/api/cameras/shared-cam", json=body)
            assert r.status_code == 403, (body, r.text)
            assert "sharer" in r.json()["detail"]
        assert (await b.delete("/api/cameras/shared-cam")).status_code == 403
        # Acknowledging its alerts is a change too; reading them is watching.
        assert (await b.get("/api/health/cameras/shared-cam")).status_code == 200
    finally:
        await b.aclose()
    after = (await client.get("/api/cameras/shared-cam")).json()
    assert after == before
    assert len(await denied_rows(app, "cameras.write")) == 5


@pytest.mark.asyncio
async def test_sharer_cannot_import_over_a_shared_camera(
    client: httpx.AsyncClient, app: Any
) -> None:
    await login(client, "admin")
    before = await shared_camera(client)
    await add_user(client, "b-maint", 5, "maintenance")
    b = await as_user(app, "b-maint")
    csv_text = (
        "id,name,owner_unit,main_url\n"
        "shared-cam,taken over,street-b,rtsp://evil.example/x\n"
        "b-new-cam,new one,street-b,rtsp://cam.example/b\n"
    )
    try:
        r = await b.post(
            "/api/cameras/import",
            params={"format": "csv", "upsert": "true"},
            content=csv_text.encode(),
        )
        assert r.status_code == 422, r.text
        errors = r.json()["report"]["errors"]
        assert errors == [
            {
                "row": 2,
                "loc": "id",
                "msg": "only the camera's owner unit (or a unit above it) may change it",
            }
        ]
        # With partial=true the good row goes in and the shared camera stays untouched.
        r = await b.post(
            "/api/cameras/import",
            params={"format": "csv", "upsert": "true", "partial": "true"},
            content=csv_text.encode(),
        )
        assert r.status_code == 200, r.text
        assert (r.json()["created"], r.json()["updated"], r.json()["skipped"]) == (1, 0, 1)
    finally:
        await b.aclose()
    assert (await client.get("/api/cameras/shared-cam")).json() == before
    denied = await denied_rows(app, "cameras.write")
    assert denied and "2" in denied[-1].detail["reason"]


@pytest.mark.asyncio
async def test_import_cannot_probe_or_overwrite_a_hidden_camera(
    client: httpx.AsyncClient, app: Any
) -> None:
    await login(client, "admin")
    await shared_camera(client)
    await add_user(client, "p-maint", 2, "maintenance")  # psb: neither owner nor sharer
    p = await as_user(app, "p-maint")
    try:
        r = await p.post(
            "/api/cameras/import",
            params={"format": "csv", "upsert": "true"},
            content=b"id,name,owner_unit,main_url\nshared-cam,x,psb,rtsp://evil.example/x\n",
        )
        assert r.status_code == 422
        assert r.json()["report"]["errors"][0]["msg"] == (
            "camera id is taken by a camera of another unit"
        )
    finally:
        await p.aclose()
    async with app.state.services.store.session() as db:
        cam = await db.get(Camera, "shared-cam")
        assert cam is not None and cam.owner_unit_id == 4 and cam.name == "东山口"


@pytest.mark.asyncio
async def test_hidden_camera_answers_like_a_missing_one(
    client: httpx.AsyncClient, app: Any
) -> None:
    await login(client, "admin")
    await shared_camera(client)
    await add_user(client, "p-viewer", 2, "viewer")
    p = await as_user(app, "p-viewer")
    try:
        for path in (
            "/api/cameras/{}",
            "/api/cameras/{}/snapshot.jpg",
            "/api/health/cameras/{}",
        ):
            hidden = await p.get(path.format("shared-cam"))
            missing = await p.get(path.format("nothere-cam"))
            assert hidden.status_code == missing.status_code in (403, 404), path
            if hidden.status_code == 404:
                assert hidden.text.replace("shared-cam", "X") == missing.text.replace(
                    "nothere-cam", "X"
                )
                assert dict(hidden.headers).keys() == dict(missing.headers).keys()
    finally:
        await p.aclose()
    rows = await denied_rows(app, "cameras.read")
    # Both audited with the same reason: the log is no oracle for a unit admin either.
    assert {r.target_id for r in rows} == {"shared-cam", "nothere-cam"}
    assert len({r.detail["reason"] for r in rows}) == 1


@pytest.mark.asyncio
async def test_participants_follow_a_drill_but_the_organiser_runs_it(
    client: httpx.AsyncClient, app: Any
) -> None:
    await login(client, "admin")
    await seed_reference(app)
    await create_drill(client, "org-a", unit=4, participating_units=["5"], start=soon(-10))
    await add_user(client, "a-coord", 4, "coordinator")
    await add_user(client, "a-coord2", 4, "coordinator")
    await add_user(client, "b-coord", 5, "coordinator")
    await add_user(client, "b-admin", 5, "admin")
    await add_user(client, "b-viewer", 5, "viewer")
    await add_user(client, "p-admin", 2, "admin")
    b, ba, bv, pa = [await as_user(app, n) for n in ("b-coord", "b-admin", "b-viewer", "p-admin")]
    a = await as_user(app, "a-coord")
    a2 = await as_user(app, "a-coord2")
    try:
        drill = (await b.get("/api/drills/org-a")).json()
        etag = (await b.get("/api/drills/org-a")).headers["etag"]
        # Re-assigning the organising unit, or any plan change, is the organiser's.
        r = await b.put(
            "/api/drills/org-a",
            json=plan_body(5, participating_units=["4"]),
            headers={"If-Match": etag},
        )
        assert r.status_code == 403, r.text
        for who in (b, ba):
            r = await who.post("/api/drills/org-a/transition", json={"to": "submitted"})
            assert r.status_code == 403, r.text
            assert "sharer" in r.json()["detail"]
        # Another unit's admin, not even a participant: the drill does not exist for them.
        r = await pa.post("/api/drills/org-a/transition", json={"to": "cancelled"})
        m = await pa.post("/api/drills/no-such-drill/transition", json={"to": "cancelled"})
        assert r.status_code == m.status_code == 404
        assert r.json()["detail"].replace("org-a", "X") == m.json()["detail"].replace(
            "no-such-drill", "X"
        )
        # Separation of duties: the submitter does not approve; a colleague may.
        await advance(a, "org-a", "submitted")
        r = await a.post("/api/drills/org-a/transition", json={"to": "approved"})
        assert r.status_code == 403 and "separation of duties" in r.json()["detail"]
        await advance(a2, "org-a", "approved", "scheduled")
        # A participating admin may not cancel it either.
        r = await ba.post("/api/drills/org-a/transition", json={"to": "cancelled"})
        assert r.status_code == 403
        await advance(a, "org-a", "in_progress")
        # While it runs, participants log: observer notes from anyone, entries from coordinators.
        r = await bv.post("/api/drills/org-a/timeline", json={"kind": "note", "note": "看到了"})
        assert r.status_code == 201, r.text
        r = await bv.post("/api/drills/org-a/timeline", json={"kind": "alarm_sounded"})
        assert r.status_code == 403
        r = await b.post("/api/drills/org-a/timeline", json={"kind": "alarm_sounded"})
        assert r.status_code == 201, r.text
        # ...but not the report, which is the organiser's.
        r = await b.put("/api/drills/org-a/report", json={}, headers={"If-Match": '"0"'})
        assert r.status_code == 403
        assert drill["participating_unit_ids"] == [5]
    finally:
        for c in (a, a2, b, ba, bv, pa):
            await c.aclose()
    status = (await client.get("/api/drills/org-a")).json()["status"]
    assert status == "in_progress"


@pytest.mark.asyncio
async def test_separation_of_duties_can_be_turned_off(data_dir: Any) -> None:
    from asgi_lifespan import LifespanManager

    from console.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(data_dir, drills={"separate_approval": False}))
    async with LifespanManager(app):
        c = await new_client(app, "admin")
        try:
            await seed_reference(app)
            await create_drill(c, "solo", unit=3)
            await advance(c, "solo", *TO_SCHEDULED)
        finally:
            await c.aclose()


@pytest.mark.asyncio
async def test_conflicts_do_not_name_drills_the_caller_cannot_open(
    client: httpx.AsyncClient, app: Any
) -> None:
    await login(client, "admin")
    await seed_reference(app)
    r = await client.post(
        "/api/drills",
        json={"id": "secret-psb-drill", "plan": plan_body(2, title="机密演练 PSB")},
    )
    assert r.status_code == 201
    await advance(client, "secret-psb-drill", "submitted")  # drafts block nothing
    await add_user(client, "b-coord", 5, "coordinator")
    b = await as_user(app, "b-coord")
    try:
        r = await b.post("/api/drills", json={"id": "b-drill", "plan": plan_body(5)})
        assert r.status_code == 201, r.text
        conflicts = r.json()["conflicts"]
        assert conflicts and conflicts[0]["kind"] == "venue"
        text = r.text
        assert "secret-psb-drill" not in text and "机密演练" not in text
        assert conflicts[0]["other_drill_id"] is None
        assert "a drill of another unit" in conflicts[0]["message"]
        for path in ("/api/drills/b-drill/conflicts", "/api/drills/b-drill"):
            body = (await b.get(path)).text
            assert "secret-psb-drill" not in body and "机密演练" not in body
        r = await b.post("/api/drills/check", json=plan_body(5))
        assert "secret-psb-drill" not in r.text and "机密演练" not in r.text
        # Naming the hidden drill as "the one being edited" changes nothing (no id oracle).
        for probe in ("secret-psb-drill", "no-such-drill"):
            again = await b.post("/api/drills/check", params={"drill_id": probe}, json=plan_body(5))
            assert again.json() == r.json()
    finally:
        await b.aclose()
    # The district admin sees everything and is told which drill clashes.
    r = await client.get("/api/drills/b-drill/conflicts")
    assert r.json()["conflicts"][0]["other_drill_id"] == "secret-psb-drill"


@pytest.mark.asyncio
async def test_gis_features_belong_to_a_unit(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    await seed_reference(app)  # district data
    await add_user(client, "a-coord", 4, "coordinator")
    a = await as_user(app, "a-coord")
    square = {
        "type": "Polygon",
        "coordinates": [[[113.4, 23.2], [113.401, 23.2], [113.401, 23.201], [113.4, 23.2]]],
    }
    try:
        got = await a.get("/api/gis/layers/shelters/features/S01")
        assert got.status_code == 200
        r = await a.put(
            "/api/gis/layers/shelters/features/S01",
            json={"geometry": square, "properties": {"name": "改", "capacity": 1}},
            headers={"If-Match": got.headers["etag"]},
        )
        assert r.status_code == 403, r.text
        assert (await a.delete("/api/gis/layers/shelters/features/S01")).status_code == 403
        # Its own feature: created for its unit, edited freely.
        r = await a.post(
            "/api/gis/layers/shelters/features",
            json={"id": "A-1", "geometry": square, "properties": {"name": "东山", "capacity": 5}},
        )
        assert r.status_code == 201 and r.json()["owner_unit_id"] == 4
        # Not for another unit, though.
        r = await a.post(
            "/api/gis/layers/shelters/features",
            params={"owner_unit_id": 5},
            json={"id": "A-2", "geometry": square, "properties": {"name": "x", "capacity": 5}},
        )
        assert r.status_code == 403
        # Importing over district features is refused, naming them; partial skips them.
        fc = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"id": fid, "name": "导入", "capacity": 9},
                    "geometry": square,
                }
                for fid in ("S02", "A-1", "A-3")
            ],
        }
        mapping = '{"name": "name", "capacity": "capacity"}'
        r = await a.post(
            "/api/gis/layers/shelters/import",
            params={"format": "geojson", "mapping": mapping, "fid_field": "id"},
            json=fc,
        )
        assert r.status_code == 403, r.text
        assert [e["loc"] for e in r.json()["errors"]] == ["features.0"]
        r = await a.post(
            "/api/gis/layers/shelters/import",
            params={"format": "geojson", "partial": "true", "mapping": mapping, "fid_field": "id"},
            json=fc,
        )
        assert r.status_code == 200, r.text
        assert (r.json()["created"], r.json()["updated"]) == (1, 1)
        assert [e["loc"] for e in r.json()["skipped"]] == ["features.0"]
    finally:
        await a.aclose()
    s02 = (await client.get("/api/gis/layers/shelters/features/S02")).json()
    assert s02["properties"]["name"] != "导入" and s02["owner_unit_id"] is None
    # The district admin edits district data.
    r = await client.delete("/api/gis/layers/shelters/features/S02")
    assert r.status_code == 204
