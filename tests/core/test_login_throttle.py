"""Login throttling slows an attacker without locking the real user out; proxies are trusted
only when configured."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select

from console.app import create_app
from console.store.models import AuditEntry
from tests.conftest import make_settings, new_client

GOOD = {"username": "viewer", "password": "demo-pass-2026"}
BAD = {"username": "viewer", "password": "nope-nope"}


class Clock:
    """The throttle's clock, moved by the test instead of waited for."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app: Any) -> Clock:
    c = Clock()
    app.state.services.throttle._clock = c
    return c


async def logins(app: Any) -> list[AuditEntry]:
    await app.state.services.audit.flush()
    async with app.state.services.store.session() as db:
        q = select(AuditEntry).where(AuditEntry.action == "auth.login")
        return list(await db.scalars(q.order_by(AuditEntry.id)))


@pytest.mark.asyncio
async def test_each_failure_past_the_free_ones_waits_longer(app: Any, clock: Clock) -> None:
    sec = app.state.services.settings.security
    free = sec.login_failures_per_account
    # Each try from a new address: only the account's count matters here.
    clients = [await new_client(app, ip=f"10.1.0.{i}") for i in range(free + 8)]
    try:
        for c in clients[:free]:
            assert (await c.post("/api/auth/login", json=BAD)).status_code == 401
        waits = []
        for c in clients[free : free + 6]:
            r = await c.post("/api/auth/login", json=GOOD)  # even the right password waits
            assert r.status_code == 429
            wait = int(r.headers["retry-after"])
            assert r.json()["retry_after"] == wait
            waits.append(wait)
            clock.now += wait
            assert (await c.post("/api/auth/login", json=BAD)).status_code == 401
        assert waits == [1, 2, 4, 8, 16, 32]
        # Never locked: at the ceiling the real password goes through after the wait.
        r = await clients[-1].post("/api/auth/login", json=GOOD)
        assert r.status_code == 429 and int(r.headers["retry-after"]) <= sec.login_max_delay_seconds
        clock.now += int(r.headers["retry-after"])
        assert (await clients[-1].post("/api/auth/login", json=GOOD)).status_code == 200
        # Success forgets the account's failures.
        assert (await clients[-2].post("/api/auth/login", json=BAD)).status_code == 401
    finally:
        for c in clients:
            await c.aclose()
    denied = [r for r in await logins(app) if r.outcome == "denied"]
    assert denied and all(r.actor == "viewer" for r in denied)


@pytest.mark.asyncio
async def test_an_attack_does_not_slow_the_users_own_browser(app: Any, clock: Clock) -> None:
    browser = await new_client(app, ip="10.2.0.1")
    attacker = [await new_client(app, ip=f"10.2.1.{i}") for i in range(40)]
    try:
        assert (await browser.post("/api/auth/login", json=GOOD)).status_code == 200
        assert "eoc_device" in browser.cookies
        await browser.post("/api/auth/logout", headers={"X-CSRF-Token": ""})
        answers = [(await c.post("/api/auth/login", json=BAD)).status_code for c in attacker]
        assert answers.count(401) == app.state.services.settings.security.login_failures_per_account
        assert set(answers[answers.count(401) :]) == {429}
        # The account is being attacked; its user's browser signs in at once all the same.
        assert (await browser.post("/api/auth/login", json=GOOD)).status_code == 200
        # A browser that never signed in to the account waits like the attacker (not forever).
        stranger = await new_client(app, ip="10.2.0.2")
        r = await stranger.post("/api/auth/login", json=GOOD)
        assert r.status_code == 429
        await stranger.aclose()
        # A device cookie for another account, or a forged one, is no way around it.
        forged = await new_client(app, ip="10.2.0.3")
        forged.cookies.set("eoc_device", browser.cookies["eoc_device"][:-2] + "00")
        assert (await forged.post("/api/auth/login", json=GOOD)).status_code == 429
        await forged.aclose()
    finally:
        await browser.aclose()
        for c in attacker:
            await c.aclose()


@pytest.mark.asyncio
async def test_a_burst_gets_no_more_guesses_than_the_free_ones(app: Any, clock: Clock) -> None:
    free = app.state.services.settings.security.login_failures_per_account
    clients = [await new_client(app, ip=f"10.4.0.{i}") for i in range(30)]
    try:
        answers = await asyncio.gather(*(c.post("/api/auth/login", json=BAD) for c in clients))
    finally:
        for c in clients:
            await c.aclose()
    codes = sorted(r.status_code for r in answers)
    assert codes.count(401) == free and codes.count(429) == 30 - free
    checked = [r for r in await logins(app) if r.outcome == "failure"]
    assert len(checked) == free  # passwords actually verified


@pytest.mark.asyncio
async def test_per_address_delay(app: Any, clock: Clock) -> None:
    free = app.state.services.settings.security.login_failures_per_address
    c = await new_client(app, ip="10.9.9.9")
    other = await new_client(app, ip="10.9.9.8")
    try:
        for i in range(free):
            r = await c.post("/api/auth/login", json={"username": f"guess{i}", "password": "x-x"})
            assert r.status_code == 401
        r = await c.post(
            "/api/auth/login", json={"username": "admin", "password": "demo-pass-2026"}
        )
        assert r.status_code == 429
        r = await other.post(
            "/api/auth/login", json={"username": "admin", "password": "demo-pass-2026"}
        )
        assert r.status_code == 200
    finally:
        await c.aclose()
        await other.aclose()


@pytest.fixture
async def proxied(data_dir: Path) -> AsyncIterator[Any]:
    """The app behind a reverse proxy at 10.0.0.1 (and a second one at 10.0.0.7)."""
    settings = make_settings(data_dir, security={"trusted_proxies": ["10.0.0.1", "10.0.0.7/32"]})
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


async def attempt(app: Any, peer: str, forwarded: str | None, username: str = "viewer") -> str:
    """A failed login from `peer` carrying X-Forwarded-For; the address the audit recorded."""
    c = await new_client(app, ip=peer)
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    try:
        r = await c.post(
            "/api/auth/login", json={"username": username, "password": "x-x"}, headers=headers
        )
        assert r.status_code in (401, 429)
    finally:
        await c.aclose()
    return (await logins(app))[-1].ip


@pytest.mark.asyncio
async def test_forwarded_for_is_believed_only_from_trusted_proxies(proxied: Any) -> None:
    assert await attempt(proxied, "10.0.0.1", "203.0.113.9") == "203.0.113.9"
    # A client cannot choose its address: the proxy appends the real one on the right.
    assert await attempt(proxied, "10.0.0.1", "6.6.6.6, 203.0.113.10") == "203.0.113.10"
    # Proxies in the chain are skipped.
    assert await attempt(proxied, "10.0.0.1", "203.0.113.11, 10.0.0.7") == "203.0.113.11"
    # From anyone else the header is ignored.
    assert await attempt(proxied, "10.0.0.2", "203.0.113.12") == "10.0.0.2"
    # Garbage in the header: the proxy's own address, nothing made up.
    assert await attempt(proxied, "10.0.0.1", "not-an-ip") == "10.0.0.1"
    assert await attempt(proxied, "10.0.0.1", None) == "10.0.0.1"


@pytest.mark.asyncio
async def test_clients_behind_a_proxy_are_throttled_one_by_one(proxied: Any) -> None:
    proxied.state.services.throttle._clock = Clock()  # a slow machine lets no wait run out
    free = proxied.state.services.settings.security.login_failures_per_address
    for i in range(free + 2):
        await attempt(proxied, "10.0.0.1", "203.0.113.50", f"guess{i}")
        await attempt(proxied, "10.0.0.1", f"203.0.113.{100 + i}", f"other{i}")
    c = await new_client(proxied, ip="10.0.0.1")
    try:
        slowed = await c.post(
            "/api/auth/login",
            json={"username": "admin", "password": "demo-pass-2026"},
            headers={"X-Forwarded-For": "203.0.113.50"},
        )
        fine = await c.post(
            "/api/auth/login",
            json={"username": "admin", "password": "demo-pass-2026"},
            headers={"X-Forwarded-For": "203.0.113.51"},
        )
    finally:
        await c.aclose()
    assert slowed.status_code == 429 and fine.status_code == 200


def test_trusted_proxies_setting_names_the_bad_entry(data_dir: Path) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as info:
        make_settings(data_dir, security={"trusted_proxies": ["10.0.0.1", "proxy.local"]})
    assert "trusted_proxies" in str(info.value) and "proxy.local" in str(info.value)
