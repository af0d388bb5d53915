"""Helpers for the operations-view browser tests: JSON calls with a session, waits."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.harness import login


def call(
    opener: Any,
    csrf: str,
    method: str,
    url: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """A JSON request with the session cookie and CSRF header; returns the JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    hdrs = {"Content-Type": "application/json", "X-CSRF-Token": csrf, **(headers or {})}
    req = urllib.request.Request(url, data, hdrs, method=method)
    with opener.open(req, timeout=30) as resp:
        text = resp.read().decode()
        return json.loads(text) if text else None


def get(opener: Any, url: str) -> Any:
    """GET JSON with the session cookie."""
    with opener.open(url, timeout=30) as resp:
        return json.load(resp)


def wait_until(fn: Any, timeout: float = 60, what: str = "condition") -> Any:
    """Poll fn() until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = fn()
        if out:
            return out
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def readiness_after(opener: Any, url: str, before: str) -> None:
    """Wait until readiness has been recomputed since `before` (its computed_at)."""
    wait_until(
        lambda: get(opener, url + "/api/ops/readiness?limit=0")["computed_at"] != before,
        what="readiness recompute",
    )


def open_ops(page: Page, url: str, user: str) -> None:
    """Sign in and wait until the operations view has drawn everything once."""
    login(page, url, user)
    expect(page).to_have_url(f"{url}/#/ops")
    expect(page.get_by_test_id("ops-view")).to_have_attribute("data-ready", "true", timeout=30_000)


def close_open_incidents(opener: Any, csrf: str, url: str) -> None:
    """Close every open incident (tests leave the shared server as they found it)."""
    for inc in get(opener, url + "/api/incidents?status=open")["items"]:
        try:
            call(opener, csrf, "POST", f"{url}/api/incidents/{inc['id']}/close")
        except urllib.error.HTTPError as exc:
            if exc.code != 409:
                raise
