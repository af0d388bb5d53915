"""Imports never key features by row position; every import is a batch that can be reverted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select

from console.app import create_app
from console.demo import seed_demo
from console.services import Services
from console.store.models import AuditEntry
from tests.conftest import login, make_settings, new_client
from tests.gis.importing import fc, layer, point, post_import

WAREHOUSES = (
    "name,kind,lon,lat\n"
    "东山仓库,warehouse,113.27,23.13\n"
    "西湖仓库,warehouse,113.28,23.13\n"
    "北区仓库,warehouse,113.29,23.13\n"
).encode()
BOARDS = ("name,kind,lon,lat\n宣传栏一,board,113.27,23.14\n宣传栏二,board,113.28,23.14\n").encode()


@pytest.mark.asyncio
async def test_unrelated_imports_without_ids_never_overwrite(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    r = await post_import(client, "pois", WAREHOUSES, format="csv")
    assert r.status_code == 200 and (r.json()["created"], r.json()["updated"]) == (3, 0)
    assert r.json()["id_source"] == {"new": 3} and "ids_new" in [
        n["code"] for n in r.json()["notes"]
    ]
    r = await post_import(client, "pois", BOARDS, format="csv")
    assert r.status_code == 200 and (r.json()["created"], r.json()["updated"]) == (2, 0)
    got = await layer(client, "pois")
    assert len(got) == 5
    assert (
        sorted(f["properties"]["kind"] for f in got.values()) == ["board"] * 2 + ["warehouse"] * 3
    )
    # The same id-less file again: new features again (an update needs a real id).
    r = await post_import(client, "pois", BOARDS, format="csv", dry_run=True)
    assert (r.json()["created"], r.json()["updated"]) == (2, 0)


@pytest.mark.asyncio
async def test_updates_need_a_real_id_match(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    first = fc(point(113.27, 23.13, {"name": "a"}, "P1"), point(113.28, 23.13, {"name": "b"}, "P2"))
    r = await post_import(client, "pois", first)
    assert (r.json()["created"], r.json()["updated"]) == (2, 0)
    second = fc(
        point(113.27, 23.13, {"name": "a2"}, "P1"), point(113.29, 23.13, {"name": "c"}, "P3")
    )
    r = await post_import(client, "pois", second, dry_run=True)
    actions = {f["id"]: f["import_action"] for f in r.json()["preview"]["features"]}
    assert actions == {"P1": "update", "P3": "create"}
    r = await post_import(client, "pois", second)
    assert (r.json()["created"], r.json()["updated"]) == (1, 1)
    got = await layer(client, "pois")
    assert {k: v["properties"]["name"] for k, v in got.items()} == {
        "P1": "a2",
        "P2": "b",
        "P3": "c",
    }


@pytest.mark.asyncio
async def test_revert_a_batch_as_a_whole(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "coordinator")
    first = fc(point(113.27, 23.13, {"name": "a"}, "P1"), point(113.28, 23.13, {"name": "b"}, "P2"))
    b1 = (
        await post_import(client, "pois", first, source="survey", file_name="first.geojson")
    ).json()["batch"]
    # Deleted by hand, then brought back by the second import (which also edits P1, adds P3).
    r = await client.delete("/api/gis/layers/pois/features/P2")
    assert r.status_code == 204
    second = fc(
        point(113.27, 23.135, {"name": "a2"}, "P1"),
        point(113.28, 23.13, {"name": "b2"}, "P2"),
        point(113.29, 23.13, {"name": "c"}, "P3"),
    )
    rep = (await post_import(client, "pois", second)).json()
    b2 = rep["batch"]
    assert (rep["created"], rep["updated"]) == (1, 2)
    listing = (await client.get("/api/gis/imports", params={"layer": "pois"})).json()["items"]
    assert [b["id"] for b in listing] == [b2, b1]
    assert listing[1]["file_name"] == "first.geojson" and listing[1]["source"] == "survey"
    assert listing[0]["created_by"] == "coordinator" and listing[0]["reverted_at"] is None
    detail = (await client.get(f"/api/gis/imports/{b2}")).json()
    assert {i["fid"]: (i["action"], i["prev_version"]) for i in detail["items"]} == {
        "P1": ("updated", 1),
        "P2": ("updated", 2),  # v2 is the deletion
        "P3": ("created", None),
    }
    viewer = await new_client(app, "viewer")
    try:
        assert (await viewer.get("/api/gis/imports")).status_code == 200
        assert (await viewer.post(f"/api/gis/imports/{b2}/revert")).status_code == 403
    finally:
        await viewer.aclose()
    r = await client.post(f"/api/gis/imports/{b2}/revert")
    assert r.status_code == 200, r.text
    assert (r.json()["deleted"], r.json()["restored"]) == (1, 2)
    got = await layer(client, "pois")
    # P1 back to its first version, P2 deleted again as it was, P3 gone.
    assert set(got) == {"P1"}
    assert got["P1"]["properties"]["name"] == "a"
    assert got["P1"]["geometry"]["coordinates"] == [113.27, 23.13]
    hist = (await client.get("/api/gis/layers/pois/features/P3/history")).json()
    assert hist["deleted"] and [v["version"] for v in hist["items"]] == [2, 1]
    r = await client.post(f"/api/gis/imports/{b2}/revert")
    assert r.status_code == 409 and "already reverted" in r.json()["detail"]
    await app.state.services.audit.flush()
    async with app.state.services.store.session() as db:
        actions = [
            (a.action, a.target_id)
            for a in await db.scalars(
                select(AuditEntry).where(AuditEntry.action.like("gis.import%"))
            )
        ]
    assert ("gis.import.revert", str(b2)) in actions and actions.count(("gis.import", "pois")) == 2


@pytest.mark.asyncio
async def test_revert_refused_when_features_changed_since(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    rep = (await post_import(client, "pois", fc(point(113.27, 23.13, {"name": "a"}, "P1")))).json()
    f = (await client.get("/api/gis/layers/pois/features/P1")).json()
    body = {"type": "Feature", "geometry": f["geometry"], "properties": {"name": "edited"}}
    r = await client.put("/api/gis/layers/pois/features/P1", json=body, headers={"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/gis/imports/{rep['batch']}/revert")
    assert r.status_code == 409
    err = r.json()["errors"][0]
    assert err["type"] == "changed_since" and err["params"] == {"fid": "P1", "wrote": 1, "now": 2}
    assert (await layer(client, "pois"))["P1"]["properties"]["name"] == "edited"
    assert (await client.post("/api/gis/imports/99999/revert")).status_code == 404


@pytest.mark.asyncio
async def test_dry_run_writes_nothing_and_is_not_a_batch(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    r = await post_import(client, "pois", WAREHOUSES, format="csv", dry_run=True)
    rep = r.json()
    assert rep["dry_run"] and "batch" not in rep and rep["bbox"] == [113.27, 23.13, 113.29, 23.13]
    assert len(rep["preview"]["features"]) == 3
    assert await layer(client, "pois") == {}
    assert (await client.get("/api/gis/imports")).json()["items"] == []


@pytest.fixture
async def pg_client(data_dir: Path, pg_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app on a fresh PostgreSQL database (the demo users seeded there)."""
    settings = make_settings(data_dir, database_url=pg_url)
    services = Services.build(settings)
    await services.store.upgrade()
    await seed_demo(services, [])
    await services.store.close()
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


@pytest.mark.asyncio
async def test_revert_on_postgresql(pg_client: httpx.AsyncClient) -> None:
    await login(pg_client, "coordinator")
    first = fc(point(113.27, 23.13, {"name": "a"}, "P1"))
    assert (await post_import(pg_client, "pois", first)).status_code == 200
    second = fc(
        point(113.27, 23.13, {"name": "a2"}, "P1"), point(113.28, 23.13, {"name": "b"}, "P2")
    )
    batch = (await post_import(pg_client, "pois", second)).json()["batch"]
    r = await pg_client.post(f"/api/gis/imports/{batch}/revert")
    assert r.status_code == 200, r.text
    got = await layer(pg_client, "pois")
    assert {k: v["properties"]["name"] for k, v in got.items()} == {"P1": "a"}
