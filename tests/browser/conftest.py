"""Fixtures for the browser tests: one demo server and one chromium for the whole package."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.browser.harness import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, Server, demo, stop


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A demo server (`eoc demo` as a subprocess) shared by the browser tests."""
    srv = demo(tmp_path_factory.mktemp("eoc-demo"))
    yield srv
    stop(srv)


@pytest.fixture(scope="package")
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
