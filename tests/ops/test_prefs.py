"""Per-user preferences: own only, replace, forget, and bad keys and values refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import login, new_client

LAYOUT = {"desk": {"col": 0.64, "row": 0.7, "side": 0.5, "tiles": 4}}


@pytest.mark.asyncio
async def test_each_user_keeps_their_own(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "operator")
    assert (await client.get("/api/me/preferences/ops.layout")).status_code == 404
    r = await client.put("/api/me/preferences/ops.layout", json={"value": LAYOUT})
    assert r.status_code == 200 and r.json()["value"] == LAYOUT
    layout2 = {"desk": {**LAYOUT["desk"], "col": 0.5}}
    r = await client.put("/api/me/preferences/ops.layout", json={"value": layout2})
    assert r.json()["value"] == layout2
    await client.put("/api/me/preferences/ops.pins", json={"value": ["YX-0001"]})
    everything = (await client.get("/api/me/preferences")).json()["items"]
    assert everything == {"ops.layout": layout2, "ops.pins": ["YX-0001"]}

    other = await new_client(app, "admin")
    try:
        assert (await other.get("/api/me/preferences/ops.layout")).status_code == 404
        assert (await other.get("/api/me/preferences")).json()["items"] == {}
        await other.put("/api/me/preferences/ops.layout", json={"value": {"wall": {}}})
    finally:
        await other.aclose()
    assert (await client.get("/api/me/preferences/ops.layout")).json()["value"] == layout2

    assert (await client.delete("/api/me/preferences/ops.layout")).status_code == 204
    assert (await client.get("/api/me/preferences/ops.layout")).status_code == 404
    assert (await client.delete("/api/me/preferences/ops.layout")).status_code == 204


@pytest.mark.asyncio
async def test_bad_keys_and_values(client: httpx.AsyncClient) -> None:
    await login(client, "viewer")
    for key in ("Upper", "1st", "a" * 65, "sp ace", "x%2Fy"):
        r = await client.put(f"/api/me/preferences/{key}", json={"value": 1})
        assert r.status_code in (404, 405, 422), (key, r.status_code)
        if r.status_code == 422:
            assert r.json()["errors"][0]["loc"].startswith("path.key")
    r = await client.put("/api/me/preferences/ops.layout", json={"value": None})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "body.value"
    r = await client.put("/api/me/preferences/ops.layout", json={"value": "x" * 40000})
    assert r.status_code == 413 and r.json()["errors"][0]["type"] == "too_large"
    r = await client.put("/api/me/preferences/ops.layout", json={"val": 1})
    assert r.status_code == 422
    r = await client.put(
        "/api/me/preferences/ops.layout",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422
    # Nothing half-written by the refusals.
    assert (await client.get("/api/me/preferences")).json()["items"] == {}
    for i in range(100):
        r = await client.put(f"/api/me/preferences/k{i}", json={"value": i})
        assert r.status_code == 200
    r = await client.put("/api/me/preferences/k100", json={"value": 1})
    assert r.status_code == 409 and r.json()["errors"][0]["type"] == "too_many"
    assert (await client.put("/api/me/preferences/k5", json={"value": 55})).status_code == 200


@pytest.mark.asyncio
async def test_needs_a_session(app: Any) -> None:
    anon = await new_client(app)
    try:
        assert (await anon.get("/api/me/preferences")).status_code == 401
        r = await anon.put("/api/me/preferences/ops.layout", json={"value": 1})
        assert r.status_code == 401
    finally:
        await anon.aclose()
