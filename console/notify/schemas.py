"""Request/response models for channels, rules and the delivery log (secrets are write-only)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from console.notify.notification import Locale, Severity
from console.notify.targets import ChannelKind

EMAIL = r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$"
HOST = r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$"
KIND_PATTERN = r"^[a-z0-9_.*?\[\]-]{1,64}$"
TAG = r"^[^\s,]{1,50}$"
Format = Literal["markdown", "text"]
Security = Literal["starttls", "ssl", "none"]
ExerciseMode = Literal["include", "exclude", "only"]


class EmailSettings(BaseModel):
    """SMTP server and recipients of an e-mail channel (the password is a separate field)."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(pattern=HOST, max_length=253, description="SMTP server host name.")
    port: int = Field(587, ge=1, le=65535, description="SMTP port (587 STARTTLS, 465 SSL).")
    security: Security = Field("starttls", description="starttls, ssl (implicit TLS) or none.")
    verify_tls: bool = Field(True, description="Check the server's certificate.")
    username: str = Field("", max_length=200, description="SMTP login; empty: no login.")
    from_addr: str = Field(pattern=EMAIL, max_length=254, description="Sender address.")
    from_name: str = Field("", max_length=100, description="Sender display name.")
    to: list[str] = Field(
        min_length=1, max_length=50, description="Recipient addresses (at least one)."
    )


class ChannelCreate(BaseModel):
    """A new channel. url, secret and password are write-only: never returned."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="Display name.")
    unit_id: int = Field(description="Unit that owns the channel (its admins manage it).")
    kind: ChannelKind = Field(description="webhook, email, wecom, dingtalk or feishu.")
    enabled: bool = Field(True, description="Disabled channels receive nothing.")
    locale: Locale = Field("zh-CN", description="Language of the messages.")
    url: str | None = Field(
        None, max_length=1000, description="Target URL (webhook and robots); write-only."
    )
    secret: str | None = Field(
        None,
        max_length=500,
        description="Signing secret: HMAC for webhooks, 加签 for DingTalk, 签名校验 for Feishu; "
        "write-only.",
    )
    password: str | None = Field(None, max_length=500, description="SMTP password; write-only.")
    format: Format = Field("markdown", description="Robot message format: markdown or text.")
    email: EmailSettings | None = Field(None, description="SMTP settings (e-mail channels).")
    rate_per_minute: int | None = Field(
        None, ge=1, description="Most messages per minute; default by kind (robots: vendor limit)."
    )
    digest_threshold: int | None = Field(
        None, ge=1, le=1000, description="More messages than this within the window: one digest."
    )
    digest_window_s: int | None = Field(None, ge=1, le=3600, description="Digest window (s).")


class ChannelPatch(BaseModel):
    """Changes to a channel; absent fields stay; secret or password "" clears them."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=100, description="Display name.")
    unit_id: int | None = Field(None, description="New owning unit.")
    enabled: bool | None = Field(None, description="On or off.")
    locale: Locale | None = Field(None, description="Language of the messages.")
    url: str | None = Field(None, min_length=1, max_length=1000, description="New target URL.")
    secret: str | None = Field(None, max_length=500, description="New signing secret ('' clears).")
    password: str | None = Field(None, max_length=500, description="New SMTP password ('' clears).")
    format: Format | None = Field(None, description="Robot message format.")
    email: EmailSettings | None = Field(None, description="SMTP settings.")
    rate_per_minute: int | None = Field(None, ge=1, description="Most messages per minute.")
    digest_threshold: int | None = Field(None, ge=1, le=1000, description="Digest threshold.")
    digest_window_s: int | None = Field(None, ge=1, le=3600, description="Digest window (s).")


class EmailOut(BaseModel):
    """SMTP settings as shown (no password)."""

    host: str
    port: int
    security: Security
    verify_tls: bool
    username: str
    from_addr: str
    from_name: str
    to: list[str]


class LastDelivery(BaseModel):
    """The newest delivery of a channel."""

    status: str
    at: datetime
    error: str


class ChannelOut(BaseModel):
    """A channel as the API shows it: secrets only as masks and flags."""

    id: int
    name: str
    unit_id: int
    kind: ChannelKind
    enabled: bool
    locale: Locale
    format: Format
    url_masked: str | None
    has_secret: bool
    has_password: bool
    email: EmailOut | None
    rate_per_minute: int
    digest_threshold: int | None
    digest_window_s: int | None
    rule_count: int
    last_delivery: LastDelivery | None
    version: int
    created_at: datetime
    updated_at: datetime


class RuleFields(BaseModel):
    """What a rule selects."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="Display name.")
    enabled: bool = Field(True, description="Disabled rules match nothing.")
    kinds: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Kinds to match, shell patterns such as camera.* or incident.opened; "
        "empty: every kind.",
    )
    min_severity: Severity = Field("warning", description="Least severity: info..critical.")
    tags: list[str] = Field(
        default_factory=list, max_length=50, description="Match any of these tags; empty: any."
    )
    unit_ids: list[int] = Field(
        default_factory=list,
        max_length=200,
        description="Only notifications about these units (and units below them); empty: all "
        "the channel's unit may see.",
    )
    exercise: ExerciseMode = Field(
        "include", description="Exercise messages: include, exclude or only."
    )


class RuleCreate(RuleFields):
    """A new rule for a channel."""

    channel_id: int = Field(description="Channel the rule sends to.")


class RulePatch(BaseModel):
    """Changes to a rule; absent fields stay."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=100, description="Display name.")
    enabled: bool | None = Field(None, description="On or off.")
    kinds: list[str] | None = Field(None, max_length=50, description="Kind patterns.")
    min_severity: Severity | None = Field(None, description="Least severity.")
    tags: list[str] | None = Field(None, max_length=50, description="Any of these tags.")
    unit_ids: list[int] | None = Field(None, max_length=200, description="Unit filter.")
    exercise: ExerciseMode | None = Field(None, description="include, exclude or only.")


class RuleOut(RuleFields):
    """A rule as shown."""

    id: int
    channel_id: int
    version: int
    created_at: datetime
    updated_at: datetime


class DeliveryOut(BaseModel):
    """One row of the delivery log."""

    id: int
    channel_id: int
    channel_name: str
    unit_id: int
    created_at: datetime
    updated_at: datetime | None
    kind: str
    severity: str
    title: str
    is_exercise: bool
    is_test: bool
    status: str
    attempts: int
    last_error: str
    response_code: int | None
    digest_count: int | None
    digest_id: int | None
    sent_at: datetime | None


class DeliveryPage(BaseModel):
    """A page of the delivery log, newest first."""

    items: list[DeliveryOut]
    next_before_id: int | None
