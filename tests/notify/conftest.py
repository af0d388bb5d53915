"""Fixtures: the app with quick retries, an HTTP receiver, admin clients, channel helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from console.app import create_app
from console.notify.dispatcher import Dispatcher
from console.settings import Settings
from tests.conftest import login, make_settings
from tests.notify.peers import Receiver

# Fast retries so tests wait fractions of a second; the jitter stays on.
QUICK = {
    "backoff_initial_s": 0.05,
    "backoff_max_s": 0.4,
    "request_timeout_s": 1.0,
    "max_attempts": 4,
    "public_url": "https://eoc.example.gov.cn",
}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP server on 127.0.0.1 recording every POST."""
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """Demo data dir settings with quick notification retries."""
    return make_settings(data_dir, notify=QUICK)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    """The app with its lifespan running."""
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def admin(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The district admin, signed in."""
    transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        await login(c, "admin")
        yield c


def dispatcher(app: Any) -> Dispatcher:
    """The app's running dispatcher."""
    found = app.state.services.extensions["notify"]
    assert isinstance(found, Dispatcher)
    return found


async def make_channel(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    """Create a channel (201) and return it."""
    body.setdefault("name", f"{body['kind']} channel")
    body.setdefault("unit_id", 1)
    r = await client.post("/api/notify/channels", json=body)
    assert r.status_code == 201, r.text
    answer: dict[str, Any] = r.json()
    return answer


async def make_rule(client: httpx.AsyncClient, channel_id: int, **body: Any) -> dict[str, Any]:
    """Add a rule (201) and return it."""
    body.setdefault("name", "rule")
    body.setdefault("min_severity", "info")
    r = await client.post("/api/notify/rules", json={"channel_id": channel_id, **body})
    assert r.status_code == 201, r.text
    answer: dict[str, Any] = r.json()
    return answer


async def deliveries(client: httpx.AsyncClient, **query: Any) -> list[dict[str, Any]]:
    """The delivery log (newest first)."""
    r = await client.get("/api/notify/deliveries", params={"limit": 500, **query})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items
