"""Cache invalidation between nodes, and consumers on the in-process bus."""

from __future__ import annotations

import asyncio

from console.cluster.caches import INVALIDATE, Caches
from console.events import Event, InProcessBus


async def test_an_invalidation_reloads_every_other_node_before_later_events() -> None:
    bus = InProcessBus()
    reloads: list[str] = []
    nodes = [Caches(bus, name) for name in ("a", "b")]
    for node in nodes:

        async def reload(name: str = node.node) -> None:
            await asyncio.sleep(0.05)  # a database query
            reloads.append(name)

        node.register("units", reload)
        node.start()
    await asyncio.sleep(0)
    watcher, _ = bus.subscribe()
    await nodes[0].invalidate("units")
    assert reloads == ["a"]  # the changing node reloads before it returns
    event = await watcher.get()
    assert event is not None and event.type == INVALIDATE
    assert event.audience.user_ids == frozenset()  # never sent to a websocket
    await nodes[1].settled(event.id)
    assert reloads == ["a", "b"]  # and the other node has reloaded by the time it is settled
    await nodes[0].invalidate("unknown-cache")  # nothing registered: nothing reloads
    await asyncio.sleep(0.1)
    assert reloads == ["a", "b"]
    for node in nodes:
        await node.stop()
    await bus.close()


async def test_in_process_consumer_gets_matching_events_and_survives_a_failure() -> None:
    bus = InProcessBus()
    got: list[int] = []

    async def handle(event: Event) -> None:
        if event.data["i"] == 1:
            raise RuntimeError("one bad event")
        got.append(event.data["i"])

    consumer = bus.consume("g", ("camera.*",), handle)
    for i in range(4):
        await bus.publish("camera.alert", {"i": i})
        await bus.publish("unit.updated", {"i": 100 + i})
    for _ in range(100):
        if len(got) == 3:
            break
        await asyncio.sleep(0.01)
    assert got == [0, 2, 3]
    await consumer.stop()
    await bus.close()
