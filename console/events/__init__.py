"""The event bus and its in-process implementation."""

from console.events.bus import Audience, Event, EventBus, InProcessBus, Subscription

__all__ = ["Audience", "Event", "EventBus", "InProcessBus", "Subscription"]
