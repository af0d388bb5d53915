"""Cached list bodies: dropped on every write they depend on, keyed by the caller's scope and
user, and answered 304 to a caller who already holds the current body."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from console.store import changes
from console.viewcache import ViewCache, cache_of
from tests.conftest import login, new_client

CAM = {"name": "路口", "main_url": "rtsp://127.0.0.1:9/x"}
# Demo units (tests/walls): psb 2 (operator), street-a 4 (viewer), street-b 5 (operator2).
PSB, STREET_A, STREET_B = 2, 4, 5


def ids(r: httpx.Response) -> list[str]:
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()["items"]]


async def add(client: httpx.AsyncClient, cid: str, unit: int, shared: list[int]) -> None:
    body = {**CAM, "id": cid, "owner_unit_id": unit, "shared_unit_ids": shared}
    r = await client.post("/api/cameras", json=body)
    assert r.status_code == 201, r.text


@pytest.mark.asyncio
async def test_camera_list_follows_writes_and_scopes(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    await add(client, "a1", STREET_A, [])
    await add(client, "b1", STREET_B, [])
    viewer = await new_client(app, "viewer")  # street-a
    op2 = await new_client(app, "operator2")  # street-b
    cache = cache_of(app.state.services)
    try:
        # Each scope fills its own entry; neither is ever handed the other's body.
        assert ids(await op2.get("/api/cameras")) == ["b1"]
        hits = cache.hits
        assert ids(await op2.get("/api/cameras")) == ["b1"]
        assert cache.hits == hits + 1
        assert ids(await viewer.get("/api/cameras")) == ["a1"]
        assert ids(await viewer.get("/api/cameras")) == ["a1"]
        assert ids(await client.get("/api/cameras")) == ["a1", "b1"]
        # A new camera, a rename, a share and an unshare show on the very next read.
        await add(client, "b2", STREET_B, [])
        assert ids(await op2.get("/api/cameras")) == ["b1", "b2"]
        assert ids(await viewer.get("/api/cameras")) == ["a1"]
        r = await client.patch("/api/cameras/b1", json={"name": "renamed"})
        assert r.status_code == 200, r.text
        assert (await op2.get("/api/cameras")).json()["items"][0]["name"] == "renamed"
        r = await client.patch("/api/cameras/b2", json={"shared_unit_ids": [STREET_A]})
        assert r.status_code == 200, r.text
        assert ids(await viewer.get("/api/cameras")) == ["a1", "b2"]
        r = await client.patch("/api/cameras/b2", json={"shared_unit_ids": []})
        assert r.status_code == 200, r.text
        assert ids(await viewer.get("/api/cameras")) == ["a1"]
        r = await client.delete("/api/cameras/b1")
        assert r.status_code == 204, r.text
        assert ids(await op2.get("/api/cameras")) == ["b2"]
        # Refused before any cache is looked at.
        anon = await new_client(app)
        try:
            assert (await anon.get("/api/cameras")).status_code == 401
        finally:
            await anon.aclose()
    finally:
        await viewer.aclose()
        await op2.aclose()


@pytest.mark.asyncio
async def test_etag_answers_304_until_the_body_changes(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    await add(client, "a1", STREET_A, [])
    await add(client, "b1", STREET_B, [])
    first = await client.get("/api/cameras")
    tag = first.headers["etag"]
    r = await client.get("/api/cameras", headers={"If-None-Match": tag})
    assert r.status_code == 304 and r.headers["etag"] == tag and not r.content
    op2 = await new_client(app, "operator2")
    try:
        # Another scope's body (b1 only) is another body: the admin's tag is no good for it.
        assert (await op2.get("/api/cameras", headers={"If-None-Match": tag})).status_code == 200
    finally:
        await op2.aclose()
    r = await client.patch("/api/cameras/b1", json={"name": "renamed"})
    assert r.status_code == 200, r.text
    r = await client.get("/api/cameras", headers={"If-None-Match": tag})
    assert r.status_code == 200 and r.headers["etag"] != tag
    assert r.json()["items"][1]["name"] == "renamed"


@pytest.mark.asyncio
async def test_wall_list_is_per_user(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    await add(client, "c1", PSB, [STREET_A])
    op = await new_client(app, "operator")
    viewer = await new_client(app, "viewer")
    try:
        assert (await viewer.get("/api/walls")).json()["items"] == []
        r = await viewer.post("/api/walls", json={"name": "mine", "layout": "1", "tiles": ["c1"]})
        assert r.status_code == 201, r.text
        wall = r.json()
        assert [w["name"] for w in (await viewer.get("/api/walls")).json()["items"]] == ["mine"]
        # Same unit scope is not enough: an unshared wall is its owner's only.
        assert (await op.get("/api/walls")).json()["items"] == []
        r = await viewer.delete(f"/api/walls/{wall['id']}?version={wall['version']}")
        assert r.status_code == 204, r.text
        assert (await viewer.get("/api/walls")).json()["items"] == []
    finally:
        await op.aclose()
        await viewer.aclose()


@pytest.mark.asyncio
async def test_stamps_move_after_commit(app: Any) -> None:
    store = app.state.services.store
    before = changes.stamp(("walls",))
    async with store.session() as db:
        await db.execute(text("UPDATE walls SET name = name WHERE id = -1"))
        during = changes.stamp(("walls",))
        assert during != before
        await db.commit()
    # The connection went back to the pool after its commit: a reader who took its stamp
    # between the statement and the commit must not keep what it read.
    assert changes.stamp(("walls",)) != during


def test_tables_written() -> None:
    assert changes.tables_written("SELECT * FROM cameras") == frozenset()
    assert changes.tables_written("INSERT INTO cameras (id) VALUES (?)") == {"cameras"}
    assert changes.tables_written('UPDATE "walls" SET name=?') == {"walls"}
    assert changes.tables_written('UPDATE public."walls" SET name=?') == {"walls"}
    assert changes.tables_written("INSERT OR IGNORE INTO tours VALUES (1)") == {"tours"}
    # Cascades and replacements reach further than the named table.
    assert changes.tables_written("DELETE FROM users WHERE id=?") == {changes.ALL}
    assert changes.tables_written("INSERT OR REPLACE INTO walls VALUES (1)") == {changes.ALL}
    assert changes.tables_written("VACUUM") is None


@pytest.mark.asyncio
async def test_health_table_follows_status_and_scope(client: httpx.AsyncClient, app: Any) -> None:
    from console.health.recorder import StatusReport

    await login(client, "admin")
    await add(client, "a1", STREET_A, [])
    await add(client, "b1", STREET_B, [])
    op2 = await new_client(app, "operator2")
    try:

        def rows(r: httpx.Response) -> dict[str, str]:
            assert r.status_code == 200, r.text
            return {x["camera_id"]: x["status"] for x in r.json()["items"]}

        assert rows(await op2.get("/api/health/cameras")) == {"b1": "unknown"}
        assert rows(await client.get("/api/health/cameras")) == {"a1": "unknown", "b1": "unknown"}
        recorder = app.state.services.extensions["health_recorder"]
        await recorder.report(StatusReport("b1", "offline"))
        assert rows(await op2.get("/api/health/cameras")) == {"b1": "offline"}
        assert rows(await client.get("/api/health/cameras"))["b1"] == "offline"
    finally:
        await op2.aclose()


@pytest.mark.asyncio
async def test_one_build_per_change_under_concurrent_misses() -> None:
    cache = ViewCache()
    builds = 0
    gate = asyncio.Event()

    async def build() -> str:
        nonlocal builds
        builds += 1
        await gate.wait()
        return f"body {builds}"

    waiting = [asyncio.create_task(cache.held("k", 1, build)) for _ in range(20)]
    await asyncio.sleep(0)
    gate.set()
    assert {h.body for h in await asyncio.gather(*waiting)} == {"body 1"} and builds == 1
    # A new stamp is a new build; a failed build leaves the followers to build for themselves.
    assert (await cache.held("k", 2, build)).body == "body 2"

    async def failing() -> str:
        await asyncio.sleep(0.01)
        raise RuntimeError("boom")

    leader = asyncio.create_task(cache.held("k", 3, failing))
    await asyncio.sleep(0)
    follower = asyncio.create_task(cache.held("k", 3, build))
    with pytest.raises(RuntimeError):
        await leader
    assert (await follower).body == "body 3"
