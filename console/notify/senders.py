"""Deliver one rendered message to one channel; failures say whether a retry can help."""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

from console.notify import formats
from console.notify.mail import send_mail
from console.notify.render import Message
from console.notify.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    dingtalk_sign,
    feishu_sign,
    webhook_signature,
)
from console.notify.targets import DeliveryError, Target, check_url

USER_AGENT = "EOC-Console-Notify/1"
# Vendor error codes that mean "later": WeCom 45009 (frequency) and -1 (busy), DingTalk 130101
# (sending too fast) and -1, Feishu 11232 (rate limited) and 9499 (too many requests).
RETRY_CODES = {"wecom": {45009, -1}, "dingtalk": {130101, -1}, "feishu": {11232, 9499}}


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def check_status(resp: httpx.Response) -> None:
    """Raise for a non-2xx answer: 408, 425, 429 and 5xx may pass later, other 4xx never."""
    if 200 <= resp.status_code < 300:
        return
    retryable = resp.status_code in (408, 425, 429) or resp.status_code >= 500
    raise DeliveryError(
        f"HTTP {resp.status_code}: {resp.text[:200]}",
        retryable=retryable,
        status=resp.status_code,
        retry_after=_retry_after(resp.headers.get("retry-after")),
    )


def _vendor_answer(kind: str, resp: httpx.Response) -> None:
    """Robots answer HTTP 200 with an error code in the JSON body; 0 means delivered."""
    try:
        answer: Any = resp.json()
    except ValueError as exc:
        raise DeliveryError(
            f"{kind} answered something that is not JSON: {resp.text[:200]!r}",
            retryable=False,
            status=resp.status_code,
        ) from exc
    if not isinstance(answer, dict):
        raise DeliveryError(f"{kind} answered {answer!r}", retryable=False)
    key = "code" if kind == "feishu" else "errcode"
    code = answer.get(key, answer.get("StatusCode"))
    if code == 0:
        return
    message = answer.get("msg") or answer.get("errmsg") or answer.get("StatusMessage") or ""
    raise DeliveryError(
        f"{kind} refused the message: {key} {code} {message}".strip(),
        retryable=code in RETRY_CODES[kind],
        status=resp.status_code,
    )


def _with_query(url: str, extra: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode(extra)]))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def robot_request(target: Target, m: Message, now: float) -> tuple[str, dict[str, Any]]:
    """The URL and JSON body for a group robot, signed when the channel has a secret."""
    fmt = str(target.config.get("format", "markdown"))
    url = target.url
    if target.kind == "wecom":
        return url, formats.wecom(m, fmt)
    if target.kind == "dingtalk":
        body = formats.dingtalk(m, fmt)
        if target.secret:
            ts = int(now * 1000)
            url = _with_query(url, {"timestamp": str(ts), "sign": dingtalk_sign(target.secret, ts)})
        return url, body
    body = formats.feishu(m, fmt)
    if target.secret:
        ts = int(now)
        body = {"timestamp": str(ts), "sign": feishu_sign(target.secret, ts), **body}
    return url, body


def webhook_request(
    target: Target, m: Message, delivery_id: int, now: float
) -> tuple[bytes, dict[str, str]]:
    """The JSON body and headers of a generic webhook, signed when the channel has a secret."""
    body = json.dumps(
        {"id": delivery_id, **m.payload}, ensure_ascii=False, separators=(",", ":")
    ).encode()
    ts = int(now)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-EOC-Delivery": str(delivery_id),
        "X-EOC-Event": m.kind,
        TIMESTAMP_HEADER: str(ts),
    }
    if target.secret:
        headers[SIGNATURE_HEADER] = webhook_signature(target.secret, ts, body)
    return body, headers


async def deliver(
    target: Target,
    m: Message,
    delivery_id: int,
    client: httpx.AsyncClient,
    allowed_hosts: list[str],
    timeout_s: float,
) -> int | None:
    """Send once; return the HTTP status (None for e-mail) or raise DeliveryError."""
    if target.kind == "email":
        await send_mail(target, m, allowed_hosts, timeout_s)
        return None
    problem = check_url(target.url, allowed_hosts)
    if problem:
        raise DeliveryError(f"target URL {problem}", retryable=False)
    now = time.time()
    try:
        if target.kind == "webhook":
            body, headers = webhook_request(target, m, delivery_id, now)
            resp = await client.post(target.url, content=body, headers=headers, timeout=timeout_s)
            check_status(resp)
            return resp.status_code
        url, payload = robot_request(target, m, now)
        resp = await client.post(
            url, json=payload, headers={"User-Agent": USER_AGENT}, timeout=timeout_s
        )
    except httpx.TimeoutException as exc:
        raise DeliveryError(f"timed out after {timeout_s:g} s", retryable=True) from exc
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}", retryable=True) from exc
    check_status(resp)
    _vendor_answer(target.kind, resp)
    return resp.status_code
