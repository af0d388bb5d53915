"""The event bus protocol and its in-process implementation."""

from console.events.bus import (
    EVERYONE,
    NOBODY,
    Audience,
    Consumer,
    Event,
    EventBus,
    EventBusUnavailable,
    Handler,
    Subscription,
    matches,
)
from console.events.memory import InProcessBus

__all__ = [
    "EVERYONE",
    "NOBODY",
    "Audience",
    "Consumer",
    "Event",
    "EventBus",
    "EventBusUnavailable",
    "Handler",
    "InProcessBus",
    "Subscription",
    "matches",
]
