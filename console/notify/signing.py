"""Request signatures: our generic webhook's, DingTalk's 加签 and Feishu's 签名校验."""

from __future__ import annotations

import base64
import hashlib
import hmac

SIGNATURE_HEADER = "X-EOC-Signature"
TIMESTAMP_HEADER = "X-EOC-Timestamp"


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256(secret, "<unix seconds>." + body).

    The timestamp is inside the signed text so a receiver that refuses timestamps older than a
    few minutes also refuses a replayed request (the scheme Stripe and GitHub-style receivers use).
    """
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_webhook(
    secret: str, timestamp: str, body: bytes, signature: str, now: float, tolerance_s: float = 300
) -> bool:
    """What a receiver does: a fresh timestamp and a matching signature (constant time)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance_s:
        return False
    return hmac.compare_digest(webhook_signature(secret, int(timestamp), body), signature)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk custom robot 加签: Base64(HMAC-SHA256(key=secret, msg=f"{ts}\\n{secret}")).

    Sent as the query parameters timestamp (milliseconds) and sign (URL-encoded); DingTalk
    rejects a timestamp more than an hour from its clock. See 自定义机器人安全设置,
    https://open.dingtalk.com/document/robots/customize-robot-security-settings
    """
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu/Lark custom bot 签名校验: Base64(HMAC-SHA256(key=f"{ts}\\n{secret}", msg=b"")).

    Note the key is the "timestamp\\nsecret" string and the message is empty (unlike DingTalk);
    the timestamp is in seconds and goes into the JSON body beside "sign". See 自定义机器人使用指南,
    https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
    """
    mac = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()
