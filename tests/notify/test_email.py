"""E-mail channels against a real SMTP server (aiosmtpd): STARTTLS with login, implicit TLS,
text + HTML alternative in the channel's language, temporary refusals retried."""

from __future__ import annotations

from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import httpx

from tests.notify.conftest import dispatcher, make_channel, make_rule
from tests.notify.helpers import note, settle
from tests.notify.peers import smtp_server


def decoded(header: Any) -> str:
    """A header with its RFC 2047 encoded words decoded."""
    return str(make_header(decode_header(str(header))))


def _email(controller: Any, **kw: Any) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": controller.port,
        "from_addr": "eoc@district.example.cn",
        "from_name": "应急指挥平台",
        "to": ["duty@district.example.cn", "lead@district.example.cn"],
        "verify_tls": False,
        **kw,
    }


async def test_starttls_login_and_multipart_in_chinese(
    app: Any, admin: httpx.AsyncClient, tmp_path: Path
) -> None:
    controller, box = smtp_server(tmp_path, mode="starttls", user="eoc", password="mail-pass-1")
    try:
        ch = await make_channel(
            admin,
            kind="email",
            password="mail-pass-1",
            email=_email(controller, security="starttls", username="eoc"),
        )
        await make_rule(admin, ch["id"])
        await dispatcher(app).notify(note(is_exercise=True, severity="critical"))
        (mail,) = await box.wait_for(1)
        envelope = box.messages[0][0]
        assert sorted(envelope.rcpt_tos) == ["duty@district.example.cn", "lead@district.example.cn"]
        subject = decoded(mail["Subject"])
        assert subject.startswith("【演练 EXERCISE】摄像机告警")
        assert mail["X-EOC-Exercise"] == "yes" and mail["X-EOC-Severity"] == "critical"
        assert mail.get_content_type() == "multipart/alternative"
        text, html = mail.get_payload()
        assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
        plain = text.get_payload(decode=True).decode()
        assert "演练 EXERCISE" in plain and "级别: 紧急" in plain
        assert "https://eoc.example.gov.cn/#/health/camera/street-a-cam" in plain
        markup = html.get_payload(decode=True).decode()
        assert '<html lang="zh-CN">' in markup and "演练 EXERCISE" in markup
        await settle(admin, lambda rows: rows and rows[0]["status"] == "sent")
    finally:
        controller.stop()


async def test_wrong_password_fails_without_retrying(
    app: Any, admin: httpx.AsyncClient, tmp_path: Path
) -> None:
    controller, box = smtp_server(tmp_path, mode="starttls", user="eoc", password="right")
    try:
        ch = await make_channel(
            admin,
            kind="email",
            password="wrong",
            email=_email(controller, username="eoc"),
        )
        r = await admin.post(f"/api/notify/channels/{ch['id']}/test")
        row = r.json()
        assert row["status"] == "failed" and "SMTP 535" in row["last_error"], row
        assert box.messages == []
    finally:
        controller.stop()


async def test_implicit_tls_in_english_and_temporary_refusal_retried(
    app: Any, admin: httpx.AsyncClient, tmp_path: Path
) -> None:
    controller, box = smtp_server(tmp_path, mode="ssl")
    box.refuse.append("451 4.3.0 try again later")
    try:
        ch = await make_channel(
            admin,
            kind="email",
            locale="en",
            email=_email(controller, security="ssl", port=controller.port),
        )
        await make_rule(admin, ch["id"])
        await dispatcher(app).notify(note())
        (mail,) = await box.wait_for(1)
        assert decoded(mail["Subject"]) == "Camera alert: Dongshan · Video lost"
        text = mail.get_payload()[0].get_payload(decode=True).decode()
        assert "Severity: Major" in text
        rows = await settle(admin, lambda rows: rows and rows[0]["status"] == "sent")
        assert rows[0]["attempts"] == 2 and "451" in rows[0]["last_error"]
    finally:
        controller.stop()


async def test_plain_smtp_refused_recipient_is_final(
    app: Any, admin: httpx.AsyncClient, tmp_path: Path
) -> None:
    controller, box = smtp_server(tmp_path, mode="plain")
    box.refuse.append("554 5.7.1 message refused")
    try:
        ch = await make_channel(admin, kind="email", email=_email(controller, security="none"))
        r = await admin.post(f"/api/notify/channels/{ch['id']}/test")
        assert r.json()["status"] == "failed" and "554" in r.json()["last_error"]
        r = await admin.post(f"/api/notify/channels/{ch['id']}/test")
        assert r.json()["status"] == "sent"
        (mail,) = await box.wait_for(1)
        assert decoded(mail["Subject"]) == "测试消息"
    finally:
        controller.stop()
