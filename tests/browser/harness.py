"""Helpers for the browser tests: a real `eoc` server process and chromium pages."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "demo-pass-2026"
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000
_PAGE_ERRORS: dict[int, list[str]] = {}


@dataclass
class Server:
    """A running console server process."""

    url: str
    port: int
    data_dir: Path
    log: Path
    proc: subprocess.Popen[bytes]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def eoc(*args: str) -> list[str]:
    """The `eoc` command of the running interpreter's environment."""
    script = Path(sys.executable).parent / "eoc"
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "console", *args]


def start(command: list[str], data_dir: Path, port: int, log: Path) -> Server:
    """Run a server command and wait until /healthz answers ok (fail with its log if not)."""
    env = {**os.environ, "NO_COLOR": "1"}
    with log.open("ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = Server(f"http://127.0.0.1:{port}", port, data_dir, log, proc)
    # A loaded 2-core machine can take a while to derive the demo footage and seed.
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2) as resp:
                if json.load(resp).get("status") == "ok":
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    stop(server)
    pytest.fail(f"server did not become healthy:\n{log.read_text()[-3000:]}")


def stop(server: Server) -> None:
    """Terminate the server process (kill it if it does not exit in time)."""
    server.proc.terminate()
    try:
        server.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(timeout=5)


def demo(tmp: Path) -> Server:
    """`eoc demo` on a fresh data dir under `tmp` and a free port."""
    port = free_port()
    data = tmp / "data"
    cmd = eoc("demo", "--data-dir", str(data), "--port", str(port), "--no-open")
    return start(cmd, data, port, tmp / "server.log")


def new_page(browser: Browser, locale: str) -> Page:
    """A page in a fresh context (own cookies and storage) that records uncaught JS errors."""
    context = browser.new_context(locale=locale, viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _PAGE_ERRORS[id(page)] = errors
    return page


def close(page: Page) -> None:
    """Close the page's context; fail if the page threw uncaught errors."""
    errors = _PAGE_ERRORS.pop(id(page), [])
    page.context.close()
    assert errors == [], f"uncaught errors in the page: {errors}"


def shot(page: Page, name: str) -> None:
    """Save a screenshot under test-artifacts/."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def login(page: Page, url: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form and wait for the console frame."""
    page.goto(url + "/")
    expect(page.get_by_test_id("login-view")).to_be_visible()
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    # Password hashing (argon2, on purpose slow and run at low priority) can take seconds on
    # a busy 2-core machine: wait for the frame longer than for an ordinary redraw.
    expect(page.get_by_test_id("shell")).to_be_visible(timeout=30_000)


def connected(page: Page) -> None:
    """Wait until the connection indicator says the websocket is connected."""
    expect(page.get_by_test_id("conn-indicator")).to_have_attribute(
        "data-state", "connected", timeout=15_000
    )


def api_session(url: str, username: str, password: str = PASSWORD) -> tuple[Any, str]:
    """Sign in over plain HTTP; returns (opener with the cookie, csrf token)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    body = json.dumps({"username": username, "password": password}).encode()
    req = urllib.request.Request(
        url + "/api/auth/login", body, {"Content-Type": "application/json"}
    )
    with opener.open(req, timeout=30) as resp:  # argon2 at low priority: see login()
        token: str = json.load(resp)["csrf_token"]
    return opener, token


def open_json(opener: Any, req: urllib.request.Request | str) -> Any:
    """The JSON answer to a request; a refusal fails the test with the server's problem text."""
    try:
        with opener.open(req, timeout=10) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as err:
        # Keep the code and body readable by callers that expect a refusal, and put the
        # server's problem text in the message a failing test prints.
        body = err.read()
        raise urllib.error.HTTPError(
            err.url, err.code, f"{err.reason}: {body[:2000]!r}", err.headers, io.BytesIO(body)
        ) from None


def api_post(opener: Any, csrf: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST JSON with the session cookie and CSRF header; returns the JSON answer."""
    req = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json", "X-CSRF-Token": csrf}
    )
    answer: dict[str, Any] = open_json(opener, req)
    return answer


def drill_step(
    opener: Any, csrf: str, url: str, drill_id: str, to: str, **extra: Any
) -> dict[str, Any]:
    """One workflow step over HTTP, If-Match carrying the drill's current version (ETag)."""
    with opener.open(f"{url}/api/drills/{drill_id}", timeout=30) as resp:
        etag = resp.headers["ETag"]
    req = urllib.request.Request(
        f"{url}/api/drills/{drill_id}/transition",
        json.dumps({"to": to, **extra}).encode(),
        {"Content-Type": "application/json", "X-CSRF-Token": csrf, "If-Match": etag},
    )
    answer: dict[str, Any] = open_json(opener, req)
    return answer


def drill_walk(url: str, drill_id: str, steps: Iterable[str], by: tuple[Any, str]) -> None:
    """Walk a drill through `steps` as `by` (opener, csrf); the district admin approves, as
    whoever submitted a drill may not approve it (separation of duties)."""
    admin = api_session(url, "admin")
    for step in steps:
        drill_step(*(admin if step == "approved" else by), url, drill_id, step)


def unit_id(opener: Any, url: str, code: str) -> int:
    """The id of the unit with this code."""
    with opener.open(url + "/api/units", timeout=10) as resp:
        units = json.load(resp)["items"]
    found: int = next(u["id"] for u in units if u["code"] == code)
    return found
