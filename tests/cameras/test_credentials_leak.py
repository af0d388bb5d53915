"""A unique password in every URL shape, through create, PATCH, CSV and GeoJSON import, never
comes back: not in responses, exports, /ws events, audit rows nor the server log; and the
watcher really connects with it."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import re
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import uvicorn
import websockets
from asgi_lifespan import LifespanManager
from sqlalchemy import select

from console.app import create_app
from console.cameras.models import Camera
from console.store.models import AuditEntry
from tests.conftest import free_port, make_settings

pytestmark = pytest.mark.slow

# Passwords with the characters that break naive parsing and masking.
SPECIALS = ["#", "?", "/", "@", "%", "#?/@%"]
QUERY_NAMES = ["pw", "psw", "p", "password", "pwd", "passwd", "pass", "loginpas"]


def _pw(tag: str, special: str = "") -> str:
    return f"Lk{tag}{special}{secrets.token_hex(4)}Z"


def shapes(port: int, tag: str) -> list[tuple[str, str, str]]:
    """(name, url, planted secret) for every shape; the user name is planted too."""
    host = f"127.0.0.1:{port}"
    out: list[tuple[str, str, str]] = []
    for i, sp in enumerate(SPECIALS):
        pw = _pw(f"{tag}u{i}", sp)
        out.append((f"userinfo{sp!r}", f"rtsp://admin:{pw}@{host}/live", pw))
    pw = _pw(f"{tag}e", "#@")
    out.append(("userinfo-encoded", f"rtsp://admin:{quote(pw, safe='')}@{host}/live", pw))
    for name in QUERY_NAMES:
        pw = _pw(f"{tag}{name}", "#?/@%")
        out.append((f"query-{name}", f"http://{host}/snap.cgi?user=admin&{name}={pw}&ch=1", pw))
    pw = _pw(f"{tag}semi", "?/@")
    out.append(("semicolon", f"rtsp://{host}/live;user=admin;password={pw}", pw))
    pw = _pw(f"{tag}path")
    out.append(("path", f"rtsp://{host}/user=admin&password={pw}&channel=1&stream=0.sdp", pw))
    user = _pw(f"{tag}user")
    out.append(("username", f"http://{host}/snap.cgi?username={user}&pwd=x{user}", user))
    return out


def forms(secret: str) -> list[str]:
    """The secret as typed, percent-encoded, and with only URL-breaking characters escaped
    (how it goes back into the URL to connect)."""

    def esc(chars: str) -> str:
        return re.sub(f"[{re.escape(chars)}]", lambda m: quote(m.group(), safe=""), secret)

    return [secret, quote(secret, safe=""), quote(secret), esc("@/?#"), esc("&;#")]


@pytest.fixture
async def served(data_dir: Path) -> AsyncIterator[tuple[str, Any]]:
    """The full app (cameras watched) under uvicorn in this loop."""
    settings = make_settings(
        data_dir, streams={"watch": True, "open_timeout_s": 1.0, "offline_after_s": 2.0}
    )
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="info", lifespan="off")
    )
    async with LifespanManager(app):
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        try:
            yield f"127.0.0.1:{port}", app
        finally:
            server.should_exit = True
            await task


@pytest.mark.asyncio
async def test_planted_passwords_never_leave(
    served: tuple[str, Any], caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    base, app = served
    closed = free_port()  # nothing listens: every watcher keeps failing and retrying
    seen: list[str] = []  # every text the server sent back
    events: list[str] = []
    async with httpx.AsyncClient(base_url=f"http://{base}", timeout=30) as c:
        r = await c.post(
            "/api/auth/login", json={"username": "admin", "password": "demo-pass-2026"}
        )
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        cookie = f"eoc_session={c.cookies['eoc_session']}"
        ws = await websockets.connect(f"ws://{base}/ws", additional_headers={"Cookie": cookie})

        async def listen() -> None:
            async for msg in ws:
                events.append(str(msg))

        listener = asyncio.create_task(listen())
        units = {u["code"]: u["id"] for u in (await c.get("/api/units")).json()["items"]}
        owner = units["psb"]
        planted: list[tuple[str, str, str]] = []  # (camera id, shape, secret)

        async def send(method: str, url: str, **kw: Any) -> httpx.Response:
            resp = await c.request(method, url, **kw)
            seen.append(resp.text)
            return resp

        for i, (shape, url, secret) in enumerate(shapes(closed, "c")):
            cid = f"leak-c{i}"
            r = await send(
                "POST",
                "/api/cameras",
                json={"id": cid, "name": cid, "owner_unit_id": owner, "main_url": url},
            )
            assert r.status_code == 201, (shape, r.text)
            assert r.json()["has_credentials"] is True
            planted.append((cid, shape, secret))
        for i, (shape, url, secret) in enumerate(shapes(closed, "p")):
            cid = f"leak-p{i}"
            clean = f"rtsp://127.0.0.1:{closed}/clean"
            body = {"id": cid, "name": cid, "owner_unit_id": owner, "main_url": clean}
            assert (await send("POST", "/api/cameras", json=body)).status_code == 201
            r = await send("PATCH", f"/api/cameras/{cid}", json={"main_url": url})
            assert r.status_code == 200, (shape, r.text)
            planted.append((cid, shape, secret))
        rows = shapes(closed, "v")
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["id", "name", "owner_unit", "main_url"])
        for i, (shape, url, secret) in enumerate(rows):
            w.writerow([f"leak-v{i}", f"csv {i}", "psb", url])
            planted.append((f"leak-v{i}", shape, secret))
        r = await send(
            "POST", "/api/cameras/import", params={"format": "csv"}, content=buf.getvalue()
        )
        assert r.status_code == 200 and r.json()["created"] == len(rows), r.text
        rows = shapes(closed, "g")
        fc = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": f"leak-g{i}",
                    "geometry": {"type": "Point", "coordinates": [113.3, 23.1]},
                    "properties": {"name": f"geo {i}", "owner_unit": "psb", "main_url": url},
                }
                for i, (_s, url, _p) in enumerate(rows)
            ],
        }
        planted += [(f"leak-g{i}", shape, secret) for i, (shape, _u, secret) in enumerate(rows)]
        r = await send(
            "POST", "/api/cameras/import", params={"format": "geojson"}, content=json.dumps(fc)
        )
        assert r.status_code == 200, r.text
        # Bad URLs carrying a password: the refusal names the field, never the URL.
        for i, bad in enumerate(
            ["rtsp://admin:{}@bad host/x", "ftp://admin:{}@h.example/x", "rtsp://admin:{}@/x"]
        ):
            secret = _pw(f"bad{i}", "#?")
            r = await send(
                "POST",
                "/api/cameras",
                json={
                    "id": f"leak-bad{i}",
                    "name": "bad",
                    "owner_unit_id": owner,
                    "main_url": bad.format(secret),
                },
            )
            assert r.status_code == 422 and "main_url" in r.text, r.text
            planted.append((f"leak-bad{i}", "bad", secret))
        # Let every watcher fail and retry a few times (the old log printed the URL each time).
        await asyncio.sleep(6)
        for path in (
            "/api/cameras?limit=5000",
            "/api/cameras/export.csv",
            "/api/cameras/export.geojson",
            "/api/gis/cameras.geojson",
            "/api/health/cameras",
            "/api/audit?limit=1000",
            "/api/audit.csv",
        ):
            r = await send("GET", path)
            assert r.status_code == 200, (path, r.text)
        for cid, _shape, _secret in planted[:5]:
            await send("GET", f"/api/cameras/{cid}")
            await send("GET", f"/api/health/cameras/{cid}")
        await asyncio.sleep(0.5)
        listener.cancel()
        await ws.close()
    await app.state.services.audit.flush()
    async with app.state.services.store.session() as db:
        audit = [json.dumps(a.detail) + a.target_id for a in await db.scalars(select(AuditEntry))]
        stored = {c.id: c for c in await db.scalars(select(Camera))}
    out, err = capfd.readouterr()
    haystacks = {
        "responses": "\n".join(seen),
        "events": "\n".join(events),
        "audit rows": "\n".join(audit),
        "server log": "\n".join(r.getMessage() for r in caplog.records) + caplog.text,
        "stdout/stderr": out + err,
        "stored masked URLs": "\n".join(
            f"{c.main_url_masked} {c.sub_url_masked}" for c in stored.values()
        ),
    }
    assert len(events) > len(planted) / 2, "the /ws listener saw the camera events"
    leaks = [
        (where, cid, shape)
        for cid, shape, secret in planted
        for where, text in haystacks.items()
        if any(f in text for f in forms(secret))
    ]
    assert not leaks, leaks
    # Still usable: the watchers got the credentials back to connect with.
    watching = app.state.services.extensions["camera_watching"]
    hubs = 0
    for cid, shape, secret in planted:
        if shape == "bad":
            continue
        hub = watching.registry.get(cid)
        assert hub is not None, cid
        assert any(f in hub.src.url for f in forms(secret)), (cid, shape)
        hubs += 1
    assert hubs >= 60
