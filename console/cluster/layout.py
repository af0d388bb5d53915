"""JetStream layout: a stream per event family and one numbered stream of all events.

Publishers write `<prefix>.<family>.<type>` (e.g. `eoc.camera.camera.alert`) into the family's
stream (EOC_CAMERA), which has its own retention so a flood of one family never pushes another
out. EOC_EVENTS sources every family stream: its stream sequence is the event id clients see,
the same on every node, so `?since=<id>` resumes anywhere.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, StorageType, StreamConfig, StreamSource
from nats.js.errors import NotFoundError

from console.events.bus import Audience, Event
from console.settings import ClusterSettings

log = logging.getLogger(__name__)

# Event type prefix -> family. A prefix not listed goes to the "other" family.
FAMILIES: dict[str, str] = {
    "audit": "audit",
    "camera": "camera",
    "cameras": "camera",
    "health": "camera",
    "patrol": "camera",
    "drill": "drill",
    "drills": "drill",
    "incident": "incident",
    "quake": "incident",
    "exercise": "incident",
    "gis": "gis",
    "readiness": "gis",
    "notify": "notify",
    "user": "access",
    "token": "access",
    "unit": "access",
    "session": "access",
    "wall": "wall",
    "walls": "wall",
    "live": "wall",
    "cluster": "cluster",
    "worker": "cluster",
}
OTHER = "other"
ALL_FAMILIES: tuple[str, ...] = tuple(sorted({*FAMILIES.values(), OTHER}))
DUPLICATE_WINDOW_S = 120.0
_TYPE = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")


def family_of(event_type: str) -> str:
    """The family an event type belongs to (by its first dotted part)."""
    return FAMILIES.get(event_type.split(".", 1)[0], OTHER)


class Layout:
    """Stream and subject names for one deployment prefix."""

    def __init__(self, cfg: ClusterSettings) -> None:
        self.cfg = cfg
        self.prefix = cfg.stream_prefix
        self.root = cfg.stream_prefix.lower()
        self.events = f"{self.prefix}_EVENTS"

    def stream(self, family: str) -> str:
        """The family's stream name, e.g. EOC_CAMERA."""
        return f"{self.prefix}_{family.upper()}"

    def subject(self, event_type: str) -> str:
        """The subject an event is published on; a malformed type is a programming error."""
        if not _TYPE.match(event_type):
            raise ValueError(f"event type {event_type!r} is not dotted words")
        return f"{self.root}.{family_of(event_type)}.{event_type}"

    def filter(self, types: tuple[str, ...]) -> str:
        """The narrowest single subject filter covering `types` (exact or `family.*`)."""
        if len(types) == 1 and not types[0].endswith(".*"):
            return self.subject(types[0])
        families = {family_of(t) for t in types}
        if len(families) == 1:
            return f"{self.root}.{families.pop()}.>"
        return f"{self.root}.>"

    def family_config(self, family: str) -> StreamConfig:
        """Configuration of one family stream."""
        return StreamConfig(
            name=self.stream(family),
            description=f"EOC Console events of the {family} family",
            subjects=[f"{self.root}.{family}.>"],
            max_age=self.cfg.family_max_age_s,
            max_bytes=self.cfg.family_max_bytes,
            discard=DiscardPolicy.OLD,
            storage=StorageType(self.cfg.storage),
            num_replicas=self.cfg.replicas,
            duplicate_window=DUPLICATE_WINDOW_S,
        )

    def events_config(self) -> StreamConfig:
        """Configuration of EOC_EVENTS, the numbered stream of every family."""
        return StreamConfig(
            name=self.events,
            description="EOC Console: every event, numbered (event ids)",
            subjects=[],
            sources=[StreamSource(name=self.stream(f)) for f in ALL_FAMILIES],
            max_age=self.cfg.log_max_age_s,
            max_bytes=self.cfg.log_max_bytes,
            discard=DiscardPolicy.OLD,
            storage=StorageType(self.cfg.storage),
            num_replicas=self.cfg.replicas,
        )


_COMPARED = ("subjects", "max_age", "max_bytes", "storage", "num_replicas", "duplicate_window")


def _differs(have: StreamConfig, want: StreamConfig) -> bool:
    for key in _COMPARED:
        a, b = getattr(have, key), getattr(want, key)
        if key == "subjects":
            a, b = sorted(a or []), sorted(b or [])
        if key in ("max_age", "duplicate_window") and a is not None and b is not None:
            if abs(float(a) - float(b)) > 1e-3:
                return True
            continue
        if a != b and not (key == "duplicate_window" and not b):
            return True
    if want.sources is not None:
        names = sorted(s.name for s in have.sources or [])
        return names != sorted(s.name for s in want.sources)
    return False


async def _ensure(js: JetStreamContext, want: StreamConfig) -> None:
    assert want.name is not None
    try:
        info = await js.stream_info(want.name)
    except NotFoundError:
        try:
            await js.add_stream(want)
            log.info("created JetStream stream %s", want.name)
            return
        except Exception:
            # Another node created it between our look and our add: fall through to compare.
            info = await js.stream_info(want.name)
    if _differs(info.config, want):
        if info.config.storage != want.storage:
            log.error(
                "stream %s uses %s storage but %s is configured; JetStream cannot change it in "
                "place - delete the stream to apply",
                want.name,
                info.config.storage,
                want.storage,
            )
            want.storage = info.config.storage
        await js.update_stream(want)
        log.info("updated JetStream stream %s to the configured retention", want.name)


async def ensure_streams(js: JetStreamContext, layout: Layout) -> None:
    """Create or update every family stream, then EOC_EVENTS over them (idempotent)."""
    for family in ALL_FAMILIES:
        await _ensure(js, layout.family_config(family))
    await _ensure(js, layout.events_config())


def encode(event_type: str, data: dict[str, Any], audience: Audience, v: int, node: str) -> bytes:
    """The message body of one event: its type, version, time, data, audience, origin."""
    body = {
        "type": event_type,
        "v": v,
        "ts": datetime.now(UTC).isoformat(),
        "data": data,
        "audience": audience.wire(),
        "node": node,
    }
    return json.dumps(body, separators=(",", ":"), default=str).encode()


def decode(seq: int, payload: bytes) -> tuple[Event, str]:
    """An Event numbered `seq` and the node that published it."""
    body = json.loads(payload)
    event = Event(
        id=seq,
        type=str(body["type"]),
        data=dict(body.get("data") or {}),
        v=int(body.get("v", 1)),
        ts=datetime.fromisoformat(body["ts"]),
        audience=Audience.from_wire(body.get("audience")),
    )
    return event, str(body.get("node", ""))
