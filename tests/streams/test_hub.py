"""The per-camera hub against real RTSP peers: on-demand upstream, fan-out, GOP cache, faults."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from streams.hub import CameraHub, HubRegistry, LinkState
from streams.source import OpenOptions
from streams.urls import parse_source_url
from tests.peers.fixtures import RtspPeer, SilentServer

VIDEO = Path(__file__).resolve().parents[3] / "shared" / "data" / "video"
FAST = OpenOptions(open_timeout_s=2.0, read_timeout_s=2.0)
pytestmark = pytest.mark.slow


def hub_for(url: str, **kw: object) -> CameraHub:
    return CameraHub("cam", parse_source_url(url, media_root=None), options=FAST, **kw)  # type: ignore[arg-type]


async def wait_for(cond, timeout: float = 10.0) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while not cond():
        if time.monotonic() - start > timeout:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
    return time.monotonic() - start


@pytest.mark.asyncio
async def test_one_upstream_many_consumers_and_on_demand(rtsp_peer: type[RtspPeer]) -> None:
    peer = rtsp_peer({"car": str(VIDEO / "car-detection.mp4")}).start()
    hub = hub_for(peer.url("car"))
    assert hub.state == LinkState.idle
    subs = [hub.subscribe(name=f"v{i}") for i in range(3)]
    first = await asyncio.wait_for(subs[0].get(), 10)
    assert first is not None and first.keyframe  # a consumer starts on a keyframe
    await wait_for(lambda: all(s.queue.qsize() > 5 for s in subs))
    assert peer.plays["car"] == 1  # three consumers, one upstream
    assert hub.info is not None and hub.info.codec == "h264" and hub.info.width == 768
    # A late consumer starts at once from the cached keyframe and GOP (GOP is 4.8 s here).
    late = hub.subscribe(name="late")
    assert late.queue.qsize() >= 1
    first_late = late.queue.get_nowait()
    assert first_late is not None and first_late.keyframe
    for s in [*subs, late]:
        s.close()
    await wait_for(lambda: hub.state == LinkState.idle)
    # Opening again after everyone left makes a new connection.
    again = hub.subscribe()
    await asyncio.wait_for(again.get(), 10)
    await wait_for(lambda: peer.plays["car"] == 2)
    await hub.close()


@pytest.mark.asyncio
async def test_slow_consumer_drops_to_keyframe_without_slowing_others(
    rtsp_peer: type[RtspPeer],
) -> None:
    peer = rtsp_peer({"b": str(VIDEO / "bottle-detection.mp4")}).start()
    hub = hub_for(peer.url("b"))
    slow = hub.subscribe(maxsize=8, name="slow")
    fast = hub.subscribe(maxsize=1000, name="fast")
    got = 0
    start = time.monotonic()
    while time.monotonic() - start < 3:
        pkt = await asyncio.wait_for(fast.get(), 5)
        assert pkt is not None
        got += 1
    assert got > 60  # ~30 fps kept flowing to the fast consumer
    assert slow.dropped > 0 and slow.queue.qsize() <= 8
    await hub.close()


@pytest.mark.asyncio
async def test_offline_within_5s_and_recovers(rtsp_peer: type[RtspPeer]) -> None:
    peer = rtsp_peer({"car": str(VIDEO / "car-detection.mp4")}).start()
    events: list[str] = []
    hub = hub_for(
        peer.url("car"), stall_timeout_s=3.0, on_event=lambda what, _h: events.append(what)
    )
    hub.backoff.base_s = 0.5
    sub = hub.subscribe()
    await asyncio.wait_for(sub.get(), 10)
    await wait_for(lambda: hub.state == LinkState.connected)
    peer.stop()
    killed = time.monotonic()
    await wait_for(lambda: hub.state != LinkState.connected, timeout=8)
    assert hub.last_packet_at is not None and time.monotonic() - hub.last_packet_at <= 5.0 + 0.6
    assert time.monotonic() - killed < 5.5
    peer.start()  # same port
    await wait_for(lambda: hub.state == LinkState.connected, timeout=20)
    assert events.count("connected") == 2 and events.count("disconnected") == 1
    await hub.close()


@pytest.mark.asyncio
async def test_bad_endpoints_fail_cleanly(
    rtsp_peer: type[RtspPeer], silent_server: type[SilentServer]
) -> None:
    hang = silent_server()
    garbage = silent_server(garbage=True)
    peer = rtsp_peer({"car": str(VIDEO / "car-detection.mp4")}, auth="cam:right-pass").start()
    cases = {
        "hang": f"rtsp://127.0.0.1:{hang.port}/x",
        "garbage": f"rtsp://127.0.0.1:{garbage.port}/x",
        "auth": peer.url("car", "cam:wrong-pass"),
    }
    hubs = {k: hub_for(v) for k, v in cases.items()}
    for h in hubs.values():
        h.backoff.base_s = 30  # one attempt is enough here
        h.subscribe()
    await wait_for(lambda: all(h.stats.failures >= 1 for h in hubs.values()), timeout=15)
    for name, h in hubs.items():
        assert h.state == LinkState.backoff, name
        assert "wrong-pass" not in (h.stats.last_error or "")
    assert "401" in (hubs["auth"].stats.last_error or "") or "Unauthorized" in (
        hubs["auth"].stats.last_error or ""
    )
    # The right credentials work against the same server.
    ok = hub_for(peer.url("car", "cam:right-pass"))
    assert await asyncio.wait_for(ok.subscribe().get(), 10) is not None
    await asyncio.gather(ok.close(), *(h.close() for h in hubs.values()))


@pytest.mark.asyncio
async def test_looped_file_plays_at_real_time_with_rising_timestamps(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes((VIDEO / "bottle-detection.mp4").read_bytes())
    reg = HubRegistry(options=FAST)
    hub = reg.configure("f", parse_source_url(f"file://{clip}", media_root=tmp_path))
    sub = hub.subscribe(maxsize=2000)
    start = time.monotonic()
    pts: list[float] = []
    while time.monotonic() - start < 2.0:
        pkt = await asyncio.wait_for(sub.get(), 5)
        assert (
            pkt is not None and pkt.data[:4] in (b"\x00\x00\x00\x01", b"\x00\x00\x01\x06"[:4])
        ) or pkt is not None
        if pkt.pts_s is not None:
            pts.append(pkt.pts_s)
    # About 30 fps in real time, not as fast as the disk allows.
    assert 40 <= len(pts) <= 75
    assert hub.info is not None and hub.info.annexb
    await reg.close()
