"""Channel kinds, their decrypted runtime form, URL checks and masking."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, get_args
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from console.cameras.secrets import Vault

ChannelKind = Literal["webhook", "email", "wecom", "dingtalk", "feishu"]
CHANNEL_KINDS: tuple[ChannelKind, ...] = get_args(ChannelKind)
ROBOTS = frozenset({"wecom", "dingtalk", "feishu"})

# Messages per minute each group robot accepts (more are refused or throttled):
# WeCom 20/min (https://developer.work.weixin.qq.com/document/path/91770),
# DingTalk 20/min, then muted for 10 minutes (https://open.dingtalk.com/document/robots/custom-robot-access),
# Feishu 100/min and 5/s (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot).
DEFAULT_RATE: dict[str, int] = {
    "webhook": 60,
    "email": 30,
    "wecom": 20,
    "dingtalk": 20,
    "feishu": 100,
}
MAX_RATE: dict[str, int] = {**DEFAULT_RATE, "webhook": 6000, "email": 600}


class DeliveryError(Exception):
    """A failed attempt; `retryable` tells the dispatcher whether to try again."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


def vault(secret: bytes) -> Vault:
    """The vault for channel secrets (same AES-GCM mechanism as camera URLs, its own key)."""
    return Vault(secret, b"eoc-console notify secrets v1", b"notify")


@dataclass(frozen=True, slots=True)
class Target:
    """A channel as the senders need it: kind, locale, decrypted secrets, plain config."""

    id: int
    name: str
    kind: str
    unit_id: int
    locale: str
    url: str = ""
    secret: str = ""
    password: str = ""
    config: dict[str, Any] = field(default_factory=dict)


def seal_secrets(v: Vault, values: dict[str, str]) -> str:
    """Encrypt the write-only values of a channel (empty values are left out)."""
    kept = {k: val for k, val in values.items() if val}
    return v.seal(json.dumps(kept)) if kept else ""


def open_secrets(v: Vault, sealed: str) -> dict[str, str]:
    """Decrypt a channel's write-only values."""
    if not sealed:
        return {}
    data = json.loads(v.open(sealed))
    return {str(k): str(val) for k, val in data.items()}


def host_allowed(host: str, allowed: list[str]) -> bool:
    """Whether a target host is on the allowlist (empty list: any host)."""
    if not allowed:
        return True
    host = host.lower().rstrip(".")
    return any(host == a.lower() or host.endswith("." + a.lower().lstrip(".")) for a in allowed)


def check_url(url: str, allowed: list[str]) -> str | None:
    """None when `url` is a usable http(s) target, else what is wrong with it."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"not a valid URL: {exc}"
    if parts.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if not parts.hostname:
        return "has no host"
    if parts.username or parts.password:
        return "must not carry a user name or password"
    if port == 0:
        return "port 0 is not allowed"
    if not host_allowed(parts.hostname, allowed):
        return f"host {parts.hostname} is not in [notify] allowed_hosts"
    return None


def mask_url(url: str) -> str:
    """The URL with its credentials hidden: query values and long path segments (tokens)."""
    parts = urlsplit(url)
    segments = [(s[:4] + "…" if len(s) >= 16 else s) for s in parts.path.split("/")]
    query = "&".join(f"{k}=***" for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, parts.netloc, "/".join(segments), query, ""))
