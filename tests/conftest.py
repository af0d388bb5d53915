"""Shared fixtures: settings on a temp data dir, the app in-process, PostgreSQL databases."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from console.app import create_app
from console.demo import DEMO_PASSWORD, seed_demo
from console.services import Services
from console.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("EOC_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
NATS_URL = os.environ.get("EOC_TEST_NATS_URL", "nats://127.0.0.1:4222")

pytest_plugins = ["tests.peers.fixtures", "tests.peers.stun"]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_settings(data_dir: Path, **kw: Any) -> Settings:
    """Settings for a test: its own data dir; cameras are not watched unless asked."""
    kw.setdefault("streams", {"watch": False})
    return load_settings(data_dir=data_dir, **kw)


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_available() -> bool:
    try:
        asyncio.run(_pg_admin("SELECT 1"))
    except Exception:
        return False
    return True


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The PostgreSQL admin URL; skipped only outside CI when the server is absent."""
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but {PG_ADMIN_URL} is unreachable")
        pytest.skip("PostgreSQL not reachable (set CI=1 to make this a failure)")
    return PG_ADMIN_URL


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"eoc_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    base = pg_server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    yield f"{base}/{name}"
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _nats_check(url: str) -> bool:
    import nats

    try:
        nc = await nats.connect(url, connect_timeout=2, allow_reconnect=False)
    except Exception:
        return False
    try:
        await nc.jetstream().account_info()
    except Exception:
        return False
    finally:
        await nc.close()
    return True


@pytest.fixture(scope="session")
def nats_server() -> str:
    """The shared NATS JetStream URL; skipped only outside CI when the server is absent."""
    if not asyncio.run(_nats_check(NATS_URL)):
        if os.environ.get("CI"):
            pytest.fail(f"NATS JetStream is required in CI but {NATS_URL} is unreachable")
        pytest.skip("NATS JetStream not reachable (set CI=1 to make this a failure)")
    return NATS_URL


async def _drop_streams(url: str, prefix: str) -> None:
    import nats

    nc = await nats.connect(url, connect_timeout=2, allow_reconnect=False)
    try:
        js = nc.jetstream()
        for info in await js.streams_info():
            if info.config.name and info.config.name.startswith(f"{prefix}_"):
                await js.delete_stream(info.config.name)
    finally:
        await nc.close()


@pytest.fixture
def nats_prefix(nats_server: str) -> Iterator[str]:
    """A stream prefix of this test's own on the shared NATS; its streams are deleted after."""
    prefix = f"T{uuid.uuid4().hex[:10].upper()}"
    yield prefix
    asyncio.run(_drop_streams(nats_server, prefix))


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the demo units and users, made once and copied per test."""
    path = tmp_path_factory.mktemp("demo-template")

    async def go() -> None:
        services = Services.build(make_settings(path))
        await services.store.upgrade()
        await seed_demo(services, [])
        await services.store.close()

    asyncio.run(go())
    return path


@pytest.fixture
def data_dir(tmp_path: Path, demo_template: Path) -> Path:
    """A per-test copy of the demo data dir."""
    target = tmp_path / "data"
    shutil.copytree(demo_template, target)
    return target


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """Settings on the per-test demo data dir (SQLite)."""
    return make_settings(data_dir)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    """The app with its lifespan running."""
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process HTTP client."""
    transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def login(client: httpx.AsyncClient, username: str, password: str = DEMO_PASSWORD) -> str:
    """Sign in; return the CSRF token (the cookie stays in the client)."""
    resp = await client.post("/api/auth/login", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    token: str = resp.json()["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    return token


async def new_client(
    app: Any, username: str | None = None, ip: str = "10.0.0.2", password: str = DEMO_PASSWORD
) -> httpx.AsyncClient:
    """Another in-process client, signed in as `username` when given."""
    transport = httpx.ASGITransport(app=app, client=(ip, 4321))
    c = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    if username:
        await login(c, username, password)
    return c
