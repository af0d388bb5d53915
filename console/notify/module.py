"""The notifications feature module: channels, rules, delivery log, the bus consumer."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from console.events import Consumer, Event
from console.notify.adapter import CameraAlertAdapter
from console.notify.dispatcher import Dispatcher
from console.services import Services

log = logging.getLogger(__name__)
EXTENSION = "notify"
CACHE = "notify"
GROUP = "notify-alerts"


def dispatcher_of(services: Services) -> Dispatcher | None:
    """The running dispatcher (None when the module is not installed)."""
    found = services.extensions.get(EXTENSION)
    return found if isinstance(found, Dispatcher) else None


class NotifyModule:
    """Routes health alerts (and, through `Dispatcher.notify`, any producer's) to channels."""

    name = "notify"

    def __init__(self) -> None:
        self.dispatcher: Dispatcher | None = None
        self._consumer: Consumer | None = None

    def routers(self) -> list[APIRouter]:
        """Channels, rules and deliveries."""
        from console.notify.router_channels import router as channels
        from console.notify.router_deliveries import router as deliveries
        from console.notify.router_rules import router as rules

        return [channels, rules, deliveries]

    async def start(self, services: Services) -> None:
        """Start the dispatcher and join the group that turns alerts into notifications."""
        self.dispatcher = dispatcher = Dispatcher(
            services.store, services.bus, services.units, services.secret, services.settings
        )
        await dispatcher.start()
        services.extensions[EXTENSION] = dispatcher
        services.caches.register(CACHE, dispatcher.reload)
        adapt = CameraAlertAdapter(services.store)

        async def on_alert(event: Event) -> None:
            notification = await adapt(event)
            if notification is not None:
                await dispatcher.notify(notification)

        # One group across every node: each alert is notified once, by whichever node takes it.
        self._consumer = services.bus.consume(GROUP, ("camera.alert",), on_alert)

    async def stop(self) -> None:
        """Leave the consumer group and stop every channel worker."""
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
        if self.dispatcher is not None:
            await self.dispatcher.close()

    async def seed_demo(self, services: Services) -> None:
        """No demo channels: they would post to addresses nobody owns."""
