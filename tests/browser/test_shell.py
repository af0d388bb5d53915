"""The web shell in Debian's chromium against a real `eoc demo` server."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.slow]

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _eoc(*args: str) -> list[str]:
    """The `eoc` command of the running interpreter's environment."""
    script = Path(sys.executable).parent / "eoc"
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "console", *args]


def _start(command: list[str], data_dir: Path, port: int, log: Path) -> Server:
    env = {**os.environ, "NO_COLOR": "1"}
    with log.open("ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = Server(f"http://127.0.0.1:{port}", port, data_dir, log, proc)
    deadline = time.monotonic() + 60
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
    _stop(server)
    pytest.fail(f"server did not become healthy:\n{log.read_text()[-3000:]}")


def _stop(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(timeout=5)


def _demo(tmp: Path) -> Server:
    port = _free_port()
    data = tmp / "data"
    cmd = _eoc("demo", "--data-dir", str(data), "--port", str(port), "--no-open")
    return _start(cmd, data, port, tmp / "server.log")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A demo server shared by the tests of this module."""
    srv = _demo(tmp_path_factory.mktemp("eoc-demo"))
    yield srv
    _stop(srv)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless (never a Playwright-downloaded browser)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; install the Debian chromium package")
        pytest.skip(f"{CHROMIUM} is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _page(browser: Browser, locale: str) -> Page:
    context = browser.new_context(locale=locale, viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _PAGE_ERRORS[id(page)] = errors
    return page


def _close(page: Page) -> None:
    errors = _PAGE_ERRORS.pop(id(page), [])
    page.context.close()
    assert errors == [], f"uncaught errors in the page: {errors}"


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _login(page: Page, url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(url + "/")
    expect(page.get_by_test_id("login-view")).to_be_visible()
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("shell")).to_be_visible()


def _connected(page: Page) -> None:
    expect(page.get_by_test_id("conn-indicator")).to_have_attribute("data-state", "connected")


def _fill_user_form(page: Page, username: str, unit_code: str, role: str) -> None:
    dialog = page.get_by_test_id("user-dialog")
    dialog.locator("[name=username]").fill(username)
    dialog.locator("[name=display_name]").fill("值班员 " + username)
    dialog.locator("[name=password]").fill("a-strong-pass-2026")
    unit = dialog.locator("[name=unit_id] option", has_text=f"({unit_code})")
    dialog.locator("[name=unit_id]").select_option(unit.get_attribute("value"))
    dialog.locator(f"input[name=roles][value={role}]").check()
    dialog.locator("input[name=roles][value=viewer]").uncheck()


def test_admin_signs_in_switches_language_creates_user_and_signs_out(
    server: Server, browser: Browser
) -> None:
    """Login, language switch, live indicator, Admin > Users create (+ live row), logout."""
    page = _page(browser, "en-US")
    page.goto(server.url + "/")
    expect(page.get_by_test_id("product-name")).to_have_text("EOC Console")
    page.get_by_test_id("login-username").fill("admin")
    page.get_by_test_id("login-password").fill("not-the-password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-error")).to_have_text("Wrong user name or password.")
    _shot(page, "login-error-en")

    _login(page, server.url, "admin")
    _connected(page)
    expect(page.get_by_test_id("product-name")).to_have_text("EOC Console")
    expect(page.get_by_test_id("nav-wall")).to_have_text("Video wall")
    expect(page.get_by_test_id("message-panel")).to_contain_text("not installed yet")

    page.get_by_test_id("lang-zh-CN").click()
    expect(page.get_by_test_id("product-name")).to_have_text("EOC 应急指挥平台")
    expect(page.get_by_test_id("nav-wall")).to_have_text("视频墙")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    assert page.evaluate("localStorage.getItem('eoc.locale')") == "zh-CN"
    _connected(page)
    _shot(page, "shell-zh-CN")
    page.get_by_test_id("lang-en").click()
    expect(page.get_by_test_id("product-name")).to_have_text("EOC Console")

    # A second admin console watches the users table; the new user must appear there live.
    watcher = _page(browser, "en-US")
    _login(watcher, server.url, "admin")
    watcher.get_by_test_id("nav-admin").click()
    expect(watcher.get_by_test_id("user-row-viewer")).to_be_visible()
    _connected(watcher)

    page.get_by_test_id("nav-admin").click()
    expect(page).to_have_url(f"{server.url}/#/admin/users")
    expect(page.get_by_test_id("user-row-admin")).to_be_visible()
    page.get_by_test_id("user-create").click()
    _fill_user_form(page, "duty-officer", "psb", "operator")
    page.get_by_test_id("dialog-submit").click()
    expect(page.get_by_test_id("user-dialog")).to_have_count(0)
    row = page.get_by_test_id("user-row-duty-officer")
    expect(row).to_contain_text("District Public Security Sub-bureau")
    expect(row).to_contain_text("Operator")
    live_row = watcher.get_by_test_id("user-row-duty-officer")
    expect(live_row).to_contain_text("Operator")
    _shot(page, "admin-users-en")
    _close(watcher)

    # The same user name again: the 409 is shown next to the user name field.
    page.get_by_test_id("user-create").click()
    _fill_user_form(page, "duty-officer", "psb", "operator")
    page.get_by_test_id("dialog-submit").click()
    field = page.get_by_test_id("user-dialog").locator("[data-field=username]")
    expect(field.locator(".field-error")).to_have_text("Already exists.")
    expect(field.locator("input")).to_have_attribute("aria-invalid", "true")
    _shot(page, "admin-users-duplicate-en")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("user-dialog")).to_have_count(0)

    page.get_by_test_id("user-menu-button").click()
    expect(page.get_by_test_id("user-menu-head")).to_contain_text("Administrator")
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-view")).to_be_visible()
    page.goto(server.url + "/#/admin/users")
    expect(page.get_by_test_id("login-view")).to_be_visible()
    _close(page)


def test_viewer_does_not_see_admin(server: Server, browser: Browser) -> None:
    """A viewer gets the shell without the Admin section, even by typing its address."""
    page = _page(browser, "en-US")
    _login(page, server.url, "viewer")
    _connected(page)
    expect(page.get_by_test_id("nav-wall")).to_be_visible()
    expect(page.get_by_test_id("nav-admin")).to_have_count(0)
    page.goto(server.url + "/#/admin/users")
    expect(page.get_by_test_id("message-panel")).to_contain_text("No access")
    expect(page.get_by_test_id("users-table")).to_have_count(0)
    _shot(page, "viewer-no-admin-en")
    _close(page)


def test_chinese_browser_defaults_to_chinese(server: Server, browser: Browser) -> None:
    """With a zh-CN browser the login page and the console start in Chinese."""
    page = _page(browser, "zh-CN")
    page.goto(server.url + "/")
    expect(page.get_by_test_id("product-name")).to_have_text("EOC 应急指挥平台")
    expect(page.get_by_test_id("login-submit")).to_have_text("登录")
    _shot(page, "login-zh-CN")
    _login(page, server.url, "admin")
    expect(page.get_by_test_id("nav-admin")).to_have_text("系统管理")
    page.get_by_test_id("nav-admin").click()
    expect(page.get_by_test_id("user-row-coordinator")).to_contain_text("协调员")
    _connected(page)
    _shot(page, "admin-users-zh-CN")
    _close(page)


def _api_session(url: str, username: str) -> tuple[Any, str]:
    """Sign in over plain HTTP; returns (opener with the cookie, csrf token)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    body = json.dumps({"username": username, "password": PASSWORD}).encode()
    req = urllib.request.Request(
        url + "/api/auth/login", body, {"Content-Type": "application/json"}
    )
    with opener.open(req, timeout=10) as resp:
        token: str = json.load(resp)["csrf_token"]
    return opener, token


def test_connection_indicator_reconnects_after_server_restart(
    browser: Browser, tmp_path: Path
) -> None:
    """Stopping the server turns the indicator away from connected; a restart reconnects it
    and live updates flow again without reloading the page."""
    srv = _demo(tmp_path)
    page = _page(browser, "en-US")
    try:
        _login(page, srv.url, "admin")
        page.get_by_test_id("nav-admin").click()
        expect(page.get_by_test_id("user-row-admin")).to_be_visible()
        _connected(page)
        _stop(srv)
        indicator = page.get_by_test_id("conn-indicator")
        expect(indicator).to_have_attribute("data-state", re.compile("^(reconnecting|offline)$"))
        _shot(page, "reconnecting-en")
        cmd = _eoc("serve", "--data-dir", str(srv.data_dir), "--port", str(srv.port))
        srv = _start(cmd, srv.data_dir, srv.port, srv.log)
        expect(indicator).to_have_attribute("data-state", "connected", timeout=30_000)
        opener, csrf = _api_session(srv.url, "admin")
        units = json.load(opener.open(srv.url + "/api/units", timeout=10))["items"]
        psb = next(u["id"] for u in units if u["code"] == "psb")
        body = {
            "username": "after-restart",
            "display_name": "After Restart",
            "password": "a-strong-pass-2026",
            "unit_id": psb,
            "roles": ["viewer"],
        }
        req = urllib.request.Request(
            srv.url + "/api/users",
            json.dumps(body).encode(),
            {"Content-Type": "application/json", "X-CSRF-Token": csrf},
        )
        with opener.open(req, timeout=10) as resp:
            assert resp.status == 201
        expect(page.get_by_test_id("user-row-after-restart")).to_contain_text("After Restart")
        _close(page)
    finally:
        _stop(srv)
        shutil.rmtree(srv.data_dir, ignore_errors=True)
