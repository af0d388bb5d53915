"""Unit-scoped administration, passwords and tokens: a unit admin administers its subtree."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from console.store.models import ApiToken, utcnow
from tests.conftest import login, new_client

PW = "unit-admin-pass-2026"


async def add_user(admin: httpx.AsyncClient, name: str, unit: int, *roles: str) -> int:
    r = await admin.post(
        "/api/users",
        json={"username": name, "password": PW, "unit_id": unit, "roles": list(roles)},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


@pytest.mark.asyncio
async def test_unit_admin_reads_only_its_subtree_audit(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")  # district: a row of unit 1
    await add_user(client, "a-admin", 4, "admin")
    stranger = await new_client(app, ip="10.3.0.1")
    r = await stranger.post("/api/auth/login", json={"username": "ghost", "password": "x"})
    assert r.status_code == 401  # a row without a unit
    await stranger.aclose()
    viewer = await new_client(app, "viewer")  # street-a: a row of unit 4
    await viewer.aclose()
    a = await new_client(app, "a-admin", password=PW)
    try:
        rows = (await a.get("/api/audit", params={"limit": 1000})).json()["items"]
        assert rows and {r["unit_id"] for r in rows} == {4}
        assert {"viewer", "a-admin"} <= {r["actor"] for r in rows}
        assert (await a.get("/api/audit", params={"actor": "admin"})).json()["items"] == []
        text = (await a.get("/api/audit.csv")).text.lstrip("\ufeff")
        exported = list(csv.DictReader(io.StringIO(text)))
        assert exported and {r["unit_id"] for r in exported} == {"4"}
        # Users, tokens: street-a's only.
        users = {u["username"] for u in (await a.get("/api/users")).json()["items"]}
        assert users == {"viewer", "a-admin"}
        r = await client.post("/api/tokens", json={"name": "district", "user_id": 1})
        district_token = r.json()["id"]
        assert (await a.get("/api/tokens")).json()["items"] == []
        r = await a.delete(f"/api/tokens/{district_token}")
        assert r.status_code == 404 and r.json()["detail"] == f"token {district_token} not found"
    finally:
        await a.aclose()
    everything = (await client.get("/api/audit", params={"limit": 1000})).json()["items"]
    assert {1, 4, None} <= {r["unit_id"] for r in everything}


@pytest.mark.asyncio
async def test_district_keeps_an_enabled_admin(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")  # the district's only admin (user 1)
    await add_user(client, "a-admin", 4, "admin")  # a street admin does not count
    r = await client.patch("/api/users/1", json={"unit_id": 4})
    assert r.status_code == 409 and r.json()["type"].endswith("last-admin"), r.text
    second = await add_user(client, "admin2", 1, "admin")
    # With admin left, admin2 may be demoted, disabled or moved (and put back).
    for body in ({"roles": ["viewer"]}, {"disabled": True}, {"unit_id": 5}):
        r = await client.patch(f"/api/users/{second}", json=body)
        assert r.status_code == 200, (body, r.text)
        r = await client.patch(
            f"/api/users/{second}", json={"roles": ["admin"], "disabled": False, "unit_id": 1}
        )
        assert r.status_code == 200, r.text
    # Now the district admin may move themself to a street office...
    r = await client.patch("/api/users/1", json={"unit_id": 4})
    assert r.status_code == 200, r.text
    admin2 = await new_client(app, "admin2", password=PW)
    try:
        # ...and admin2 is the last: it cannot leave, and a street admin cannot even see it.
        r = await admin2.patch(f"/api/users/{second}", json={"unit_id": 4})
        assert r.status_code == 409 and r.json()["type"].endswith("last-admin")
        r = await client.patch(f"/api/users/{second}", json={"disabled": True})
        assert r.status_code == 404
        users = (await admin2.get("/api/users")).json()["items"]
        assert [u["disabled"] for u in users if u["id"] == second] == [False]
    finally:
        await admin2.aclose()


@pytest.mark.asyncio
async def test_weak_passwords_are_refused(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    for password, why in (
        ("12345678", "password_common"),
        ("password", "password_common"),
        ("Password1!", "password_common"),
        ("qwertyuiop", "password_common"),
        ("short", "password_too_short"),
        ("newbie-2026-x", "password_has_username"),
        ("dragon1234", "password_common"),
        ("abcdabcdabcd", "password_guessable"),
    ):
        r = await client.post(
            "/api/users",
            json={"username": "newbie", "password": password, "unit_id": 4, "roles": ["viewer"]},
        )
        assert r.status_code == 422, (password, r.text)
        err = r.json()["errors"][0]
        assert (err["loc"], err["type"]) == ("body.password", why), (password, err)
        if why != "password_has_username":  # (the viewer's own name is another)
            r = await client.post("/api/users/5/password", json={"password": password})
            assert r.status_code == 422 and r.json()["errors"][0]["type"] == why
    # The demo password is a fine one.
    r = await client.post(
        "/api/users",
        json={
            "username": "newbie",
            "password": "demo-pass-2026",
            "unit_id": 4,
            "roles": ["viewer"],
        },
    )
    assert r.status_code == 201, r.text


@pytest.mark.asyncio
async def test_reset_revokes_sessions_and_tokens(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    token = (await client.post("/api/tokens", json={"name": "ci", "user_id": 5})).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    viewer = await new_client(app, "viewer")
    try:
        assert (await viewer.get("/api/auth/session")).status_code == 200
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as api:
            assert (await api.get("/api/cameras", headers=bearer)).status_code == 200
            r = await client.post("/api/users/5/password", json={"password": "fresh-harbour-77"})
            assert r.status_code == 204
            assert (await api.get("/api/cameras", headers=bearer)).status_code == 401
        assert (await viewer.get("/api/auth/session")).status_code == 401
    finally:
        await viewer.aclose()
    tokens = (await client.get("/api/tokens")).json()["items"]
    assert [t["revoked_at"] is not None for t in tokens if t["user_id"] == 5] == [True]


@pytest.mark.asyncio
async def test_own_password_change(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    token = (await client.post("/api/tokens", json={"name": "ci", "user_id": 5})).json()["token"]
    here = await new_client(app, "viewer", ip="10.5.0.1")
    there = await new_client(app, "viewer", ip="10.5.0.2")
    try:
        r = await here.post(
            "/api/auth/password",
            json={"current_password": "wrong-guess-1", "new_password": "fresh-harbour-77"},
        )
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "body.current_password"
        r = await here.post(
            "/api/auth/password",
            json={"current_password": "demo-pass-2026", "new_password": "12345678"},
        )
        assert r.status_code == 422 and r.json()["errors"][0]["type"] == "password_common"
        r = await here.post(
            "/api/auth/password",
            json={"current_password": "demo-pass-2026", "new_password": "fresh-harbour-77"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["user"]["username"] == "viewer"
        # This session lives on; the other one and the API token are gone.
        assert (await here.get("/api/auth/session")).status_code == 200
        assert (await there.get("/api/auth/session")).status_code == 401
        r = await here.get("/api/cameras", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
    finally:
        await here.aclose()
        await there.aclose()
    fresh = await new_client(app, ip="10.5.0.3")
    try:
        r = await fresh.post(
            "/api/auth/login", json={"username": "viewer", "password": "demo-pass-2026"}
        )
        assert r.status_code == 401
        r = await fresh.post(
            "/api/auth/login", json={"username": "viewer", "password": "fresh-harbour-77"}
        )
        assert r.status_code == 200
    finally:
        await fresh.aclose()


@pytest.mark.asyncio
async def test_current_password_guessing_is_throttled(app: Any) -> None:
    from tests.core.test_login_throttle import Clock

    app.state.services.throttle._clock = Clock()  # a slow machine lets no wait run out
    thief = await new_client(app, "viewer", ip="10.6.0.1")  # a stolen, unlocked session
    try:
        limit = app.state.services.settings.security.login_failures_per_account
        codes = []
        for i in range(limit + 3):
            r = await thief.post(
                "/api/auth/password",
                json={"current_password": f"guess-{i}", "new_password": "stolen-harbour-77"},
            )
            codes.append(r.status_code)
        assert codes[:limit] == [422] * limit and set(codes[limit:]) == {429}
    finally:
        await thief.aclose()


@pytest.mark.asyncio
async def test_tokens_expire_by_default(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    sec = app.state.services.settings.security
    r = await client.post("/api/tokens", json={"name": "default"})
    expires = r.json()["expires_at"]
    assert expires is not None
    r = await client.post(
        "/api/tokens", json={"name": "long", "expires_days": sec.token_max_days + 1}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "body.expires_days"
    # A token from before expiry was the default (none stored) stops after token_max_days.
    r = await client.post("/api/tokens", json={"name": "legacy"})
    raw, token_id = r.json()["token"], r.json()["id"]
    async with app.state.services.store.session() as db:
        await db.execute(
            update(ApiToken)
            .where(ApiToken.id == token_id)
            .values(expires_at=None, created_at=utcnow() - timedelta(days=sec.token_max_days + 1))
        )
        await db.commit()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as api:
        r = await api.get("/api/cameras", headers={"Authorization": f"Bearer {raw}"})
        assert r.status_code == 401
