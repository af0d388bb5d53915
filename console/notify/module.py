"""The notifications feature module: channels, rules, delivery log, the bus consumer."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import APIRouter

from console.notify.adapter import CameraAlertAdapter
from console.notify.dispatcher import Dispatcher
from console.services import Services

log = logging.getLogger(__name__)
EXTENSION = "notify"


def dispatcher_of(services: Services) -> Dispatcher | None:
    """The running dispatcher (None when the module is not installed)."""
    found = services.extensions.get(EXTENSION)
    return found if isinstance(found, Dispatcher) else None


class NotifyModule:
    """Routes health alerts (and, through `Dispatcher.notify`, any producer's) to channels."""

    name = "notify"

    def __init__(self) -> None:
        self.dispatcher: Dispatcher | None = None
        self._consumer: asyncio.Task[None] | None = None

    def routers(self) -> list[APIRouter]:
        """Channels, rules and deliveries."""
        from console.notify.router_channels import router as channels
        from console.notify.router_deliveries import router as deliveries
        from console.notify.router_rules import router as rules

        return [channels, rules, deliveries]

    async def start(self, services: Services) -> None:
        """Start the dispatcher and subscribe to the events it turns into notifications."""
        self.dispatcher = Dispatcher(
            services.store, services.bus, services.units, services.secret, services.settings
        )
        await self.dispatcher.start()
        services.extensions[EXTENSION] = self.dispatcher
        self._consumer = asyncio.create_task(
            self._consume(services, self.dispatcher), name="notify-consumer"
        )

    async def _consume(self, services: Services, dispatcher: Dispatcher) -> None:
        adapt = CameraAlertAdapter(services.store)
        while True:
            sub, _ = services.bus.subscribe(maxsize=4096)
            try:
                while (event := await sub.get()) is not None:
                    if event.type != "camera.alert":
                        continue
                    try:
                        notification = await adapt(event)
                        if notification is not None:
                            await dispatcher.notify(notification)
                    except Exception:
                        log.exception("could not turn event %s into a notification", event.id)
            finally:
                services.bus.unsubscribe(sub)
            # The bus drops a subscriber that falls behind; say so and take up the stream again.
            log.warning("notification consumer fell behind the event bus; events were missed")
            await asyncio.sleep(0.1)

    async def stop(self) -> None:
        """Stop the consumer and every channel worker."""
        if self._consumer is not None:
            self._consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._consumer
        if self.dispatcher is not None:
            await self.dispatcher.close()

    async def seed_demo(self, services: Services) -> None:
        """No demo channels: they would post to addresses nobody owns."""
