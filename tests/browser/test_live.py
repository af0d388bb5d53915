"""Live updates: the /ws connection indicator, reconnect after a server restart, pings."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, WebSocket, expect

from tests.browser.harness import (
    Server,
    api_post,
    api_session,
    close,
    connected,
    demo,
    eoc,
    login,
    new_page,
    shot,
    start,
    stop,
    unit_id,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_connection_indicator_reconnects_after_server_restart(
    browser: Browser, tmp_path: Path
) -> None:
    """Stopping the server turns the indicator away from connected; a restart reconnects it
    and live updates flow again without reloading the page."""
    srv = demo(tmp_path)
    page = new_page(browser, "en-US")
    try:
        login(page, srv.url, "admin")
        page.get_by_test_id("nav-admin").click()
        expect(page.get_by_test_id("user-row-admin")).to_be_visible()
        connected(page)
        stop(srv)
        indicator = page.get_by_test_id("conn-indicator")
        expect(indicator).to_have_attribute("data-state", re.compile("^(reconnecting|offline)$"))
        shot(page, "reconnecting-en")
        cmd = eoc("serve", "--data-dir", str(srv.data_dir), "--port", str(srv.port))
        srv = start(cmd, srv.data_dir, srv.port, srv.log)
        expect(indicator).to_have_attribute("data-state", "connected", timeout=30_000)
        opener, csrf = api_session(srv.url, "admin")
        body = {
            "username": "after-restart",
            "display_name": "After Restart",
            "password": "a-strong-pass-2026",
            "unit_id": unit_id(opener, srv.url, "psb"),
            "roles": ["viewer"],
        }
        assert api_post(opener, csrf, srv.url + "/api/users", body)["username"] == "after-restart"
        expect(page.get_by_test_id("user-row-after-restart")).to_contain_text("After Restart")
        close(page)
    finally:
        stop(srv)
        shutil.rmtree(srv.data_dir, ignore_errors=True)


def test_websocket_pings_every_25_seconds(server: Server, browser: Browser) -> None:
    """The client pings on a 25 s timer, the server answers, and the link stays connected."""
    page = new_page(browser, "en-US")
    sent: list[str] = []
    received: list[str] = []

    def watch(ws: WebSocket) -> None:
        ws.on("framesent", lambda payload: sent.append(str(payload)))
        ws.on("framereceived", lambda payload: received.append(str(payload)))

    page.on("websocket", watch)
    page.clock.install()
    login(page, server.url, "operator")
    connected(page)
    page.clock.run_for(23_000)
    assert not any('"ping"' in f for f in sent)
    page.clock.run_for(2_500)
    deadline = time.monotonic() + 5
    while not any('"pong"' in f for f in received) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert any(json.loads(f) == {"type": "ping"} for f in sent)
    assert any('"pong"' in f for f in received)
    page.clock.run_for(12_000)  # past the pong deadline: the answered ping keeps the link
    connected(page)
    assert len([f for f in sent if '"ping"' in f]) == 1
    close(page)
