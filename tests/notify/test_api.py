"""The channels/rules/deliveries API: write-only secrets, bad input, send test, versions."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from console.notify.models import NotifyChannel
from tests.notify.conftest import deliveries, make_channel, make_rule
from tests.notify.peers import Receiver

SECRETS = ("tok-SECRET-123", "SECsign-SECRET-456", "smtp-SECRET-789")


async def test_secrets_are_write_only_and_stored_encrypted(
    app: Any, admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    url = receiver.url(f"/robot/send?access_token={SECRETS[0]}")
    ch = await make_channel(admin, kind="dingtalk", url=url, secret=SECRETS[1])
    assert ch["url_masked"] == f"http://127.0.0.1:{receiver.port}/robot/send?access_token=***"
    assert ch["has_secret"] is True and ch["has_password"] is False
    mail = await make_channel(
        admin,
        kind="email",
        password=SECRETS[2],
        email={
            "host": "127.0.0.1",
            "port": 2525,
            "from_addr": "eoc@example.cn",
            "to": ["a@b.cn"],
            "username": "eoc",
        },
    )
    assert mail["has_password"] is True and mail["url_masked"] is None
    r = await admin.post(f"/api/notify/channels/{ch['id']}/test")
    assert r.status_code == 200 and r.json()["status"] == "sent", r.text
    # Nothing the API answers, nor the audit log, carries a secret.
    answers = [
        await admin.get("/api/notify/channels"),
        await admin.get(f"/api/notify/channels/{ch['id']}"),
        await admin.get(f"/api/notify/channels/{mail['id']}"),
        await admin.get("/api/notify/deliveries"),
        await admin.get("/api/notify/rules"),
        await admin.get("/api/audit", params={"limit": 500}),
        await admin.patch(f"/api/notify/channels/{ch['id']}", json={"name": "renamed"}),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        for secret in SECRETS:
            assert secret not in answer.text
    async with app.state.services.store.session() as db:
        rows = list(await db.scalars(select(NotifyChannel)))
    for row in rows:
        for secret in SECRETS:
            assert secret not in repr(row.config) and secret not in row.secrets_enc
    # The rename kept the secrets: the robot still gets signed requests.
    r = await admin.post(f"/api/notify/channels/{ch['id']}/test")
    assert r.json()["status"] == "sent"
    signed = receiver.at("/robot/send")
    assert len(signed) == 2 and all("sign" in req.query for req in signed)
    # Clearing the secret stops the signing.
    r = await admin.patch(f"/api/notify/channels/{ch['id']}", json={"secret": ""})
    assert r.json()["has_secret"] is False
    await admin.post(f"/api/notify/channels/{ch['id']}/test")
    assert "sign" not in receiver.at("/robot/send")[-1].query


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"kind": "webhook"}, "body.url"),
        ({"kind": "webhook", "url": "ftp://x.example/hook"}, "body.url"),
        ({"kind": "webhook", "url": "http://user:pw@x.example/hook"}, "body.url"),
        ({"kind": "webhook", "url": "not a url"}, "body.url"),
        (
            {"kind": "wecom", "url": "https://qyapi.weixin.qq.com/x?key=1", "secret": "s"},
            "body.secret",
        ),
        (
            {"kind": "wecom", "url": "https://q.example/x", "rate_per_minute": 21},
            "body.rate_per_minute",
        ),
        ({"kind": "sms", "url": "https://q.example/x"}, "body.kind"),
        ({"kind": "email"}, "body.email"),
        ({"kind": "email", "url": "https://x.example"}, "body.url"),
        (
            {
                "kind": "email",
                "email": {"host": "smtp.x.cn", "from_addr": "a@x.cn", "to": ["nobody"]},
            },
            "body.email.to[0]",
        ),
        (
            {
                "kind": "email",
                "email": {"host": "bad host!", "from_addr": "a@x.cn", "to": ["b@x.cn"]},
            },
            "body.email.host",
        ),
        (
            {"kind": "email", "email": {"host": "smtp.x.cn", "from_addr": "a@x.cn", "to": []}},
            "body.email.to",
        ),
        ({"kind": "webhook", "url": "https://x.example", "unit_id": 999}, "body.unit_id"),
        ({"kind": "webhook", "url": "https://x.example", "locale": "fr"}, "body.locale"),
        (
            {"kind": "webhook", "url": "https://x.example", "digest_window_s": 0},
            "body.digest_window_s",
        ),
        ({"kind": "webhook", "url": "https://x.example", "name": ""}, "body.name"),
        ({"kind": "webhook", "url": "https://x.example", "token": "x"}, "body.token"),
        (
            {
                "kind": "webhook",
                "url": "https://x.example",
                "email": {"host": "h.cn", "from_addr": "a@x.cn", "to": ["b@x.cn"]},
            },
            "body.email",
        ),
    ],
)
async def test_bad_channels_name_the_field(
    admin: httpx.AsyncClient, body: dict[str, Any], loc: str
) -> None:
    r = await admin.post("/api/notify/channels", json={"name": "x", "unit_id": 1, **body})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert loc in [e["loc"] for e in r.json()["errors"]], r.json()
    assert (await admin.get("/api/notify/channels")).json()["items"] == []


async def test_bad_rules_name_the_field(admin: httpx.AsyncClient, receiver: Receiver) -> None:
    ch = await make_channel(admin, kind="webhook", url=receiver.url("/h"), unit_id=4)
    cases = [
        ({"kinds": ["camera fault"]}, "body.kinds[0]"),
        ({"tags": ["a,b"]}, "body.tags[0]"),
        ({"unit_ids": [5]}, "body.unit_ids[0]"),
        ({"unit_ids": [12345]}, "body.unit_ids[0]"),
        ({"min_severity": "panic"}, "body.min_severity"),
        ({"exercise": "sometimes"}, "body.exercise"),
    ]
    for extra, loc in cases:
        r = await admin.post(
            "/api/notify/rules", json={"channel_id": ch["id"], "name": "r", **extra}
        )
        assert r.status_code == 422, (extra, r.text)
        assert r.json()["errors"][0]["loc"] == loc
    r = await admin.post("/api/notify/rules", json={"channel_id": 999, "name": "r"})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "body.channel_id"
    assert (await admin.get("/api/notify/rules")).json()["items"] == []


async def test_versions_rules_crud_and_delete_cascades(
    admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    ch = await make_channel(admin, kind="webhook", url=receiver.url("/h"))
    rule = await make_rule(admin, ch["id"], kinds=["camera.*", "camera.*"], tags=["b", "a"])
    assert rule["kinds"] == ["camera.*"] and rule["tags"] == ["a", "b"]
    r = await admin.patch(
        f"/api/notify/rules/{rule['id']}",
        json={"min_severity": "critical"},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 200 and r.json()["version"] == 2 and r.headers["ETag"] == '"2"'
    r = await admin.patch(
        f"/api/notify/rules/{rule['id']}", json={"enabled": False}, headers={"If-Match": '"1"'}
    )
    assert r.status_code == 412 and r.json()["current_version"] == 2
    r = await admin.patch(
        f"/api/notify/channels/{ch['id']}", json={"enabled": False}, headers={"If-Match": '"7"'}
    )
    assert r.status_code == 412
    channel = (await admin.get(f"/api/notify/channels/{ch['id']}")).json()
    assert channel["enabled"] is True and channel["rule_count"] == 1
    await admin.post(f"/api/notify/channels/{ch['id']}/test")
    assert len(await deliveries(admin)) == 1
    assert (await admin.delete(f"/api/notify/channels/{ch['id']}")).status_code == 204
    assert (await admin.get("/api/notify/rules")).json()["items"] == []
    assert await deliveries(admin) == []
    assert (await admin.get(f"/api/notify/channels/{ch['id']}")).status_code == 404
    actions = [
        e["action"]
        for e in (await admin.get("/api/audit", params={"action": "notify."})).json()["items"]
    ]
    assert {
        "notify.channel.create",
        "notify.rule.create",
        "notify.rule.update",
        "notify.channel.test",
        "notify.channel.delete",
    } <= set(actions)


async def test_send_test_reports_failures_and_respects_the_rate_limit(
    admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    from tests.notify.peers import Reply

    receiver.reply("/down", Reply(500, {"e": "down"}))
    ch = await make_channel(
        admin, kind="webhook", url=receiver.url("/down"), enabled=False, rate_per_minute=2
    )
    r = await admin.post(f"/api/notify/channels/{ch['id']}/test")
    assert r.status_code == 200
    row = r.json()
    assert row["status"] == "failed" and row["attempts"] == 1 and row["is_test"] is True
    assert row["response_code"] == 500 and "HTTP 500" in row["last_error"]
    assert (await admin.post(f"/api/notify/channels/{ch['id']}/test")).json()["status"] == "sent"
    channel = (await admin.get(f"/api/notify/channels/{ch['id']}")).json()
    assert channel["last_delivery"]["status"] == "sent"
    # An enabled channel keeps its worker's rate limit across test sends.
    await admin.patch(
        f"/api/notify/channels/{ch['id']}", json={"enabled": True, "rate_per_minute": 1}
    )
    assert (await admin.post(f"/api/notify/channels/{ch['id']}/test")).json()["status"] == "sent"
    r = await admin.post(f"/api/notify/channels/{ch['id']}/test")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
