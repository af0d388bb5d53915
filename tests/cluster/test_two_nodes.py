"""Two real `eoc serve` nodes on one PostgreSQL database and NATS JetStream."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from console.demo import DEMO_PASSWORD
from tests.conftest import REPO, free_port

pytestmark = [pytest.mark.slow, pytest.mark.nats, pytest.mark.postgres]
SECRET = "two-nodes-test-secret-0123456789-abcdefghijkl"
START_S = 180.0


class Node:
    """One `eoc serve` process with its own data dir and log."""

    def __init__(self, name: str, env: dict[str, str], tmp: Path) -> None:
        self.name, self.port = name, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}/ws"
        self.log = tmp / f"{name}.log"
        self.env = {
            **env,
            "EOC_DATA_DIR": str(tmp / name),
            "EOC_CLUSTER__NODE_NAME": name,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start serving (returns at once)."""
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "console", "serve", "--port", str(self.port)],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self) -> None:
        """Wait until /healthz answers with the bus connected (or the process dies)."""
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"node {self.name} exited:\n{self.log.read_text()}")
            try:
                resp = httpx.get(f"{self.url}/healthz", timeout=2)
                if resp.status_code == 200 and resp.json()["bus"] == "ok":
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"node {self.name} not ready:\n{self.log.read_text()}")

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def cli(env: dict[str, str], *args: str) -> None:
    """Run an `eoc` command against the cluster's database and bus."""
    result = subprocess.run(
        [sys.executable, "-m", "console", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def cluster_env(tmp_path: Path, pg_url: str, nats_server: str, nats_prefix: str) -> dict[str, str]:
    """Environment of every node and CLI call of this cluster."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EOC_")}
    env.update(
        {
            "EOC_DATABASE_URL": pg_url,
            "EOC_SECRET_KEY": SECRET,
            "EOC_CLUSTER__BUS": "nats",
            "EOC_CLUSTER__NATS_URL": nats_server,
            "EOC_CLUSTER__STREAM_PREFIX": nats_prefix,
            "EOC_STREAMS__WATCH": "false",
            "EOC_SERVER__LOG_LEVEL": "info",
            "EOC_DATA_DIR": str(tmp_path / "cli"),
            "EOC_NEW_PASSWORD": DEMO_PASSWORD,
        }
    )
    return env


@pytest.fixture
def two_nodes(cluster_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    """Nodes a and b, started together on an empty database."""
    a, b = Node("a", cluster_env, tmp_path), Node("b", cluster_env, tmp_path)
    try:
        a.start()
        b.start()
        a.wait_ready()
        b.wait_ready()
        yield a, b
    finally:
        a.stop()
        b.stop()


async def login(node: Node, username: str) -> httpx.AsyncClient:
    """A client of `node` signed in as `username`."""
    client = httpx.AsyncClient(base_url=node.url, timeout=30)
    resp = await client.post(
        "/api/auth/login", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert resp.status_code == 200, resp.text
    client.headers["X-CSRF-Token"] = resp.json()["csrf_token"]
    return client


def cookie_of(client: httpx.AsyncClient) -> str:
    """The Cookie header carrying a client's session."""
    return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


async def next_of(
    ws: Any, type_: str, timeout: float = 30, into: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The next message of a type (others skipped, or kept in `into`)."""
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if into is not None:
            into.append(msg)
        if msg["type"] == type_:
            return msg  # type: ignore[no-any-return]


async def drain(ws: Any, quiet: float = 1.5) -> list[dict[str, Any]]:
    """Every message until the socket stays quiet for `quiet` seconds."""
    out = []
    while True:
        try:
            out.append(json.loads(await asyncio.wait_for(ws.recv(), quiet)))
        except TimeoutError:
            return out


async def test_two_nodes_share_events_sessions_and_caches(
    two_nodes: tuple[Node, Node], cluster_env: dict[str, str]
) -> None:
    a, b = two_nodes
    # Started together on an empty database: one of them migrated, the other found it done.
    logs = a.log.read_text() + b.log.read_text()
    assert logs.count("database migrated from empty") == 1, logs
    cli(cluster_env, "unit", "add", "district", "示范区", "--kind", "district")
    cli(cluster_env, "unit", "add", "psb", "公安分局", "--kind", "police", "--parent", "district")
    cli(cluster_env, "user", "add", "admin", "--unit", "district", "--role", "admin")
    cli(cluster_env, "user", "add", "viewer", "--unit", "psb", "--role", "viewer")

    admin_a = await login(a, "admin")
    viewer_b = await login(b, "viewer")
    try:
        # A session made on node a works on node b.
        async with httpx.AsyncClient(base_url=b.url, cookies=admin_a.cookies, timeout=30) as on_b:
            on_b.headers["X-CSRF-Token"] = admin_a.headers["X-CSRF-Token"]
            me = (await on_b.get("/api/auth/session")).json()
            assert me["user"]["username"] == "admin"
            units = {u["code"]: u for u in (await on_b.get("/api/units")).json()["items"]}

            hdr_admin = {"Cookie": cookie_of(admin_a)}
            hdr_viewer = {"Cookie": cookie_of(viewer_b)}
            async with (
                websockets.connect(a.ws, additional_headers=hdr_admin) as ws_a,
                websockets.connect(b.ws, additional_headers=hdr_admin) as ws_b,
                websockets.connect(b.ws, additional_headers=hdr_viewer) as ws_viewer,
            ):
                for ws in (ws_a, ws_b, ws_viewer):
                    await next_of(ws, "hello")
                # A unit created on node a: node b's clients hear of it, and by then node b's
                # unit tree has it (the admin's scope there covers the new unit).
                created = await admin_a.post(
                    "/api/units",
                    json={"code": "east", "name": "东片区", "parent_id": units["district"]["id"]},
                )
                assert created.status_code == 201, created.text
                east = created.json()
                on_a = await next_of(ws_a, "unit.created")
                on_b_seen: list[dict[str, Any]] = []
                on_b_msg = await next_of(ws_b, "unit.created", into=on_b_seen)
                assert on_a["id"] == on_b_msg["id"] and on_b_msg["data"]["code"] == "east"
                renamed = await on_b.patch(f"/api/units/{east['id']}", json={"name": "东片区二"})
                assert renamed.status_code == 200, renamed.text
                # Audience: the admin on b sees a's audit trail; the viewer sees units only.
                on_b_seen += await drain(ws_b)
                actions = [m["data"]["action"] for m in on_b_seen if m["type"] == "audit.appended"]
                assert "unit.create" in actions and "unit.update" in actions
                seen = await drain(ws_viewer)
                types = {m["type"] for m in seen}
                assert {"unit.created", "unit.updated"} <= types
                assert "audit.appended" not in types
                last_seen_on_a = on_a["id"]

            # Resume on node b with an id from node a: everything after it, nothing before.
            west = await admin_a.post(
                "/api/units",
                json={"code": "west", "name": "西片区", "parent_id": units["district"]["id"]},
            )
            assert west.status_code == 201
            async with websockets.connect(
                f"{b.ws}?since={last_seen_on_a}", additional_headers=hdr_admin
            ) as ws:
                hello = await next_of(ws, "hello")
                assert hello["data"]["resumed"] is True and hello["id"] >= last_seen_on_a
                replay = [m for m in await drain(ws) if m["type"] not in {"hello", "pong"}]
            assert "resync" not in {m["type"] for m in replay}
            ids = [m["id"] for m in replay]
            assert ids == sorted(set(ids)) and min(ids) > last_seen_on_a
            codes = [(m["type"], m["data"].get("code")) for m in replay]
            assert ("unit.updated", "east") in codes and ("unit.created", "west") in codes
            assert ("unit.created", "east") not in codes

            # Logging out on node a ends the session on node b.
            assert (await admin_a.post("/api/auth/logout")).status_code == 204
            assert (await on_b.get("/api/auth/session")).status_code == 401
    finally:
        await admin_a.aclose()
        await viewer_b.aclose()
