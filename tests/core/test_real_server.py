"""`eoc serve` as a real process: HTTP, /ws events, and durability across kill -9."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from tests.conftest import free_port

pytestmark = pytest.mark.slow


class Server:
    """An `eoc serve` subprocess."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.env = {**os.environ, **(env or {})}
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / f"server-{self.port}.log"

    @property
    def base(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "console",
                "serve",
                "--data-dir",
                str(self.data_dir),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        # Generous: a loaded CI machine may take long to import and migrate.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"http://{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server did not start: {self.log.read_text()}")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def server(data_dir: Path) -> Iterator[Server]:
    srv = Server(data_dir)
    srv.start()
    yield srv
    srv.stop()


def test_login_ws_change_event(server: Server) -> None:
    async def go() -> None:
        async with httpx.AsyncClient(base_url=f"http://{server.base}") as c:
            r = await c.post(
                "/api/auth/login", json={"username": "admin", "password": "demo-pass-2026"}
            )
            assert r.status_code == 200
            csrf = r.json()["csrf_token"]
            cookie = f"eoc_session={c.cookies['eoc_session']}"
            assert (await c.get("/")).text.count("<html") == 1
            async with websockets.connect(
                f"ws://{server.base}/ws", additional_headers={"Cookie": cookie}
            ) as ws:
                assert json.loads(await ws.recv())["type"] == "hello"
                r = await c.post(
                    "/api/units",
                    json={"code": "live-unit", "name": "现场单位", "parent_id": 1},
                    headers={"X-CSRF-Token": csrf},
                )
                assert r.status_code == 201
                async with asyncio.timeout(10):
                    while True:
                        msg = json.loads(await ws.recv())
                        if msg["type"] == "unit.created":
                            assert msg["data"]["code"] == "live-unit" and msg["v"] == 1
                            break

    asyncio.run(go())


def test_second_server_on_same_data_dir_refused(server: Server) -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "console",
            "serve",
            "--data-dir",
            str(server.data_dir),
            "--port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 2 and "in use by another EOC server" in r.stderr
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "console",
            "serve",
            "--data-dir",
            str(server.data_dir.parent / "x"),
            "--port",
            str(server.port),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 2 and f"cannot listen on 127.0.0.1:{server.port}" in r.stderr


def _durability(srv: Server) -> None:
    srv.start()
    created: list[str] = []
    with httpx.Client(base_url=f"http://{srv.base}") as c:
        r = c.post("/api/auth/login", json={"username": "admin", "password": "demo-pass-2026"})
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        for i in range(20):
            name = f"durable-{i}"
            r = c.post(
                "/api/users",
                json={
                    "username": name,
                    "password": "durable-pass",
                    "unit_id": 2,
                    "roles": ["viewer"],
                },
            )
            assert r.status_code == 201
            created.append(name)
    srv.kill9()
    srv.start()
    try:
        with httpx.Client(base_url=f"http://{srv.base}") as c:
            r = c.post("/api/auth/login", json={"username": "admin", "password": "demo-pass-2026"})
            names = {u["username"] for u in c.get("/api/users").json()["items"]}
            assert set(created) <= names
            audit = c.get("/api/audit", params={"action": "user.create", "limit": 1000}).json()
            assert {i["detail"]["username"] for i in audit["items"]} >= set(created)
            r = c.post(
                "/api/auth/login", json={"username": created[-1], "password": "durable-pass"}
            )
            assert r.status_code == 200
    finally:
        srv.stop()


def test_durability_sqlite_kill9(data_dir: Path) -> None:
    _durability(Server(data_dir))


@pytest.mark.postgres
def test_durability_postgres_kill9(tmp_path: Path, pg_url: str) -> None:
    env = {"EOC_DATABASE_URL": pg_url}
    d = tmp_path / "pgdata"
    r = subprocess.run(
        [sys.executable, "-m", "console", "demo", "--data-dir", str(d), "--no-serve"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    _durability(Server(d, env))
