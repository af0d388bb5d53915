"""Each channel kind against a real HTTP server: formats, signatures as the vendors verify
them, retries with back-off on 5xx and timeouts, permanent failures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx

from console.notify.signing import dingtalk_sign, feishu_sign, verify_webhook, webhook_signature
from tests.notify.conftest import dispatcher, make_channel, make_rule
from tests.notify.helpers import note, record_sleeps, settle
from tests.notify.peers import Receiver, Reply


def test_signatures_match_vectors_computed_with_openssl() -> None:
    """Vectors made with `openssl dgst -sha256 -hmac` (the vendor docs publish none)."""
    # printf '1700000000000\nSECtestsecret' | openssl dgst -sha256 -hmac SECtestsecret -binary | base64
    assert dingtalk_sign("SECtestsecret", 1700000000000) == (
        "7LVwF0dAF3/+MRRulbpE4y72Ogzykc6bS2nG4I99T4s="
    )
    # printf '' | openssl dgst -sha256 -hmac "$(printf '1700000000\nfeishu-test-secret')" -binary | base64
    assert feishu_sign("feishu-test-secret", 1700000000) == (
        "e3MJ8Q5llVxGJ8pVkGPBhexDAgjvYqpjPP1GkY9XceI="
    )
    # printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec -hex
    assert webhook_signature("whsec", 1700000000, b'{"a":1}') == (
        "sha256=8ad37ba156048ae0e0a5533c75cdf26fee88b07f93cb57ee4c80adb053012032"
    )


async def test_webhook_is_signed_json_a_receiver_can_verify(
    app: Any, admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    ch = await make_channel(
        admin, kind="webhook", url=receiver.url("/hook"), secret="whsec-test", locale="en"
    )
    await make_rule(admin, ch["id"])
    assert await dispatcher(app).notify(note()) == 1
    (req,) = await receiver.wait_for("/hook", 1)
    ts, sig = req.headers["x-eoc-timestamp"], req.headers["x-eoc-signature"]
    # Verified the way a receiver would, without the console's code:
    mac = hmac.new(b"whsec-test", ts.encode() + b"." + req.body, hashlib.sha256).hexdigest()
    assert sig == "sha256=" + mac
    assert abs(time.time() - int(ts)) < 120
    assert verify_webhook("whsec-test", ts, req.body, sig, now=time.time())
    # A replay ten minutes later is refused, and so is a changed body.
    assert not verify_webhook("whsec-test", ts, req.body, sig, now=time.time() + 600)
    assert not verify_webhook("whsec-test", ts, req.body + b" ", sig, now=time.time())
    payload = req.json()
    assert payload["type"] == "notification" and payload["kind"] == "camera.fault"
    assert payload["severity"] == "major" and payload["exercise"] is False
    assert payload["title"] == "Camera alert: Dongshan · Video lost"
    assert payload["link"] == "https://eoc.example.gov.cn/#/health/camera/street-a-cam"
    assert payload["unit_ids"] == [4]
    assert req.headers["x-eoc-delivery"] == str(payload["id"])
    rows = await settle(admin, lambda rows: rows and rows[0]["status"] == "sent")
    assert rows[0]["id"] == payload["id"] and rows[0]["attempts"] == 1
    assert rows[0]["response_code"] == 200


async def test_wecom_markdown_in_chinese_without_markup_injection(
    app: Any, admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    path = "/cgi-bin/webhook/send"
    ch = await make_channel(admin, kind="wecom", url=receiver.url(path + "?key=k-123"))
    await make_rule(admin, ch["id"])
    from console.notify.notification import Localized

    evil = Localized("摄像机告警:<@all>[点我](http://x)", "x")
    await dispatcher(app).notify(note(title=evil, severity="critical"))
    (req,) = await receiver.wait_for(path, 1)
    assert req.query == {"key": "k-123"}
    body = req.json()
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert content.startswith("## 摄像机告警:")
    assert "<@all>" not in content and "[点我](http://x)" not in content
    assert '<font color="warning">紧急</font>' in content
    assert "[查看详情](https://eoc.example.gov.cn/#/health/camera/street-a-cam)" in content
    assert len(content.encode()) <= 4096


async def test_dingtalk_signed_as_dingtalk_verifies(
    app: Any, admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    path = "/robot/send"
    secret = "SEC0123456789abcdef"
    ch = await make_channel(
        admin, kind="dingtalk", url=receiver.url(path + "?access_token=tok"), secret=secret
    )
    await make_rule(admin, ch["id"])
    await dispatcher(app).notify(note())
    (req,) = await receiver.wait_for(path, 1)
    ts = req.query["timestamp"]
    assert req.query["access_token"] == "tok"
    assert abs(time.time() * 1000 - int(ts)) < 3_600_000  # DingTalk's one-hour window
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert req.query["sign"] == expected
    body = req.json()
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "摄像机告警:东山口 · 视频丢失"
    assert "\n\n> 级别: **严重**" in body["markdown"]["text"]


async def test_feishu_signed_post_in_english(
    app: Any, admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    path = "/open-apis/bot/v2/hook/0f1e2d3c-aaaa-bbbb"
    secret = "feishu-secret"
    ch = await make_channel(
        admin, kind="feishu", url=receiver.url(path), secret=secret, locale="en"
    )
    await make_rule(admin, ch["id"])
    await dispatcher(app).notify(note())
    (req,) = await receiver.wait_for(path, 1)
    body = req.json()
    ts = body["timestamp"]
    assert abs(time.time() - int(ts)) < 3600
    key = f"{ts}\n{secret}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "post"
    post = body["content"]["post"]["en_us"]
    assert post["title"] == "Camera alert: Dongshan · Video lost"
    flat = json.dumps(post["content"], ensure_ascii=False)
    assert "Severity: Major" in flat and '"tag": "a"' in flat


async def test_text_format_and_exercise_label_on_every_robot(
    app: Any, admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    kinds = {"wecom": "/w", "dingtalk": "/d", "feishu": "/f", "webhook": "/h"}
    for kind, path in kinds.items():
        ch = await make_channel(admin, kind=kind, url=receiver.url(path), format="text")
        await make_rule(admin, ch["id"])
    await dispatcher(app).notify(note(is_exercise=True))
    for path in kinds.values():
        (req,) = await receiver.wait_for(path, 1)
        text = req.body.decode()
        assert "演练" in json.loads(text).__repr__() or "演练" in text
        decoded = json.dumps(req.json(), ensure_ascii=False)
        assert "演练" in decoded and "EXERCISE" in decoded, path
    assert receiver.at("/w")[0].json()["msgtype"] == "text"
    assert receiver.at("/f")[0].json()["msg_type"] == "text"
    assert receiver.at("/h")[0].json()["exercise"] is True


async def test_retries_5xx_with_exponential_backoff(
    app: Any, admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    sleeps = record_sleeps(dispatcher(app))
    receiver.reply("/hook", Reply(500), Reply(503), Reply(502))
    ch = await make_channel(admin, kind="webhook", url=receiver.url("/hook"))
    await make_rule(admin, ch["id"])
    await dispatcher(app).notify(note())
    await receiver.wait_for("/hook", 4)
    rows = await settle(admin, lambda rows: rows and rows[0]["status"] == "sent")
    assert rows[0]["attempts"] == 4
    assert "HTTP 502" in rows[0]["last_error"]  # the last failure stays visible
    # 0.05 * 2^n with up to half taken off by jitter: [0.025, 0.05], [0.05, 0.1], [0.1, 0.2].
    waits = list(sleeps.waits)
    assert len(waits) == 3
    for n, wait in enumerate(waits):
        assert 0.05 * 2**n * 0.5 <= wait <= 0.05 * 2**n
    assert len({round(w, 6) for w in waits}) == 3


async def test_timeouts_are_retried_and_permanent_errors_are_not(
    app: Any, admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.reply("/slow", Reply(delay=1.6))
    receiver.reply("/gone", Reply(404, {"error": "no such hook"}))
    slow = await make_channel(admin, name="slow", kind="webhook", url=receiver.url("/slow"))
    gone = await make_channel(admin, name="gone", kind="webhook", url=receiver.url("/gone"))
    for ch in (slow, gone):
        await make_rule(admin, ch["id"])
    await dispatcher(app).notify(note())
    rows = await settle(
        admin, lambda rows: {r["status"] for r in rows} == {"sent", "failed"} and len(rows) == 2
    )
    by_channel = {r["channel_name"]: r for r in rows}
    assert by_channel["slow"]["status"] == "sent" and by_channel["slow"]["attempts"] == 2
    assert "timed out" in by_channel["slow"]["last_error"]
    assert by_channel["gone"]["status"] == "failed" and by_channel["gone"]["attempts"] == 1
    assert by_channel["gone"]["response_code"] == 404
    assert len(receiver.at("/gone")) == 1


async def test_vendor_error_codes(app: Any, admin: httpx.AsyncClient, receiver: Receiver) -> None:
    """WeCom 45009 (too frequent) is retried; DingTalk 310000 (bad sign) fails at once;
    Retry-After is honoured (capped at backoff_max_s)."""
    sleeps = record_sleeps(dispatcher(app))
    receiver.reply("/w", Reply(body={"errcode": 45009, "errmsg": "api freq out of limit"}))
    receiver.reply("/d", Reply(body={"errcode": 310000, "errmsg": "sign not match"}))
    receiver.reply("/h", Reply(429, {"e": "slow down"}, headers={"Retry-After": "3"}))
    for kind, path in (("wecom", "/w"), ("dingtalk", "/d"), ("webhook", "/h")):
        ch = await make_channel(admin, name=kind, kind=kind, url=receiver.url(path))
        await make_rule(admin, ch["id"])
    await dispatcher(app).notify(note())
    rows = await settle(
        admin, lambda rows: len(rows) == 3 and all(r["status"] in ("sent", "failed") for r in rows)
    )
    by_channel = {r["channel_name"]: r for r in rows}
    assert by_channel["wecom"]["status"] == "sent" and by_channel["wecom"]["attempts"] == 2
    assert "45009" in by_channel["wecom"]["last_error"]
    assert by_channel["dingtalk"]["status"] == "failed" and by_channel["dingtalk"]["attempts"] == 1
    assert "310000" in by_channel["dingtalk"]["last_error"]
    assert by_channel["webhook"]["status"] == "sent"
    assert 0.4 in sleeps.waits  # Retry-After 3 s, capped at backoff_max_s 0.4
