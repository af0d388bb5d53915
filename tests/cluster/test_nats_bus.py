"""The NATS JetStream bus against the real server: two nodes, resume, groups, restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import nats
import pytest

from console.cluster.nats_bus import NatsBus
from console.errors import StartupError
from console.events import Audience, Event, EventBusUnavailable, Subscription
from console.settings import ClusterSettings
from tests.cluster.natsd import private_nats
from tests.conftest import free_port

pytestmark = pytest.mark.nats


def cluster(url: str, prefix: str, **kw: Any) -> ClusterSettings:
    """Cluster settings on `url` with this test's own streams."""
    return ClusterSettings(bus="nats", nats_url=url, stream_prefix=prefix, **kw)


@asynccontextmanager
async def nodes(cfg: ClusterSettings, *replays: int) -> AsyncIterator[list[NatsBus]]:
    """Started buses, one per replay size, closed afterwards."""
    buses = [NatsBus(cfg, f"node-{i}", replay=r) for i, r in enumerate(replays)]
    try:
        for bus in buses:
            await bus.start()
        yield buses
    finally:
        for bus in buses:
            await asyncio.wait_for(bus.close(), 15)


async def take(sub: Subscription, n: int, timeout: float = 20) -> list[Event]:
    """The next `n` events of a subscription."""
    out = []
    for _ in range(n):
        event = await asyncio.wait_for(sub.get(), timeout)
        assert event is not None, "subscription dropped"
        out.append(event)
    return out


async def stream_counts(url: str, prefix: str, *names: str) -> dict[str, int]:
    """Messages held by each named stream."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        return {n: (await js.stream_info(f"{prefix}_{n}")).state.messages for n in names}
    finally:
        await nc.close()


async def test_two_nodes_see_each_others_events_with_one_numbering(
    nats_server: str, nats_prefix: str
) -> None:
    async with nodes(cluster(nats_server, nats_prefix), 256, 256) as (a, b):
        sub_a, _ = a.subscribe()
        sub_b, _ = b.subscribe()
        audience = Audience("units.read", frozenset({3, 7}), None)
        await a.publish("unit.updated", {"id": 3, "name": "东区"}, audience=audience)
        await b.publish("camera.alert", {"camera": 9}, audience=Audience(user_ids=frozenset({4})))
        await a.publish("drill.status", {"id": "D-1"}, v=2)
        seen_a, seen_b = await take(sub_a, 3), await take(sub_b, 3)
        # Every node receives every event, in one order, under one id.
        assert [(e.id, e.type) for e in seen_a] == [(e.id, e.type) for e in seen_b]
        ids = [e.id for e in seen_a]
        assert ids == sorted(ids) and len(set(ids)) == 3
        by_type = {e.type: e for e in seen_b}
        assert by_type["unit.updated"].data == {"id": 3, "name": "东区"}
        assert by_type["unit.updated"].audience == audience
        assert by_type["camera.alert"].audience == Audience(user_ids=frozenset({4}))
        assert by_type["drill.status"].v == 2
        assert a.last_id == b.last_id == ids[-1]
    # One stream per family holds its own events; EOC_EVENTS numbers them all.
    counts = await stream_counts(nats_server, nats_prefix, "ACCESS", "CAMERA", "DRILL", "EVENTS")
    assert counts == {"ACCESS": 1, "CAMERA": 1, "DRILL": 1, "EVENTS": 3}


async def test_resume_on_another_node_reads_back_beyond_its_buffer(
    nats_server: str, nats_prefix: str
) -> None:
    async with nodes(cluster(nats_server, nats_prefix), 256, 16) as (a, b):
        sub_a, _ = a.subscribe()
        sub_b, _ = b.subscribe()
        for i in range(60):
            await a.publish("drill.tick", {"i": i})
        ids = [e.id for e in await take(sub_a, 60)]
        await take(sub_b, 60)
        # b keeps only 16 events; a client that last saw the 10th on node a resumes on b.
        resumed, complete = await b.resume(ids[9], maxsize=8)
        assert complete
        got = await take(resumed, 50)
        assert [e.id for e in got] == ids[10:]
        assert [e.data["i"] for e in got] == list(range(10, 60))
        await b.publish("drill.tick", {"i": 60})
        (live,) = await take(resumed, 1)
        assert live.data == {"i": 60} and live.id > ids[-1]
        # Up to date: nothing replayed, nothing missed.
        current, complete = await b.resume(live.id)
        assert complete and current.queue.empty()
        # An id this stream never issued (another bus, a recreated stream): resync.
        _, complete = await b.resume(10**15)
        assert not complete
        # Events the stream no longer holds: resync, but still everything that is left.
        nc = await nats.connect(nats_server)
        try:
            await nc.jetstream().purge_stream(f"{nats_prefix}_EVENTS", keep=5)
        finally:
            await nc.close()
        gone, complete = await b.resume(ids[0])
        assert not complete
        assert [e.data["i"] for e in await take(gone, 5)] == list(range(56, 61))


async def test_subscription_floor_skips_what_the_client_has() -> None:
    sub = Subscription(8, floor=5)
    for i in (4, 5, 6):
        sub.offer(Event(id=i, type="t", data={}))
    assert [(await sub.get()).id] == [6]  # type: ignore[union-attr]
    assert sub.queue.empty()


async def test_consumer_group_handles_each_event_once_and_catches_up(
    nats_server: str, nats_prefix: str
) -> None:
    cfg = cluster(nats_server, nats_prefix)
    handled: list[tuple[str, int, int]] = []
    done = asyncio.Event()

    def recorder(name: str, want: int) -> Any:
        async def handle(event: Event) -> None:
            handled.append((name, event.id, event.data["i"]))
            if len(handled) >= want:
                done.set()

        return handle

    async with nodes(cfg, 64, 64) as (a, b):
        ga = a.consume("alerts", ("camera.alert",), recorder("a", 20))
        gb = b.consume("alerts", ("camera.alert",), recorder("b", 20))
        await asyncio.sleep(1.0)  # both joined (the group is created at its first join)
        for i in range(20):
            await a.publish("camera.alert", {"i": i})
            await b.publish("unit.updated", {"i": i})  # not the group's type
        await asyncio.wait_for(done.wait(), 20)
        await asyncio.sleep(0.5)
        assert sorted(i for _, _, i in handled) == list(range(20))  # each once, none twice
        await ga.stop()
        await gb.stop()
    # No member runs: events wait in JetStream for the group.
    async with nodes(cfg, 64) as (c,):
        for i in range(20, 25):
            await c.publish("camera.alert", {"i": i})
    handled.clear()
    done.clear()
    async with nodes(cfg, 64) as (d,):
        d.consume("alerts", ("camera.alert",), recorder("d", 5))
        await asyncio.wait_for(done.wait(), 20)
        await asyncio.sleep(0.5)
        assert sorted(i for _, _, i in handled) == [20, 21, 22, 23, 24]


async def test_a_failing_handler_gets_the_event_again(nats_server: str, nats_prefix: str) -> None:
    attempts: dict[int, int] = {}
    ok = asyncio.Event()

    async def flaky(event: Event) -> None:
        attempts[event.data["i"]] = attempts.get(event.data["i"], 0) + 1
        if attempts[event.data["i"]] == 1:
            raise RuntimeError("channel down")
        ok.set()

    async with nodes(cluster(nats_server, nats_prefix), 64) as (a,):
        a.consume("flaky", ("camera.*",), flaky)
        await asyncio.sleep(0.5)
        await a.publish("camera.alert", {"i": 1})
        await asyncio.wait_for(ok.wait(), 20)
        assert attempts == {1: 2}


async def test_nats_restart_loses_no_event(tmp_path: Path, nats_prefix: str) -> None:
    server = private_nats(tmp_path, free_port())
    server.start()
    cfg = cluster(server.url, nats_prefix, publish_retry_s=30, publish_timeout_s=1)
    handled: list[int] = []
    try:
        async with nodes(cfg, 256, 256) as (a, b):

            async def record(event: Event) -> None:
                handled.append(event.data["i"])

            a.consume("alerts", ("camera.alert",), record)
            sub_b, _ = b.subscribe()
            await asyncio.sleep(0.5)
            for i in range(5):
                await a.publish("camera.alert", {"i": i})
            server.stop()
            # Published while NATS is down: the call waits for it to come back.
            pending = asyncio.gather(*(a.publish("camera.alert", {"i": i}) for i in range(5, 10)))
            await asyncio.sleep(1.5)
            assert not pending.done()
            await asyncio.to_thread(server.start)
            await asyncio.wait_for(pending, 30)
            for i in range(10, 15):
                await b.publish("camera.alert", {"i": i})
            got = await take(sub_b, 15, timeout=30)
            ids = [e.id for e in got]
            assert ids == sorted(set(ids))  # no duplicate, none out of order
            assert sorted(e.data["i"] for e in got) == list(range(15))
            for _ in range(200):
                if len(handled) >= 15:
                    break
                await asyncio.sleep(0.1)
            assert sorted(set(handled)) == list(range(15))
            for _ in range(100):  # both readers are back on the restarted server
                if a.connected and b.connected:
                    break
                await asyncio.sleep(0.1)
            assert a.connected and b.connected
    finally:
        server.stop()


async def test_publish_fails_loudly_when_nats_stays_down(tmp_path: Path, nats_prefix: str) -> None:
    server = private_nats(tmp_path, free_port())
    server.start()
    bus = NatsBus(cluster(server.url, nats_prefix, publish_retry_s=1, publish_timeout_s=0.5), "n")
    await bus.start()
    try:
        server.stop()
        with pytest.raises(EventBusUnavailable, match=r"camera\.alert"):
            await bus.publish("camera.alert", {"i": 1})
    finally:
        await asyncio.wait_for(bus.close(), 15)
        server.stop()


async def test_start_refused_when_nats_is_unreachable(nats_prefix: str) -> None:
    url = f"nats://127.0.0.1:{free_port()}"
    bus = NatsBus(cluster(url, nats_prefix, connect_timeout_s=1), "n")
    with pytest.raises(StartupError, match=url):
        await bus.start()


async def test_a_server_that_lost_its_streams_makes_clients_resync(
    tmp_path: Path, nats_prefix: str
) -> None:
    server = private_nats(tmp_path, free_port())
    server.start()
    cfg = cluster(server.url, nats_prefix, storage="memory", publish_retry_s=30)
    handled: list[int] = []

    async def record(event: Event) -> None:
        handled.append(event.data["i"])

    try:
        async with nodes(cfg, 64) as (a,):
            a.consume("alerts", ("camera.alert",), record)
            old, _ = a.subscribe()
            await asyncio.sleep(0.5)
            for i in range(3):
                await a.publish("camera.alert", {"i": i})
            assert len(await take(old, 3)) == 3
            server.stop()
            await asyncio.to_thread(server.start)  # memory storage: streams and consumers gone
            for _ in range(200):
                if old.dropped.is_set() and a.connected:
                    break
                await asyncio.sleep(0.1)
            assert old.dropped.is_set()  # its ids belong to the old numbering
            await asyncio.sleep(1.0)  # the group consumer is re-created
            fresh, _ = a.subscribe()
            await a.publish("camera.alert", {"i": 3})
            (event,) = await take(fresh, 1)
            assert event.data == {"i": 3} and event.id == 1
            for _ in range(100):
                if 3 in handled:
                    break
                await asyncio.sleep(0.1)
            assert sorted(handled) == [0, 1, 2, 3]
    finally:
        server.stop()
