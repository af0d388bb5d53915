"""Event bus throughput and publish-to-delivery latency: NATS JetStream against in-process.

Both buses run in the same process and the same run. Each node gets N websocket-like
subscribers: a task per subscriber that takes events from its queue and JSON-encodes them as
/ws does (no socket). Throughput: 16 concurrent publishers (as concurrent requests would) send
`--events` events round-robin over the nodes; the clock stops when every subscriber of every
node has all of them. Latency: 300 events paced at 100/s from node 0, time from the publish
call to each subscriber's receipt (two NATS "nodes" share this process and its event loop, so
their figures include each other's work).

Usage: python -m bench.event_bus [--events 3000] [--subscribers 1,32] [--nats-url URL]
Needs NATS JetStream (default nats://127.0.0.1:4222); its streams get a private prefix and are
deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from dataclasses import dataclass
from typing import Any

from console.cluster.nats_bus import NatsBus
from console.events import EventBus, InProcessBus, Subscription
from console.settings import ClusterSettings

PUBLISHERS = 16
LATENCY_EVENTS = 300
LATENCY_RATE = 100.0


@dataclass
class Row:
    bus: str
    nodes: int
    subscribers: int
    throughput: float
    p50_ms: float
    p99_ms: float


class Reader:
    """One websocket-like subscriber: counts events and records latency of timed ones."""

    def __init__(self, sub: Subscription) -> None:
        self.sub = sub
        self.count = 0
        self.target = 0
        self.reached = asyncio.Event()
        self.latencies: list[float] = []
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while (event := await self.sub.get()) is not None:
            json.dumps(event.wire())
            t = event.data.get("t")
            if t is not None:
                self.latencies.append((time.perf_counter_ns() - int(t)) / 1e6)
            self.count += 1
            if self.count >= self.target:
                self.reached.set()


async def wait_for(readers: list[Reader], total: int) -> None:
    """Until every reader has `total` events."""
    for r in readers:
        r.target = total
        if r.count >= total:
            r.reached.set()
        else:
            r.reached.clear()
    await asyncio.gather(*(r.reached.wait() for r in readers))


async def case(buses: list[EventBus], name: str, subscribers: int, events: int) -> Row:
    """One row: throughput and latency with `subscribers` per node."""
    readers = [
        Reader(bus.subscribe(maxsize=events + LATENCY_EVENTS + 100)[0])
        for bus in buses
        for _ in range(subscribers)
    ]
    await asyncio.sleep(0.2)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(events):
        queue.put_nowait(i)

    async def publisher() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            await buses[i % len(buses)].publish("camera.status", {"i": i, "status": "online"})

    t0 = time.perf_counter()
    await asyncio.gather(*(publisher() for _ in range(PUBLISHERS)))
    await wait_for(readers, events)
    throughput = events / (time.perf_counter() - t0)
    for i in range(LATENCY_EVENTS):
        await buses[0].publish("camera.status", {"i": i, "t": time.perf_counter_ns()})
        await asyncio.sleep(1 / LATENCY_RATE)
    await wait_for(readers, events + LATENCY_EVENTS)
    lat = sorted(x for r in readers for x in r.latencies)
    for r in readers:
        r.task.cancel()
        for bus in buses:
            bus.unsubscribe(r.sub)
    return Row(
        name,
        len(buses),
        subscribers,
        throughput,
        statistics.median(lat),
        lat[min(len(lat) - 1, int(len(lat) * 0.99))],
    )


async def drop_streams(url: str, prefix: str) -> None:
    import nats

    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for info in await js.streams_info():
            if info.config.name and info.config.name.startswith(f"{prefix}_"):
                await js.delete_stream(info.config.name)
    finally:
        await nc.close()


async def main(events: int, subscribers: list[int], url: str) -> list[Row]:
    rows: list[Row] = []
    prefix = f"BENCH{uuid.uuid4().hex[:8].upper()}"
    cfg = ClusterSettings(bus="nats", nats_url=url, stream_prefix=prefix)
    try:
        for n in subscribers:
            memory = InProcessBus(replay=2048)
            rows.append(await case([memory], "in-process", n, events))
            await memory.close()
            for nodes in (1, 2):
                buses = [NatsBus(cfg, f"bench-{i}") for i in range(nodes)]
                for bus in buses:
                    await bus.start()
                rows.append(await case(list(buses), "NATS JetStream", n, events))
                for bus in buses:
                    await bus.close()
    finally:
        await drop_streams(url, prefix)
    return rows


def report(rows: list[Row], events: int) -> None:
    base = {r.subscribers: r for r in rows if r.bus == "in-process"}
    print(f"events per run: {events} throughput + {LATENCY_EVENTS} timed at {LATENCY_RATE:.0f}/s")
    head = "| bus | nodes | subscribers per node | events/s | vs in-process | p50 ms | p99 ms |"
    print(head)
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        ratio = r.throughput / base[r.subscribers].throughput
        print(
            f"| {r.bus} | {r.nodes} | {r.subscribers} | {r.throughput:,.0f} | {ratio:.2f}x "
            f"| {r.p50_ms:.2f} | {r.p99_ms:.2f} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--subscribers", default="1,32")
    parser.add_argument("--nats-url", default="nats://127.0.0.1:4222")
    args: Any = parser.parse_args()
    subs = [int(s) for s in args.subscribers.split(",")]
    report(asyncio.run(main(args.events, subs, args.nats_url)), args.events)
