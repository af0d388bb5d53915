"""The typed notification every producer hands to the dispatcher (health alerts, incidents)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

from console.store.models import utcnow

Severity = Literal["info", "warning", "major", "critical"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
Locale = Literal["zh-CN", "en"]
LOCALES: tuple[Locale, ...] = get_args(Locale)


def severity_rank(severity: str) -> int:
    """0 for info up to 3 for critical; unknown values rank as warning."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else 1


@dataclass(frozen=True, slots=True)
class Localized:
    """A text in both UI languages; messages use the channel's locale."""

    zh: str
    en: str

    @classmethod
    def same(cls, text: str) -> Localized:
        """One text for both languages (names, ids)."""
        return cls(text, text)

    def get(self, locale: str) -> str:
        """The text for a locale (zh-CN or en)."""
        return self.en if locale == "en" else self.zh


@dataclass(frozen=True, slots=True)
class Notification:
    """Something people should hear about, with who may see it.

    kind       dotted type used by routing rules, e.g. camera.fault, camera.recovered,
               incident.opened, drill.started (rules match it with shell patterns: incident.*).
    severity   info < warning < major < critical.
    unit_ids   units that may see it (for a camera: its owner and the units it is shared with).
               A channel only receives it when the channel's unit or a unit below it is among
               them. None means site-wide (every unit may see it); an empty set reaches nobody.
    tags       free tags (camera tags, incident tags) rules can select on.
    title/body localized texts; the dispatcher adds the exercise label and severity itself.
    link       path inside the console (e.g. /#/health?camera=c1); made absolute with
               [notify] public_url, left out of messages when that is not set.
    is_exercise  an exercise/drill event: every message is labelled 演练 / EXERCISE and
               digests never mix exercise and real messages.
    data       extra JSON-ready facts passed through to generic webhooks.
    """

    kind: str
    severity: Severity
    unit_ids: frozenset[int] | None
    title: Localized
    body: Localized
    tags: frozenset[str] = frozenset()
    link: str | None = None
    is_exercise: bool = False
    occurred_at: datetime = field(default_factory=utcnow)
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}")
        if not self.kind or len(self.kind) > 64:
            raise ValueError("kind must be 1-64 characters")
