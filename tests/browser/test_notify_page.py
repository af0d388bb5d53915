"""Admin > Notifications in Chromium: create a signed webhook channel and its rule, press
"send test", see the real POST arrive and the delivery in the log; then in Chinese."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.harness import Server, close, login, new_page, shot
from tests.notify.peers import Receiver

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def wait_for_post(receiver: Receiver, path: str, count: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(receiver.at(path)) < count:
        time.sleep(0.05)
    assert len(receiver.at(path)) >= count, receiver.requests


def test_create_webhook_send_test_and_see_it_logged(server: Server, browser: Browser) -> None:
    receiver = Receiver()
    try:
        page = new_page(browser, "en-US")
        login(page, server.url, "admin")
        page.goto(server.url + "/#/admin/notify")
        expect(page.get_by_test_id("admin-tab-notify")).to_have_attribute("aria-current", "page")
        expect(page.get_by_test_id("channels-table")).to_contain_text("No channels yet.")
        page.get_by_test_id("channel-create").click()
        dialog = page.get_by_test_id("channel-dialog")
        dialog.locator("[name=name]").fill("Duty desk hook")
        dialog.locator("[name=kind]").select_option("webhook")
        # A bad URL is refused next to its field, nothing is saved.
        dialog.locator("[name=url]").fill("ftp://example.invalid/hook")
        page.get_by_test_id("dialog-submit").click()
        expect(dialog.locator("[data-field=url] .field-error")).not_to_be_empty()
        dialog.locator("[name=url]").fill(receiver.url("/duty?token=abc123secret"))
        dialog.locator("[name=secret]").fill("browser-hmac-secret")
        expect(dialog.locator("[data-field=email_host]")).to_be_hidden()
        page.get_by_test_id("dialog-submit").click()
        expect(dialog).to_have_count(0)
        # Creating a channel opens its first rule.
        rule = page.get_by_test_id("rule-dialog")
        expect(rule).to_be_visible()
        rule.locator("[name=min_severity]").select_option("major")
        page.get_by_test_id("dialog-submit").click()
        expect(rule).to_have_count(0)

        row = page.locator("[data-testid^=channel-row-]").filter(has_text="Duty desk hook")
        expect(row).to_contain_text("token=***")
        expect(row).not_to_contain_text("abc123secret")
        expect(row).to_contain_text("Signed")
        expect(page.get_by_test_id("rules-table")).to_contain_text("camera.fault")
        row.get_by_role("button", name="Send a test message to Duty desk hook").click()
        wait_for_post(receiver, "/duty", 1)
        req = receiver.at("/duty")[0]
        mac = hmac.new(
            b"browser-hmac-secret",
            req.headers["x-eoc-timestamp"].encode() + b"." + req.body,
            hashlib.sha256,
        ).hexdigest()
        assert req.headers["x-eoc-signature"] == "sha256=" + mac
        assert req.json()["kind"] == "notify.test" and req.json()["title"] == "测试消息"
        log = page.get_by_test_id("deliveries-table")
        expect(log.locator("tr[data-status=sent]")).to_contain_text("Duty desk hook")
        # The log shows the message as sent: in the channel's language (zh-CN by default).
        expect(log).to_contain_text("测试消息")
        expect(row).to_contain_text("Sent")
        shot(page, "notify-admin-en")
        close(page)

        zh = new_page(browser, "zh-CN")
        login(zh, server.url, "admin")
        zh.goto(server.url + "/#/admin/notify")
        expect(zh.get_by_role("heading", name="通知通道")).to_be_visible()
        expect(zh.get_by_test_id("deliveries-table")).to_contain_text("测试消息")
        expect(zh.get_by_test_id("deliveries-table")).to_contain_text("已送达")
        shot(zh, "notify-admin-zh")
        close(zh)
    finally:
        receiver.close()
