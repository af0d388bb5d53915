"""Channel and rule checks and conversions shared by the routers."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from console.auth.policy import Resource
from console.errors import ProblemError
from console.notify.models import NotifyChannel, NotifyDelivery, NotifyRule
from console.notify.schemas import (
    EMAIL,
    KIND_PATTERN,
    TAG,
    ChannelOut,
    EmailOut,
    EmailSettings,
    LastDelivery,
    RuleOut,
)
from console.notify.targets import (
    DEFAULT_RATE,
    MAX_RATE,
    ROBOTS,
    check_url,
    host_allowed,
    mask_url,
    open_secrets,
    seal_secrets,
    vault,
)
from console.store.models import Unit

KIND_NAMES = {"wecom": "WeCom", "dingtalk": "DingTalk", "feishu": "Feishu"}


def invalid(loc: str, msg: str, kind: str = "value_error", status: int = 422) -> ProblemError:
    """A problem naming one bad field."""
    return ProblemError(
        status,
        f"{loc}: {msg}",
        code="validation",
        errors=[{"loc": loc, "msg": msg, "type": kind}],
    )


def channel_resource(channel: NotifyChannel) -> Resource:
    """A channel for authorize(): owned by its unit, never shared."""
    return Resource("notify_channel", str(channel.id), channel.unit_id)


async def check_unit(db: AsyncSession, loc: str, unit_id: int) -> None:
    """422 unless the unit exists."""
    if await db.get(Unit, unit_id) is None:
        raise invalid(loc, f"unit {unit_id} does not exist", "unknown_reference")


def check_rate(kind: str, rate: int) -> None:
    """Robots cannot be asked to take more than their vendor's limit."""
    if rate > MAX_RATE[kind]:
        name = KIND_NAMES.get(kind, kind)
        raise invalid(
            "body.rate_per_minute",
            f"{name} accepts at most {MAX_RATE[kind]} messages a minute",
            "less_than_equal",
        )


def check_email(email: EmailSettings | None, allowed: list[str]) -> EmailSettings:
    """The SMTP settings of an e-mail channel, each recipient checked."""
    if email is None:
        raise invalid("body.email", "e-mail channels need SMTP settings", "missing")
    for i, addr in enumerate(email.to):
        if not re.match(EMAIL, addr) or len(addr) > 254:
            raise invalid(f"body.email.to[{i}]", f"{addr!r} is not an e-mail address")
    if not host_allowed(email.host, allowed):
        raise invalid("body.email.host", f"host {email.host} is not in [notify] allowed_hosts")
    return email


def check_target(kind: str, url: str | None, secret: str | None, allowed: list[str]) -> None:
    """The URL and secret fit the channel kind."""
    if kind == "email":
        if url:
            raise invalid(
                "body.url", "e-mail channels have no URL; set email.host", "extra_forbidden"
            )
        if secret:
            raise invalid(
                "body.secret", "e-mail channels sign nothing; use password", "extra_forbidden"
            )
        return
    if not url:
        raise invalid("body.url", "required for this kind of channel", "missing")
    problem = check_url(url, allowed)
    if problem:
        raise invalid("body.url", problem, "malformed_url")
    if kind == "wecom" and secret:
        raise invalid(
            "body.secret",
            "WeCom group robots have no signing secret: the key in the URL is the credential",
            "extra_forbidden",
        )


def apply_secrets(
    channel: NotifyChannel, secret_key: bytes, changes: dict[str, str | None]
) -> None:
    """Merge write-only values: None keeps, "" clears, anything else replaces."""
    v = vault(secret_key)
    values = open_secrets(v, channel.secrets_enc)
    for key, value in changes.items():
        if value is None:
            continue
        if value == "":
            values.pop(key, None)
        else:
            values[key] = value
    channel.secrets_enc = seal_secrets(v, values)
    config = dict(channel.config)
    config["url_masked"] = mask_url(values["url"]) if values.get("url") else None
    config["has_secret"] = bool(values.get("secret"))
    config["has_password"] = bool(values.get("password"))
    channel.config = config


def current_url(channel: NotifyChannel, secret_key: bytes) -> str:
    """The stored target URL (server side only)."""
    return open_secrets(vault(secret_key), channel.secrets_enc).get("url", "")


def default_rate(kind: str) -> int:
    """Messages per minute a new channel of this kind allows."""
    return DEFAULT_RATE[kind]


def is_robot(kind: str) -> bool:
    """WeCom, DingTalk or Feishu."""
    return kind in ROBOTS


async def channel_out(db: AsyncSession, channel: NotifyChannel) -> ChannelOut:
    """The API form of a channel (masks and flags only)."""
    cfg: dict[str, Any] = channel.config
    rules = await db.scalar(
        select(func.count()).select_from(NotifyRule).where(NotifyRule.channel_id == channel.id)
    )
    last = await db.scalar(
        select(NotifyDelivery)
        .where(NotifyDelivery.channel_id == channel.id)
        .order_by(NotifyDelivery.id.desc())
        .limit(1)
    )
    email = cfg.get("email")
    return ChannelOut(
        id=channel.id,
        name=channel.name,
        unit_id=channel.unit_id,
        kind=channel.kind,
        enabled=channel.enabled,
        locale=channel.locale,
        format=cfg.get("format", "markdown"),
        url_masked=cfg.get("url_masked"),
        has_secret=bool(cfg.get("has_secret")),
        has_password=bool(cfg.get("has_password")),
        email=EmailOut(**email) if email else None,
        rate_per_minute=channel.rate_per_minute,
        digest_threshold=channel.digest_threshold,
        digest_window_s=channel.digest_window_s,
        rule_count=int(rules or 0),
        last_delivery=LastDelivery(status=last.status, at=last.updated_at, error=last.last_error)
        if last
        else None,
        version=channel.version,
        created_at=channel.created_at,
        updated_at=channel.updated_at,
    )


def rule_out(rule: NotifyRule) -> RuleOut:
    """The API form of a rule."""
    return RuleOut(
        id=rule.id,
        channel_id=rule.channel_id,
        name=rule.name,
        enabled=rule.enabled,
        kinds=list(rule.kinds),
        min_severity=rule.min_severity,
        tags=list(rule.tags),
        unit_ids=list(rule.unit_ids),
        exercise=rule.exercise,
        version=rule.version,
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


def check_rule_lists(kinds: list[str] | None, tags: list[str] | None) -> None:
    """Kind patterns and tags are short tokens without spaces or commas."""
    for i, kind in enumerate(kinds or []):
        if not re.match(KIND_PATTERN, kind):
            raise invalid(
                f"body.kinds[{i}]",
                f"{kind!r} is not a kind pattern (lower-case letters, digits, . _ - and * ?)",
                "string_pattern_mismatch",
            )
    for i, tag in enumerate(tags or []):
        if not re.match(TAG, tag):
            raise invalid(
                f"body.tags[{i}]",
                f"{tag!r} is not a tag (no spaces or commas)",
                "string_pattern_mismatch",
            )


async def check_rule_units(
    db: AsyncSession, unit_ids: list[int] | None, channel_scope: frozenset[int]
) -> None:
    """Rule units exist and lie within the channel's unit (a rule never widens what it sees)."""
    for i, uid in enumerate(unit_ids or []):
        loc = f"body.unit_ids[{i}]"
        await check_unit(db, loc, uid)
        if uid not in channel_scope:
            raise invalid(loc, f"unit {uid} is outside the channel's unit", "outside_scope")
