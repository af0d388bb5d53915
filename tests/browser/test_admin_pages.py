"""Admin pages in the browser: users (edit, password), units tree, audit log, API tokens, and
the pure helpers of the ES modules."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Route, expect

from tests.browser.harness import (
    Server,
    api_post,
    api_session,
    close,
    login,
    new_page,
    shot,
    unit_id,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_admin_resets_a_password_and_edits_roles(server: Server, browser: Browser) -> None:
    """Reset password (mismatch caught inline; the new one works), then roles and disabling."""
    opener, csrf = api_session(server.url, "admin")
    body = {
        "username": "shift-lead",
        "display_name": "Shift Lead",
        "password": "a-strong-pass-2026",
        "unit_id": unit_id(opener, server.url, "eqo"),
        "roles": ["operator"],
    }
    api_post(opener, csrf, server.url + "/api/users", body)
    page = new_page(browser, "en-US")
    login(page, server.url, "admin")
    page.goto(server.url + "/#/admin/users")
    row = page.get_by_test_id("user-row-shift-lead")
    expect(row).to_contain_text("District Earthquake Office")

    # Reset the password (a typo in the repeat is caught inline), then sign in with it.
    row.get_by_role("button", name="Reset the password of shift-lead").click()
    reset = page.get_by_test_id("password-dialog")
    reset.locator("[name=password]").fill("another-pass-2026")
    reset.locator("[name=confirm]").fill("another-pass-2027")
    page.get_by_test_id("dialog-submit").click()
    expect(reset.locator("[data-field=confirm] .field-error")).to_have_text(
        "The two entries do not match."
    )
    reset.locator("[name=confirm]").fill("another-pass-2026")
    page.get_by_test_id("dialog-submit").click()
    expect(reset).to_have_count(0)
    api_session(server.url, "shift-lead", "another-pass-2026")

    # Edit roles and disable the account.
    row.get_by_role("button", name="Edit user shift-lead").click()
    edit = page.get_by_test_id("user-dialog")
    edit.locator("input[name=roles][value=coordinator]").check()
    edit.locator("input[name=disabled]").check()
    page.get_by_test_id("dialog-submit").click()
    expect(edit).to_have_count(0)
    expect(row).to_contain_text("Disabled")
    expect(row).to_contain_text("Coordinator")

    expect(row).to_contain_text("Operator")
    shot(page, "admin-user-disabled-en")
    close(page)


def test_admin_units_audit_and_tokens(server: Server, browser: Browser) -> None:
    """Units tree create, audit filters (in the URL and the CSV link), token create and revoke."""
    page = new_page(browser, "en-US")
    login(page, server.url, "admin")
    page.goto(server.url + "/#/admin/units")
    parent = page.get_by_test_id("unit-row-street-b")
    parent.get_by_role("button", name="Add a sub-unit under Xihu Street Office").click()
    dialog = page.get_by_test_id("unit-dialog")
    expect(dialog.locator("[name=parent_id] option:checked")).to_contain_text("(street-b)")
    dialog.locator("[name=code]").fill("xihu-community")
    dialog.locator("[name=name]").fill("西湖社区")
    dialog.locator("[name=name_en]").fill("Xihu Community")
    page.get_by_test_id("dialog-submit").click()
    child = page.get_by_test_id("unit-row-xihu-community")
    expect(child).to_have_attribute("aria-level", "3")
    # The new sub-unit sits right under its parent (the table may redraw on the unit event,
    # so read the order in one go in the page, retried until it settles).
    page.wait_for_function(
        """() => {
          const ids = [...document.querySelectorAll('[data-testid=units-table] tbody tr')]
            .map((r) => r.dataset.testid);
          const i = ids.indexOf('unit-row-street-b');
          return i >= 0 && ids[i + 1] === 'unit-row-xihu-community';
        }""",
        timeout=5000,
    )
    page.get_by_test_id("unit-create").click()
    page.get_by_test_id("unit-dialog").locator("[name=code]").fill("Bad Code")
    page.get_by_test_id("unit-dialog").locator("[name=name]").fill("坏代码")
    page.get_by_test_id("dialog-submit").click()
    code_field = page.get_by_test_id("unit-dialog").locator("[data-field=code]")
    expect(code_field.locator(".field-error")).to_have_text(
        "Contains characters that are not allowed."
    )
    shot(page, "admin-units-invalid-en")
    page.keyboard.press("Escape")

    page.get_by_test_id("admin-tab-audit").click()
    page.locator("#audit-action").fill("unit.create")
    page.get_by_test_id("audit-apply").click()
    expect(page).to_have_url(re.compile(r"#/admin/audit\?action=unit\.create$"))
    table = page.get_by_test_id("audit-table")
    expect(table.locator("tbody tr").first).to_contain_text("xihu-community")
    actions = table.locator("tbody tr td:nth-child(4)")
    assert set(actions.all_inner_texts()) == {"Create unit"}  # in words, the code on hover
    assert set(actions.evaluate_all("cells => cells.map((c) => c.title)")) == {"unit.create"}
    href = page.get_by_test_id("audit-export").get_attribute("href")
    assert href == "/api/audit.csv?action=unit.create"
    csv = page.request.get(server.url + href)
    assert csv.ok and "xihu-community" in csv.text() and "auth.login" not in csv.text()
    shot(page, "admin-audit-en")

    # Paging against the real server, with the page size shrunk on the wire to 5 rows.
    def small_pages(route: Route) -> None:
        route.continue_(url=route.request.url.replace("limit=100", "limit=5"))

    page.route("**/api/audit?*", small_pages)
    page.get_by_role("button", name="Clear").click()
    expect(page).to_have_url(re.compile(r"#/admin/audit$"))
    ids = table.locator("tbody tr")
    expect(ids).to_have_count(5)
    page.get_by_test_id("audit-more").click()
    expect(ids).to_have_count(10)
    seen = [int(i or 0) for i in ids.evaluate_all("rows => rows.map(r => r.dataset.id)")]
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == 10
    page.unroute("**/api/audit?*")

    # A change made elsewhere appears at the top of the log without a reload.
    csrf = page.request.get(server.url + "/api/auth/session").json()["csrf_token"]
    made = page.request.post(
        server.url + "/api/tokens", data={"name": "live-audit"}, headers={"X-CSRF-Token": csrf}
    )
    assert made.status == 201
    expect(ids.first.locator("td[data-action]")).to_have_attribute("data-action", "token.create")
    expect(ids.first).to_contain_text("Create API token")
    expect(ids).to_have_count(11)

    page.get_by_test_id("admin-tab-tokens").click()
    page.get_by_test_id("token-create").click()
    page.get_by_test_id("token-dialog").locator("[name=name]").fill("nvr-sync")
    page.get_by_test_id("token-dialog").locator("[name=expires_days]").fill("30")
    page.get_by_test_id("dialog-submit").click()
    secret = page.get_by_test_id("token-secret").input_value()
    assert secret.startswith("eoc_") and len(secret) > 20
    shot(page, "admin-token-secret-en")
    bearer = {"Authorization": f"Bearer {secret}"}
    probe = page.request.get(server.url + "/api/auth/session", headers=bearer)
    assert probe.status == 200 and probe.json()["user"]["username"] == "admin"
    page.get_by_test_id("token-secret-dialog").get_by_role("button", name="Done").click()
    row = page.get_by_test_id("tokens-table").locator("tbody tr", has_text="nvr-sync")
    expect(row).to_contain_text("Active")
    expect(page.get_by_test_id("token-secret")).to_have_count(0)
    row.get_by_role("button", name="Revoke token nvr-sync").click()
    page.get_by_test_id("confirm-dialog").get_by_role("button", name="Revoke").click()
    expect(row).to_contain_text("Revoked")
    assert page.request.get(server.url + "/api/auth/session", headers=bearer).status == 401
    close(page)


def test_front_end_modules(server: Server, browser: Browser) -> None:
    """Pure helpers of the ES modules, run in the browser that ships them."""
    page = new_page(browser, "en-US")
    page.goto(server.url + "/")
    expect(page.get_by_test_id("login-view")).to_be_visible()
    result = page.evaluate(
        """async () => {
        const nav = await import('/js/nav.js');
        const api = await import('/js/api.js');
        const i18n = await import('/js/i18n.js');
        const common = await import('/js/pages/admin/common.js');
        const audit = await import('/js/pages/admin/audit.js');
        const tokens = await import('/js/pages/admin/tokens.js');
        const units = [
          {id: 1, code: 'district', parent_id: null}, {id: 3, code: 'psb', parent_id: 1},
          {id: 2, code: 'eqo', parent_id: 1}, {id: 4, code: 'a1', parent_id: 3},
          {id: 9, code: 'orphan', parent_id: 77},
        ];
        const entry = {actor: 'admin', action: 'user.create', outcome: 'success',
                       target_type: 'user', ts: '2026-03-02T08:00:00Z'};
        return {
          route: nav.parseRoute('#/admin/audit?actor=admin&outcome=denied'),
          empty: nav.parseRoute(''),
          field: [api.fieldOf('body.roles[0]'), api.fieldOf('body.unit_id'), api.fieldOf('')],
          qs: api.queryString({a: 'x y', b: '', c: null, d: 0}),
          locales: ['zh-TW', 'zh', 'en-GB', 'fr'].map(i18n.matchLocale),
          tree: common.unitTree(units).map(n => `${n.unit.code}:${n.depth}`),
          subtree: [...common.subtreeIds(units, 3)].sort(),
          match: [
            audit.matches(entry, {action: 'user.'}),
            audit.matches(entry, {action: 'user'}),
            audit.matches(entry, {actor: 'viewer'}),
            audit.matches(entry, {outcome: 'denied'}),
            audit.matches(entry, {from: '2026-03-03'}),
            audit.matches(entry, {to: '2026-03-02'}),
          ],
          status: [
            tokens.tokenStatus({revoked_at: '2026-01-01T00:00:00Z', expires_at: null}),
            tokens.tokenStatus({revoked_at: null, expires_at: '2000-01-01T00:00:00Z'}),
            tokens.tokenStatus({revoked_at: null, expires_at: null}),
          ],
        };
    }"""
    )
    assert result["route"] == {
        "page": "admin",
        "rest": ["audit"],
        "query": {"actor": "admin", "outcome": "denied"},
    }
    assert result["empty"] == {"page": "", "rest": [], "query": {}}
    assert result["field"] == ["roles", "unit_id", ""]
    assert result["qs"] == "?a=x+y&d=0"
    assert result["locales"] == ["zh-CN", "zh-CN", "en", None]
    assert result["tree"] == ["district:0", "eqo:1", "psb:1", "a1:2", "orphan:0"]
    assert result["subtree"] == [3, 4]
    assert result["match"] == [True, False, False, False, False, True]
    assert result["status"] == ["revoked", "expired", "active"]
    close(page)
