"""The one place events become notifications: camera health alerts today.

`camera_alert_notification(event, store)` maps a `camera.alert` bus event (the alert row that
console/health/recorder.py publishes on every change) to a Notification, or None when the change
is not worth a message:

- opened (state open, no recovered_at)   -> kind camera.fault
- recovered (recovered_at set)           -> kind camera.recovered, severity info
- acknowledged / closed by a person      -> None (people did it; the log and audit show it)
- the same transition seen again         -> None (an acknowledgement re-publishes the row)

It prefers fields the alert event carries and fills in what it lacks from the camera row, so it
keeps working as health alerts grow: `transition` (opened, reopened, recovered, ...),
`severity`, `unit_ids`, `tags`, `occurrences` and `camera_name` are used when present.
Without them: unit_ids are the event's audience (owner and sharing units), tags the camera's
tags plus "key_camera" for key cameras, and severity critical for an offline key camera, major
for another offline camera, warning for an image fault. Incident and drill producers skip this
adapter and call `Dispatcher.notify()` with their own Notification.
"""

from __future__ import annotations

import functools
import json
import logging
from collections import OrderedDict
from typing import Any
from urllib.parse import quote

from console.cameras.models import Camera
from console.events import Event
from console.notify.notification import SEVERITIES, Localized, Notification, Severity
from console.store.engine import Store

log = logging.getLogger(__name__)
SEVERITY_ALIASES: dict[str, Severity] = {
    "low": "info",
    "minor": "warning",
    "medium": "warning",
    "high": "major",
    "error": "major",
}
QUIET_TRANSITIONS = frozenset({"acknowledged", "closed", "ack", "close"})


@functools.cache
def _catalogue(locale: str) -> dict[str, str]:
    from console.app import web_root

    try:
        data: dict[str, str] = json.loads(
            (web_root() / "i18n" / f"{locale}.json").read_text(encoding="utf-8")
        )
    except (OSError, ValueError):
        log.warning("no %s message catalogue for notification texts", locale)
        return {}
    return data


def fault_label(kind: str) -> Localized:
    """The UI's name of a fault kind (web/i18n health.reason.*), in both languages."""
    key = f"health.reason.{kind}"
    return Localized(_catalogue("zh-CN").get(key, kind), _catalogue("en").get(key, kind))


def _severity(data: dict[str, Any], kind: str, offline: bool, key_camera: bool) -> Severity:
    if kind == "camera.recovered":
        return "info"  # the event carries the alert's severity; a recovery is news only
    given = str(data.get("severity") or "").lower()
    if given in SEVERITIES:
        return given
    if given in SEVERITY_ALIASES:
        return SEVERITY_ALIASES[given]
    if offline:
        return "critical" if key_camera else "major"
    return "warning"


def _transition(data: dict[str, Any]) -> str | None:
    given = data.get("transition")
    if isinstance(given, str) and given:
        return None if given in QUIET_TRANSITIONS else given
    if data.get("state") == "closed":
        return None
    if data.get("recovered_at"):
        return "recovered"
    return "opened" if data.get("state") == "open" else None


class CameraAlertAdapter:
    """Maps camera.alert events to notifications, remembering recent ones to skip repeats."""

    def __init__(self, store: Store, remember: int = 4096) -> None:
        self.store = store
        self._seen: OrderedDict[tuple[Any, ...], None] = OrderedDict()
        self._remember = remember

    def _repeat(self, key: tuple[Any, ...]) -> bool:
        if key in self._seen:
            self._seen.move_to_end(key)
            return True
        self._seen[key] = None
        if len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        return False

    async def __call__(self, event: Event) -> Notification | None:
        """The notification for a camera.alert event, or None."""
        if event.type != "camera.alert":
            return None
        data = event.data
        transition = _transition(data)
        if transition is None:
            return None
        kind = "camera.recovered" if transition == "recovered" else "camera.fault"
        occurrences = data.get("occurrences")
        key = (data.get("id"), transition, occurrences, data.get("recovered_at"))
        if self._repeat(key):
            return None
        async with self.store.session() as db:
            camera = await db.get(Camera, str(data.get("camera_id")))
            if camera is None:
                return None
            name = str(data.get("camera_name") or camera.name)
            units = {camera.owner_unit_id, *camera.shared_unit_ids}
            cam_tags = set(camera.tags) | ({"key_camera"} if camera.key_camera else set())
            key_camera = camera.key_camera
        unit_ids = data.get("unit_ids")
        if unit_ids is None:
            unit_ids = event.audience.unit_ids if event.audience.unit_ids is not None else units
        tags = data.get("tags")
        fault = str(data.get("kind") or "degraded")
        label = fault_label(fault)
        if kind == "camera.fault":
            title = Localized(
                f"摄像机告警:{name} · {label.zh}", f"Camera alert: {name} · {label.en}"
            )
            if isinstance(occurrences, int) and occurrences > 1:
                body = Localized(
                    f"摄像机 {name}({camera.id})出现“{label.zh}”,近期第 {occurrences} 次。",
                    f"Camera {name} ({camera.id}): {label.en}, occurrence {occurrences}.",
                )
            else:
                body = Localized(
                    f"摄像机 {name}({camera.id})出现“{label.zh}”。",
                    f"Camera {name} ({camera.id}): {label.en}.",
                )
        else:
            title = Localized(
                f"摄像机恢复:{name} · {label.zh}", f"Camera recovered: {name} · {label.en}"
            )
            body = Localized(
                f"摄像机 {name}({camera.id})的“{label.zh}”已恢复。",
                f"Camera {name} ({camera.id}) recovered from: {label.en}.",
            )
        return Notification(
            kind=kind,
            severity=_severity(data, kind, fault == "offline", key_camera),
            unit_ids=frozenset(int(u) for u in unit_ids),
            # The event's tags are the camera's own; routing also knows a key camera by tag.
            tags=frozenset(str(t) for t in (tags if isinstance(tags, list) else cam_tags))
            | ({"key_camera"} if key_camera else frozenset()),
            title=title,
            body=body,
            link=f"/#/health/camera/{quote(camera.id, safe='')}",
            is_exercise=bool(data.get("is_exercise", False)),
            occurred_at=event.ts,
            data={
                "camera_id": camera.id,
                "camera_name": name,
                "alert_id": data.get("id"),
                "fault": fault,
                "transition": transition,
                "occurrences": occurrences,
            },
        )
