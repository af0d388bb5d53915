"""Sign-in, sessions, CSRF and bearer tokens (throttling: test_login_throttle.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from console.store.models import AuditEntry
from tests.conftest import login, new_client


async def audit_rows(app: Any, action: str) -> list[AuditEntry]:
    await app.state.services.audit.flush()
    async with app.state.services.store.session() as db:
        return list(await db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.mark.asyncio
async def test_login_sets_strict_httponly_cookie_and_audits(
    client: httpx.AsyncClient, app: Any
) -> None:
    resp = await client.post(
        "/api/auth/login", json={"username": "operator", "password": "demo-pass-2026"}
    )
    assert resp.status_code == 200
    cookie = resp.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "eoc_session=" in cookie
    body = resp.json()
    assert body["user"]["username"] == "operator" and body["user"]["roles"] == ["operator"]
    assert "password_hash" not in resp.text
    rows = await audit_rows(app, "auth.login")
    assert [(r.actor, r.outcome, r.ip) for r in rows] == [("operator", "success", "10.0.0.1")]
    me = await client.get("/api/auth/session")
    assert me.status_code == 200 and me.json()["csrf_token"] == body["csrf_token"]


@pytest.mark.asyncio
async def test_failed_login_is_401_and_audited(client: httpx.AsyncClient, app: Any) -> None:
    for username in ("operator", "nobody"):
        resp = await client.post(
            "/api/auth/login", json={"username": username, "password": "wrong-password"}
        )
        assert resp.status_code == 401
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert resp.json()["detail"] == "wrong user name or password"
    rows = await audit_rows(app, "auth.login")
    assert {(r.actor, r.outcome) for r in rows} == {("operator", "failure"), ("nobody", "failure")}


@pytest.mark.asyncio
async def test_csrf_required_for_cookie_sessions(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    token = client.headers.pop("X-CSRF-Token")
    body = {"code": "new-unit", "name": "新单位", "parent_id": 1}
    r = await client.post("/api/units", json=body)
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = await client.post("/api/units", json=body, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    rows = await audit_rows(app, "csrf.rejected")
    assert len(rows) == 2 and rows[0].outcome == "denied"
    r = await client.post("/api/units", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 201


@pytest.mark.asyncio
async def test_invalid_session_and_logout(client: httpx.AsyncClient) -> None:
    client.cookies.set("eoc_session", "forged-value")
    assert (await client.get("/api/auth/session")).status_code == 401
    client.cookies.clear()
    await login(client, "viewer")
    assert (await client.get("/api/auth/session")).status_code == 200
    assert (await client.post("/api/auth/logout")).status_code == 204
    assert (await client.get("/api/auth/session")).status_code == 401


@pytest.mark.asyncio
async def test_expired_session_is_401(client: httpx.AsyncClient, app: Any) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from console.store.models import Session, utcnow

    await login(client, "viewer")
    async with app.state.services.store.session() as db:
        await db.execute(update(Session).values(expires_at=utcnow() - timedelta(seconds=1)))
        await db.commit()
    assert (await client.get("/api/auth/session")).status_code == 401


@pytest.mark.asyncio
async def test_bearer_tokens_create_use_revoke(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    r = await client.post("/api/tokens", json={"name": "prometheus", "user_id": 4})
    assert r.status_code == 201, r.text
    secret = r.json()["token"]
    token_id = r.json()["id"]
    listed = (await client.get("/api/tokens")).json()["items"]
    assert listed[0]["name"] == "prometheus" and "token" not in listed[0]
    api = await new_client(app)
    try:
        api.headers["Authorization"] = f"Bearer {secret}"
        metrics = await api.get("/metrics")
        assert metrics.status_code == 200 and "eoc_http_requests_total" in metrics.text
        # Bearer clients need no CSRF header; maintenance may not manage tokens.
        assert (await api.post("/api/tokens", json={"name": "x"})).status_code == 403
        assert (await client.delete(f"/api/tokens/{token_id}")).status_code == 204
        assert (await api.get("/metrics")).status_code == 401
        api.headers["Authorization"] = "Bearer eoc_not-a-token"
        assert (await api.get("/metrics")).status_code == 401
        api.headers["Authorization"] = "Basic abc"
        assert (await api.get("/metrics")).status_code == 401
    finally:
        await api.aclose()
    actions = [r.action for r in await audit_rows(app, "token.revoke")]
    assert actions == ["token.revoke"]


@pytest.mark.asyncio
async def test_expired_token_is_401(client: httpx.AsyncClient, app: Any) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from console.store.models import ApiToken, utcnow

    await login(client, "admin")
    secret = (await client.post("/api/tokens", json={"name": "short", "expires_days": 1})).json()[
        "token"
    ]
    async with app.state.services.store.session() as db:
        await db.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        await db.commit()
    r = await client.get("/api/auth/session", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 401
