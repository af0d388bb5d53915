"""Saved walls, tours and push-to-wall."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from console.api.ws import may_see
from console.deps import resolve_principal
from tests.conftest import login, new_client

CAM = {"name": "路口", "owner_unit_id": 2, "main_url": "rtsp://127.0.0.1:9/x"}


async def cams(client: httpx.AsyncClient) -> None:
    for cid, shared in (("c1", [4]), ("c2", []), ("c3", [5])):
        r = await client.post("/api/cameras", json={**CAM, "id": cid, "shared_unit_ids": shared})
        assert r.status_code == 201


@pytest.mark.asyncio
async def test_walls_crud_validation_and_sharing(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    await cams(client)
    op = await new_client(app, "operator")  # psb: sees c1, c2, c3
    viewer = await new_client(app, "viewer")  # street-a: sees c1 only
    try:
        r = await op.post(
            "/api/walls",
            json={"name": "墙", "layout": "4", "tiles": ["c1", "c2", None, "c3"], "shared": True},
        )
        assert r.status_code == 201, r.text
        wall = r.json()
        r = await op.post("/api/walls", json={"name": "x", "layout": "9", "tiles": ["c1"]})
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "body"
        r = await op.post("/api/walls", json={"name": "x", "layout": "3", "tiles": ["c1"] * 3})
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "body.layout"
        r = await viewer.post(
            "/api/walls",
            json={"name": "v", "layout": "1+5", "tiles": ["c1", "c2", None, None, None, None]},
        )
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "body.tiles[1]"
        r = await viewer.post(
            "/api/walls", json={"name": "v", "layout": "1", "tiles": ["c1"], "shared": True}
        )
        assert r.status_code == 403
        r = await viewer.post("/api/walls", json={"name": "mine", "layout": "1", "tiles": ["c1"]})
        assert r.status_code == 201
        # The shared wall is visible to others of psb only; the viewer sees only their own.
        assert [w["name"] for w in (await viewer.get("/api/walls")).json()["items"]] == ["mine"]
        r = await op.put(
            f"/api/walls/{wall['id']}?version=1",
            json={**{k: wall[k] for k in ("name", "layout", "tiles", "shared")}, "name": "墙2"},
        )
        assert r.status_code == 200 and r.json()["version"] == 2
        r = await op.put(
            f"/api/walls/{wall['id']}?version=1",
            json={k: wall[k] for k in ("name", "layout", "tiles", "shared")},
        )
        assert r.status_code == 412 and r.json()["current"]["name"] == "墙2"
        assert (await viewer.delete(f"/api/walls/{wall['id']}")).status_code == 404
        r = await op.post(
            "/api/tours",
            json={
                "name": "巡视",
                "steps": [
                    {"kind": "camera", "ref": "c1", "dwell_s": 10},
                    {"kind": "wall", "ref": str(wall["id"]), "dwell_s": 20},
                ],
            },
        )
        assert r.status_code == 201
        r = await op.post(
            "/api/tours",
            json={"name": "bad", "steps": [{"kind": "wall", "ref": "999", "dwell_s": 10}]},
        )
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "body.steps[0].ref"
        r = await op.post(
            "/api/tours",
            json={"name": "bad", "steps": [{"kind": "camera", "ref": "c1", "dwell_s": 1}]},
        )
        assert r.status_code == 422
        assert (await op.delete(f"/api/walls/{wall['id']}")).status_code == 204
    finally:
        await op.aclose()
        await viewer.aclose()


@pytest.mark.asyncio
async def test_push_reaches_only_the_target(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    await cams(client)
    r = await client.post(
        "/api/users",
        json={
            "username": "duty-2",
            "password": "duty-pass-22",
            "unit_id": 2,
            "roles": ["operator"],
        },
    )
    duty = r.json()["id"]
    op = await new_client(app, "operator")
    try:
        targets = {t["username"] for t in (await op.get("/api/walls-operators")).json()["items"]}
        assert targets == {"duty-2"}  # users of the operator's own unit
        sub, _ = app.state.services.bus.subscribe()
        r = await op.post("/api/walls-push", json={"user_id": duty, "camera_id": "c2"})
        assert r.status_code == 202 and r.json()["sent_to"] == "duty-2"
        r = await op.post("/api/walls-push", json={"user_id": duty})
        assert r.status_code == 422
        r = await op.post("/api/walls-push", json={"user_id": 6, "camera_id": "c2"})
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "body.user_id"
        event = next(
            e
            for e in [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]
            if e.type == "wall.push"
        )
        services = app.state.services
        admin = await resolve_principal(services, {}, {"eoc_session": ""}, "x")
        assert admin is None  # sanity: no session
        async with services.store.session() as db:
            from console.deps import principal_of as _principal
            from console.store.models import User

            users = {
                u.username: _principal(u, services, "x")
                for u in [await db.get(User, i) for i in (1, 2, duty)]
                if u
            }
        assert may_see(users["duty-2"], event) and not may_see(users["operator"], event)
        assert not may_see(users["admin"], event)
        viewer = await new_client(app, "viewer")
        assert (
            await viewer.post("/api/walls-push", json={"user_id": duty, "camera_id": "c1"})
        ).status_code == 403
        await viewer.aclose()
    finally:
        await op.aclose()


@pytest.mark.asyncio
async def test_tour_edits_are_checked_versioned_and_audited(
    client: httpx.AsyncClient, app: Any
) -> None:
    await login(client, "admin")
    await cams(client)
    op = await new_client(app, "operator")
    other = await new_client(app, "operator2")
    try:
        body = {"name": "夜巡", "steps": [{"kind": "camera", "ref": "c1", "dwell_s": 5}]}
        tour = (await op.post("/api/tours", json=body)).json()
        changed = {**body, "steps": [*body["steps"], {"kind": "camera", "ref": "c2", "dwell_s": 8}]}
        r = await op.put(f"/api/tours/{tour['id']}", json=changed, params={"version": 1})
        assert r.status_code == 200 and r.json()["version"] == 2
        # A stale editor (another tab) is refused with the current tour to compare.
        r = await op.put(f"/api/tours/{tour['id']}", json=body, params={"version": 1})
        assert r.status_code == 412 and r.json()["current"]["version"] == 2
        bad = {**body, "steps": [*body["steps"], {"kind": "camera", "ref": "c1", "dwell_s": 1}]}
        r = await op.put(f"/api/tours/{tour['id']}", json=bad)
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "body.steps[1].dwell_s"
        unknown = {**body, "steps": [{"kind": "wall", "ref": "999", "dwell_s": 5}]}
        r = await op.put(f"/api/tours/{tour['id']}", json=unknown)
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "body.steps[0].ref"
        # Not shared, another unit: invisible; nothing changed by the refusals.
        assert (await other.put(f"/api/tours/{tour['id']}", json=body)).status_code == 404
        assert (await op.get("/api/tours")).json()["items"][0]["steps"] == changed["steps"]
        assert (await op.delete(f"/api/tours/{tour['id']}")).status_code == 204
        audit = (await client.get("/api/audit", params={"target_type": "tour"})).json()["items"]
        assert {"tour.create", "tour.update", "tour.delete"} <= {a["action"] for a in audit}
    finally:
        await op.aclose()
        await other.aclose()
