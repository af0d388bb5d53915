"""Users and units: validation, duplicates, unit scoping, events and audit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from console.store.models import AuditEntry, User
from tests.conftest import login, new_client


async def count_users(app: Any) -> int:
    async with app.state.services.store.session() as db:
        return int(await db.scalar(select(func.count()).select_from(User)) or 0)


NEW = {
    "username": "duty-1",
    "display_name": "值班员一",
    "password": "a-good-password",
    "unit_id": 2,
    "roles": ["operator", "viewer"],
}


@pytest.mark.asyncio
async def test_create_user_then_duplicate_409(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    r = await client.post("/api/users", json=NEW)
    assert r.status_code == 201, r.text
    assert r.json()["unit"]["code"] == "psb" and r.json()["roles"] == ["operator", "viewer"]
    before = await count_users(app)
    r = await client.post("/api/users", json=NEW)
    assert r.status_code == 409 and r.json()["errors"][0]["loc"] == "body.username"
    assert await count_users(app) == before
    fresh = await new_client(app, "duty-1", password="a-good-password")
    await fresh.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("patch", "loc"),
    [
        ({"colour": "red"}, "body.colour"),
        ({"roles": ["superuser"]}, "body.roles[0]"),
        ({"roles": []}, "body.roles"),
        ({"unit_id": "two"}, "body.unit_id"),
        ({"username": "bad name!"}, "body.username"),
        ({"password": "short"}, "body.password"),
        ({"password": "duty-1"}, "body.password"),
        ({"unit_id": 999}, "body.unit_id"),
    ],
)
async def test_bad_user_bodies_name_the_field(
    client: httpx.AsyncClient, app: Any, patch: dict[str, Any], loc: str
) -> None:
    await login(client, "admin")
    before = await count_users(app)
    r = await client.post("/api/users", json={**NEW, **patch})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert loc in [e["loc"] for e in r.json()["errors"]]
    assert r.json()["detail"]
    assert await count_users(app) == before


@pytest.mark.asyncio
async def test_malformed_json_and_oversized_body(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    r = await client.post(
        "/api/users", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    limit = app.state.services.settings.server.max_body_bytes
    r = await client.post("/api/users", json={**NEW, "display_name": "x" * (limit + 10)})
    assert r.status_code == 413 and "limit" in r.json()["detail"]


@pytest.mark.asyncio
async def test_other_unit_admin_is_refused_and_audited(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    r = await client.post(
        "/api/users", json={**NEW, "username": "admin-b", "unit_id": 5, "roles": ["admin"]}
    )
    assert r.status_code == 201
    other = await new_client(app, "admin-b", password="a-good-password")
    try:
        # admin-b (street-b) sees only street-b users and cannot touch street-a's viewer (id 5).
        names = {u["username"] for u in (await other.get("/api/users")).json()["items"]}
        assert names == {"operator2", "admin-b"}
        # Another unit's user does not exist for admin-b: the same 404 as a missing id.
        r = await other.patch("/api/users/5", json={"display_name": "hijacked"})
        assert r.status_code == 404 and r.json()["detail"] == "user 5 not found"
        r = await other.post("/api/users", json={**NEW, "username": "sneaky", "unit_id": 4})
        assert r.status_code == 403
        r = await other.post("/api/units", json={"code": "rogue", "name": "Rogue"})
        assert r.status_code == 403
    finally:
        await other.aclose()
    await app.state.services.audit.flush()
    async with app.state.services.store.session() as db:
        denied = list(await db.scalars(select(AuditEntry).where(AuditEntry.outcome == "denied")))
    assert {(d.actor, d.action, d.target_type) for d in denied} >= {
        ("admin-b", "users.write", "user"),
        ("admin-b", "users.write", "unit"),
    }


@pytest.mark.asyncio
async def test_disable_user_signs_them_out(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    viewer = await new_client(app, "viewer")
    try:
        assert (await viewer.get("/api/auth/session")).status_code == 200
        r = await client.patch("/api/users/5", json={"disabled": True})
        assert r.status_code == 200 and r.json()["disabled"] is True
        assert (await viewer.get("/api/auth/session")).status_code == 401
        r = await viewer.post(
            "/api/auth/login", json={"username": "viewer", "password": "demo-pass-2026"}
        )
        assert r.status_code == 401
    finally:
        await viewer.aclose()
    # An admin cannot lock themselves out.
    r = await client.patch("/api/users/1", json={"disabled": True})
    assert r.status_code == 409


@pytest.mark.asyncio
async def test_password_reset_and_audit_trail(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    assert (
        await client.post("/api/users/5/password", json={"password": "brand-new-pass"})
    ).status_code == 204
    viewer = await new_client(app)
    try:
        r = await viewer.post(
            "/api/auth/login", json={"username": "viewer", "password": "brand-new-pass"}
        )
        assert r.status_code == 200
    finally:
        await viewer.aclose()
    r = await client.get("/api/audit", params={"action": "user."})
    assert [i["action"] for i in r.json()["items"]][:1] == ["user.password"]


@pytest.mark.asyncio
async def test_units_tree_rules(client: httpx.AsyncClient) -> None:
    await login(client, "admin")
    r = await client.post(
        "/api/units",
        json={"code": "community-1", "name": "一社区", "kind": "other", "parent_id": 4},
    )
    assert r.status_code == 201
    child = r.json()["id"]
    assert (
        await client.post("/api/units", json={"code": "community-1", "name": "dup"})
    ).status_code == 409
    r = await client.patch("/api/units/4", json={"parent_id": child})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "body.parent_id"
    r = await client.post("/api/units", json={"code": "BAD CODE", "name": "x"})
    assert r.status_code == 422
    r = await client.patch(f"/api/units/{child}", json={"name_en": "Community One"})
    assert r.status_code == 200 and r.json()["name_en"] == "Community One"
    assert (await client.patch("/api/units/999", json={"name": "x"})).status_code == 404
