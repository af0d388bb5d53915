"""Changing one's own password from the user menu, in Debian's chromium (zh-CN and en)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.harness import (
    Server,
    api_post,
    api_session,
    close,
    connected,
    login,
    new_page,
    shot,
    unit_id,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
FIRST = "lantern-harbour-2026"
SECOND = "quiet-river-stone-88"


def test_own_password_change_signs_out_other_sessions(server: Server, browser: Browser) -> None:
    opener, csrf = api_session(server.url, "admin")
    street = unit_id(opener, server.url, "street-a")
    api_post(
        opener,
        csrf,
        server.url + "/api/users",
        {"username": "pw-owner", "password": FIRST, "unit_id": street, "roles": ["viewer"]},
    )
    page = new_page(browser, "zh-CN")
    other = new_page(browser, "en-US")
    try:
        login(other, server.url, "pw-owner", FIRST)
        connected(other)
        login(page, server.url, "pw-owner", FIRST)
        connected(page)
        page.get_by_test_id("user-menu-button").click()
        page.get_by_test_id("change-password").click()
        dialog = page.get_by_test_id("own-password-dialog")
        expect(dialog).to_be_visible()
        # A wrong current password is named at its field.
        dialog.locator("[name=current_password]").fill("not-my-password")
        dialog.locator("[name=new_password]").fill(SECOND)
        dialog.locator("[name=confirm]").fill(SECOND)
        dialog.get_by_test_id("dialog-submit").click()
        # Each answer waits for argon2 (low priority): allow a busy machine its seconds.
        expect(dialog.locator("[data-field=current_password] .field-error")).to_have_text(
            "密码不正确。", timeout=30_000
        )
        # A common password is refused with the reason, in Chinese.
        dialog.locator("[name=current_password]").fill(FIRST)
        dialog.locator("[name=new_password]").fill("12345678")
        dialog.locator("[name=confirm]").fill("12345678")
        dialog.get_by_test_id("dialog-submit").click()
        expect(dialog.locator("[data-field=new_password] .field-error")).to_have_text(
            "这是最常见的密码之一，请另选一个。", timeout=30_000
        )
        dialog.locator("[name=new_password]").fill(SECOND)
        dialog.locator("[name=confirm]").fill(SECOND + "x")
        dialog.get_by_test_id("dialog-submit").click()
        expect(dialog.locator("[data-field=confirm] .field-error")).to_have_text("两次输入不一致。")
        shot(page, "own-password-zh-CN")
        dialog.locator("[name=confirm]").fill(SECOND)
        dialog.get_by_test_id("dialog-submit").click()
        expect(dialog).to_have_count(0, timeout=30_000)
        expect(page.get_by_text("密码已修改，其他登录和 API 令牌已失效。")).to_be_visible()
        # This browser stays signed in; the other one is signed out at once and asked to sign
        # in again over its page, where the old password no longer works.
        expect(other.get_by_test_id("relogin-dialog")).to_be_visible()
        other.get_by_test_id("relogin-password").fill(FIRST)
        other.get_by_test_id("relogin-submit").click()
        expect(other.get_by_test_id("relogin-error")).to_be_visible(timeout=30_000)
        other.get_by_test_id("relogin-signout").click()
        expect(other.get_by_test_id("login-view")).to_be_visible()
        connected(page)
        page.get_by_test_id("user-menu-button").click()
        page.get_by_test_id("logout").click()
        expect(page.get_by_test_id("login-view")).to_be_visible()
        login(page, server.url, "pw-owner", SECOND)
    finally:
        close(page)
        close(other)
