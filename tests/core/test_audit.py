"""Audit log queries, CSV export, and that no API can change it."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from tests.conftest import login, new_client


@pytest.mark.asyncio
async def test_filters_paging_and_csv(client: httpx.AsyncClient, app: Any) -> None:
    bad = await new_client(app, ip="10.7.7.7")
    for _ in range(3):
        await bad.post("/api/auth/login", json={"username": "operator", "password": "wrong-wrong"})
    await bad.aclose()
    await login(client, "admin")
    r = await client.get("/api/audit", params={"outcome": "failure", "action": "auth.login"})
    items = r.json()["items"]
    assert len(items) == 3 and all(
        i["ip"] == "10.7.7.7" and i["actor"] == "operator" for i in items
    )
    page = await client.get("/api/audit", params={"limit": 2})
    first = page.json()
    assert len(first["items"]) == 2 and first["next_before_id"] == first["items"][-1]["id"]
    nxt = await client.get("/api/audit", params={"limit": 2, "before_id": first["next_before_id"]})
    assert all(i["id"] < first["next_before_id"] for i in nxt.json()["items"])
    r = await client.get("/api/audit", params={"since": "2000-01-01T00:00:00Z", "actor": "admin"})
    assert [i["action"] for i in r.json()["items"]] == ["auth.login"]
    r = await client.get("/api/audit", params={"outcome": "maybe"})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "query.outcome"
    r = await client.get("/api/audit", params={"limit": 0})
    assert r.status_code == 422
    export = await client.get("/api/audit.csv", params={"outcome": "failure"})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert len(rows) == 3 and {r["actor"] for r in rows} == {"operator"}


@pytest.mark.asyncio
async def test_no_route_changes_audit_rows(client: httpx.AsyncClient, app: Any) -> None:
    spec = app.openapi()["paths"]
    for path, ops in spec.items():
        if "audit" in path:
            assert set(ops) == {"get"}, path
    await login(client, "admin")
    for method in ("DELETE", "PATCH", "PUT"):
        r = await client.request(method, "/api/audit")
        assert r.status_code == 405
