"""Camera status for every role: what a wall visit needs, scoped like the camera list, and no
"denied" audit rows for coordinators and viewers on a normal visit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from console.accounts import add_unit, add_user
from console.demo import DEMO_PASSWORD
from console.health.recorder import StatusReport
from console.store.models import AuditEntry
from tests.cameras.test_health import recorder
from tests.cameras.test_registry import CAM
from tests.conftest import login, new_client

# street-b's camera: invisible to street-a's viewer and to the psb operator.
OTHER = {**CAM, "id": "xh-0009", "name": "西湖桥", "owner_unit_id": 5, "shared_unit_ids": []}
FRESH = {**CAM, "id": "gz-yx-0002", "name": "北京路口西"}


async def denials(app: Any) -> list[AuditEntry]:
    await app.state.services.audit.flush()
    async with app.state.services.store.session() as db:
        rows = await db.scalars(select(AuditEntry).where(AuditEntry.outcome == "denied"))
        return list(rows)


@pytest.mark.asyncio
async def test_every_role_sees_the_status_of_its_cameras(
    client: httpx.AsyncClient, app: Any
) -> None:
    await login(client, "admin")
    for cam in (CAM, OTHER, FRESH):
        assert (await client.post("/api/cameras", json=cam)).status_code == 201
    await recorder(app).report(StatusReport(CAM["id"], "degraded", ("blur", "noise")))
    await recorder(app).report(StatusReport(OTHER["id"], "offline"))
    before = len(await denials(app))
    seen: dict[str, dict[str, Any]] = {}
    for user in ("viewer", "coordinator", "operator", "operator2", "maintenance"):
        c = await new_client(app, user)
        try:
            listed = {x["id"] for x in (await c.get("/api/cameras")).json()["items"]}
            r = await c.get("/api/health/status")
            assert r.status_code == 200, (user, r.text)
            rows = {x["camera_id"]: x for x in r.json()["items"]}
            # Exactly the cameras the caller's units own or share, nothing else.
            assert set(rows) == listed, user
            seen[user] = rows
            for row in rows.values():
                assert set(row) == {"camera_id", "status", "reasons", "since"}
        finally:
            await c.aclose()
    assert set(seen["viewer"]) == {CAM["id"], FRESH["id"]}  # shared with street-a
    assert seen["viewer"][CAM["id"]]["status"] == "degraded"
    assert sorted(seen["viewer"][CAM["id"]]["reasons"]) == ["blur", "noise"]
    assert seen["viewer"][CAM["id"]]["since"]
    assert seen["viewer"][FRESH["id"]] == {
        "camera_id": FRESH["id"],
        "status": "unknown",
        "reasons": [],
        "since": None,
    }
    assert set(seen["operator2"]) == {OTHER["id"]}
    assert seen["operator2"][OTHER["id"]]["status"] == "offline"
    assert seen["coordinator"] == {}  # eqo owns and shares no camera
    assert len(await denials(app)) == before, "a status view must not be a refusal"


@pytest.mark.asyncio
async def test_status_needs_a_session(client: httpx.AsyncClient, app: Any) -> None:
    r = await client.get("/api/health/status")
    assert r.status_code == 401
    # The full health table stays with health.read: a viewer still gets 403 there.
    viewer = await new_client(app, "viewer")
    try:
        assert (await viewer.get("/api/health/cameras")).status_code == 403
    finally:
        await viewer.aclose()


@pytest.mark.asyncio
async def test_people_directory_names_colleagues(app: Any) -> None:
    """Display names for user names, for every role, within the caller's organisation."""
    services = app.state.services
    async with services.store.session() as db:
        await add_unit(db, "other-city", "邻市应急局", kind="other")
        await add_user(db, "outsider", DEMO_PASSWORD, "other-city", ["viewer"], display_name="邻市")
        await db.commit()
        await services.units.load(db)
    viewer = await new_client(app, "viewer")  # street-a, under the district
    outsider = await new_client(app, "outsider")
    try:
        r = await viewer.get("/api/people")
        assert r.status_code == 200
        people = {p["username"]: p for p in r.json()["items"]}
        # The whole district: a drill's observers come from other units of it.
        assert people["viewer"]["display_name"] == "街道观察员"
        assert people["operator2"]["display_name"] == "西湖街道值班员"
        assert people["admin"]["display_name"] == "系统管理员"
        assert set(people["admin"]) == {"id", "username", "display_name"}
        assert "outsider" not in people  # another organisation on the same server
        theirs = {p["username"] for p in (await outsider.get("/api/people")).json()["items"]}
        assert theirs == {"outsider"}
    finally:
        await viewer.aclose()
        await outsider.aclose()
    anonymous = await new_client(app)
    try:
        assert (await anonymous.get("/api/people")).status_code == 401
    finally:
        await anonymous.aclose()
