"""Turn notifications (and floods of them) into one message in a channel's language."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from console.notify.notification import SEVERITIES, Localized, Notification, Severity, severity_rank

EXERCISE = Localized("【演练 EXERCISE】", "[EXERCISE 演练] ")
EXERCISE_NOTE = Localized(
    "演练 EXERCISE:这是演练消息,不是真实事件。",
    "EXERCISE 演练: this is an exercise, not a real event.",
)
SEVERITY = {
    "info": Localized("提示", "Info"),
    "warning": Localized("警告", "Warning"),
    "major": Localized("严重", "Major"),
    "critical": Localized("紧急", "Critical"),
}
LABELS = {
    "severity": Localized("级别", "Severity"),
    "time": Localized("时间", "Time"),
    "details": Localized("查看详情", "Open in the console"),
    "digest": Localized(
        "【摘要】{window}内共 {count} 条通知", "Digest: {count} notifications in {window}"
    ),
    "digest_body": Localized(
        "短时间内通知过多,已合并为一条摘要。",
        "Too many notifications at once; they are summarised here.",
    ),
    "more": Localized("……另有 {n} 条", "… and {n} more"),
    "test": Localized("测试消息", "Test message"),
    "test_body": Localized(
        "这是来自应急指挥平台的测试消息,通道“{name}”配置正确。",
        "This is a test message from EOC Console: channel “{name}” works.",
    ),
}


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One line of a digest."""

    severity: Severity
    title: str
    when: str


@dataclass(frozen=True, slots=True)
class Message:
    """A rendered message: what every channel kind formats its own way."""

    kind: str
    severity: Severity
    title: str
    body: str
    link: str | None
    when: str
    locale: str
    is_exercise: bool
    severity_label: str
    items: tuple[DigestItem, ...] = ()
    omitted: int = 0
    payload: dict[str, Any] = field(default_factory=dict)

    def label(self, key: str, **params: Any) -> str:
        """A fixed label in this message's language."""
        return LABELS[key].get(self.locale).format(**params)

    def lines(self) -> list[str]:
        """Body lines (exercise note first, then text, then digest items)."""
        out: list[str] = []
        if self.is_exercise:
            out.append(EXERCISE_NOTE.get(self.locale))
        out.extend(line for line in self.body.splitlines() if line.strip())
        for item in self.items:
            out.append(f"- [{SEVERITY[item.severity].get(self.locale)}] {item.title} ({item.when})")
        if self.omitted:
            out.append(self.label("more", n=self.omitted))
        return out


@dataclass(frozen=True, slots=True)
class RenderContext:
    """Site facts a message needs: the public address and the time zone."""

    public_url: str | None
    timezone: str

    def when(self, at: datetime) -> str:
        """A local timestamp with its zone."""
        return at.astimezone(ZoneInfo(self.timezone)).strftime("%Y-%m-%d %H:%M:%S %Z")

    def link(self, path: str | None) -> str | None:
        """An absolute link, when the console's public address is known."""
        if not path or not self.public_url:
            return None
        if path.startswith(("http://", "https://")):
            return path
        return self.public_url.rstrip("/") + "/" + path.lstrip("/")


def _title(text: str, is_exercise: bool, locale: str) -> str:
    return EXERCISE.get(locale) + text if is_exercise else text


def render(n: Notification, locale: str, ctx: RenderContext) -> Message:
    """One notification as a message in `locale`."""
    title = _title(n.title.get(locale), n.is_exercise, locale)
    link = ctx.link(n.link)
    when = ctx.when(n.occurred_at)
    payload: dict[str, Any] = {
        "type": "notification",
        "kind": n.kind,
        "severity": n.severity,
        "title": title,
        "body": n.body.get(locale),
        "link": link,
        "exercise": n.is_exercise,
        "unit_ids": sorted(n.unit_ids) if n.unit_ids is not None else None,
        "tags": sorted(n.tags),
        "occurred_at": n.occurred_at.isoformat(),
        "locale": locale,
        "data": dict(n.data),
    }
    return Message(
        kind=n.kind,
        severity=n.severity,
        title=title,
        body=n.body.get(locale),
        link=link,
        when=when,
        locale=locale,
        is_exercise=n.is_exercise,
        severity_label=SEVERITY[n.severity].get(locale),
        payload=payload,
    )


def _window(seconds: float, locale: str) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} 分钟" if locale != "en" else f"{minutes} min"
    return f"{seconds:g} 秒" if locale != "en" else f"{seconds:g} s"


def _common_link(items: Sequence[Notification]) -> str | None:
    links = {n.link for n in items}
    if len(links) == 1:
        return links.pop()
    if all(n.kind.startswith("camera.") for n in items):
        return "/#/health"
    return None


def render_digest(
    items: Sequence[Notification],
    locale: str,
    ctx: RenderContext,
    window_s: float,
    max_items: int,
) -> Message:
    """Many notifications as one summary; the worst severity leads, newest items listed first."""
    if not items:
        raise ValueError("a digest needs at least one notification")
    is_exercise = items[0].is_exercise
    if any(n.is_exercise != is_exercise for n in items):
        raise ValueError("a digest never mixes exercise and real notifications")
    worst: Severity = max((n.severity for n in items), key=severity_rank)
    counts = Counter(n.severity for n in items)
    shown = sorted(items, key=lambda n: (-severity_rank(n.severity), n.occurred_at))[:max_items]
    lines = [
        DigestItem(n.severity, _title(n.title.get(locale), False, locale), ctx.when(n.occurred_at))
        for n in shown
    ]
    title = _title(
        LABELS["digest"].get(locale).format(window=_window(window_s, locale), count=len(items)),
        is_exercise,
        locale,
    )
    summary = " · ".join(
        f"{SEVERITY[s].get(locale)} {counts[s]}" for s in reversed(SEVERITIES) if counts[s]
    )
    body = LABELS["digest_body"].get(locale) + "\n" + summary
    payload: dict[str, Any] = {
        "type": "digest",
        "kind": "digest",
        "severity": worst,
        "title": title,
        "body": body,
        "exercise": is_exercise,
        "count": len(items),
        "by_severity": {s: counts[s] for s in SEVERITIES if counts[s]},
        "items": [
            {
                "kind": n.kind,
                "severity": n.severity,
                "title": n.title.get(locale),
                "occurred_at": n.occurred_at.isoformat(),
            }
            for n in shown
        ],
        "window_s": window_s,
        "locale": locale,
    }
    return Message(
        kind="digest",
        severity=worst,
        title=title,
        body=body,
        link=ctx.link(_common_link(items)),
        when=ctx.when(max(n.occurred_at for n in items)),
        locale=locale,
        is_exercise=is_exercise,
        severity_label=SEVERITY[worst].get(locale),
        items=tuple(lines),
        omitted=len(items) - len(shown),
        payload=payload,
    )


def probe_notification(channel_name: str) -> Notification:
    """The message the "send test" button sends (reaching nobody else: no units)."""
    return Notification(
        kind="notify.test",
        severity="info",
        unit_ids=frozenset(),
        title=LABELS["test"],
        body=Localized(
            LABELS["test_body"].zh.format(name=channel_name),
            LABELS["test_body"].en.format(name=channel_name),
        ),
        link="/#/admin/notify",
    )
