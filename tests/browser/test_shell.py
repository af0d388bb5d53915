"""The web shell in Debian's chromium against a real `eoc demo` server: sign-in, language,
live connection, Admin > Users, sign-out, roles, the Chinese default and login throttling."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.harness import (
    PASSWORD,
    Server,
    close,
    connected,
    login,
    new_page,
    shot,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


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
    page = new_page(browser, "en-US")
    page.goto(server.url + "/")
    expect(page.get_by_test_id("product-name")).to_have_text("EOC Console")
    page.get_by_test_id("login-username").fill("admin")
    page.get_by_test_id("login-password").fill("not-the-password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-error")).to_have_text("Wrong user name or password.")
    shot(page, "login-error-en")

    login(page, server.url, "admin")
    connected(page)
    expect(page.get_by_test_id("product-name")).to_have_text("EOC Console")
    expect(page.get_by_test_id("nav-wall")).to_have_text("Video wall")
    # Operators and command land on the operations view; every section is installed; an
    # unknown address says so.
    expect(page).to_have_url(f"{server.url}/#/ops")
    expect(page.get_by_test_id("ops-view")).to_be_visible()
    page.get_by_test_id("nav-wall").click()
    expect(page.get_by_test_id("wall-grid")).to_be_visible()
    page.get_by_test_id("nav-map").click()
    expect(page.get_by_test_id("map-view")).to_be_visible()
    page.goto(server.url + "/#/no-such-section")
    expect(page.get_by_test_id("message-panel")).to_contain_text("Page not found")

    page.get_by_test_id("lang-zh-CN").click()
    expect(page.get_by_test_id("product-name")).to_have_text("EOC 应急指挥平台")
    expect(page.get_by_test_id("nav-wall")).to_have_text("视频墙")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    assert page.evaluate("localStorage.getItem('eoc.locale')") == "zh-CN"
    connected(page)
    shot(page, "shell-zh-CN")
    page.get_by_test_id("lang-en").click()
    expect(page.get_by_test_id("product-name")).to_have_text("EOC Console")

    # A second admin console watches the users table; the new user must appear there live.
    watcher = new_page(browser, "en-US")
    login(watcher, server.url, "admin")
    watcher.get_by_test_id("nav-admin").click()
    expect(watcher.get_by_test_id("user-row-viewer")).to_be_visible()
    connected(watcher)

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
    shot(page, "admin-users-en")
    close(watcher)

    # The same user name again: the 409 is shown next to the user name field.
    page.get_by_test_id("user-create").click()
    _fill_user_form(page, "duty-officer", "psb", "operator")
    page.get_by_test_id("dialog-submit").click()
    field = page.get_by_test_id("user-dialog").locator("[data-field=username]")
    expect(field.locator(".field-error")).to_have_text("Already exists.")
    expect(field.locator("input")).to_have_attribute("aria-invalid", "true")
    shot(page, "admin-users-duplicate-en")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("user-dialog")).to_have_count(0)

    page.get_by_test_id("user-menu-button").click()
    expect(page.get_by_test_id("user-menu-head")).to_contain_text("Administrator")
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-view")).to_be_visible()
    page.goto(server.url + "/#/admin/users")
    expect(page.get_by_test_id("login-view")).to_be_visible()
    close(page)


def test_viewer_does_not_see_admin(server: Server, browser: Browser) -> None:
    """A viewer gets the shell without the Admin section, even by typing its address."""
    page = new_page(browser, "en-US")
    page.goto(server.url + "/")
    expect(page.get_by_test_id("login-username")).to_be_focused()
    page.keyboard.type("viewer")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("shell")).to_be_visible()
    connected(page)
    menu_button = page.get_by_test_id("user-menu-button")
    menu_button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("theme-toggle")).to_be_focused()
    expect(page.get_by_test_id("user-menu-head")).to_contain_text("Dongshan Street Office")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("user-menu-head")).to_be_hidden()
    expect(menu_button).to_be_focused()
    expect(page.get_by_test_id("nav-wall")).to_be_visible()
    expect(page.get_by_test_id("nav-admin")).to_have_count(0)
    page.goto(server.url + "/#/admin/users")
    expect(page.get_by_test_id("message-panel")).to_contain_text("No access")
    expect(page.get_by_test_id("users-table")).to_have_count(0)
    shot(page, "viewer-no-admin-en")
    close(page)


def test_chinese_browser_defaults_to_chinese(server: Server, browser: Browser) -> None:
    """With a zh-CN browser the login page and the console start in Chinese."""
    page = new_page(browser, "zh-CN")
    page.goto(server.url + "/")
    expect(page.get_by_test_id("product-name")).to_have_text("EOC 应急指挥平台")
    expect(page.get_by_test_id("login-submit")).to_have_text("登录")
    shot(page, "login-zh-CN")
    login(page, server.url, "admin")
    expect(page.get_by_test_id("nav-admin")).to_have_text("系统管理")
    page.get_by_test_id("nav-admin").click()
    expect(page.get_by_test_id("user-row-coordinator")).to_contain_text("协调员")
    connected(page)
    shot(page, "admin-users-zh-CN")
    # The session disappears (expired, revoked): the next API call asks to sign in again over
    # the page; choosing to sign out lands on the login screen.
    page.context.clear_cookies()
    page.get_by_test_id("admin-tab-units").click()
    expect(page.get_by_test_id("relogin-dialog")).to_be_visible()
    page.get_by_test_id("relogin-signout").click()
    expect(page.get_by_test_id("login-view")).to_contain_text("会话已结束，请重新登录。")
    expect(page.get_by_test_id("conn-indicator")).to_have_count(0)
    close(page)


def test_login_errors_and_rate_limit_in_chinese(server: Server, browser: Browser) -> None:
    """Wrong passwords, then the throttle: messages in Chinese with a live countdown; each
    further failure waits longer, and the wait always ends (no lock-out)."""
    page = new_page(browser, "zh-CN")
    page.goto(server.url + "/")
    error = page.get_by_test_id("login-error")
    submit = page.get_by_test_id("login-submit")

    def attempt(password: str) -> int:
        page.get_by_test_id("login-username").fill("maintenance")
        page.get_by_test_id("login-password").fill(password)
        with page.expect_response("**/api/auth/login") as response:
            submit.click()
        return int(response.value.status)

    for _ in range(5):
        assert attempt("wrong-password") == 401
        expect(error).to_have_text("用户名或密码错误。")
    pattern = re.compile(r"^登录失败次数过多，请在 (\d+) 秒后重试。$")
    assert attempt(PASSWORD) == 429
    expect(error).to_have_text(pattern)
    expect(submit).to_be_disabled()
    first = int(pattern.match(error.inner_text()).group(1))  # type: ignore[union-attr]
    assert 0 < first <= 60
    # The wait ends by itself; one more wrong password brings another (longer) one.
    expect(submit).to_be_enabled(timeout=(first + 5) * 1000)
    assert attempt("wrong-password") == 401
    assert attempt(PASSWORD) == 429
    expect(error).to_have_text(pattern)
    second = int(pattern.match(error.inner_text()).group(1))  # type: ignore[union-attr]
    assert 0 < second <= 60  # (how much longer is checked with a fake clock in tests/core)
    expect(error).not_to_have_text(f"登录失败次数过多，请在 {second} 秒后重试。", timeout=3000)
    if (left := pattern.match(error.inner_text())) is not None:
        assert int(left.group(1)) < second
    shot(page, "login-rate-limited-zh-CN")
    # Once it has passed, the real password signs in: the user was slowed, never locked out.
    expect(submit).to_be_enabled(timeout=(second + 5) * 1000)
    assert attempt(PASSWORD) == 200
    expect(page.get_by_test_id("shell")).to_be_visible()
    close(page)
