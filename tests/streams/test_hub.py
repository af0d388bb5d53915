"""The per-camera hub against real RTSP peers: on-demand upstream, fan-out, GOP cache, faults."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from streams.hub import CameraHub, HubRegistry, LinkState
from streams.source import OpenOptions
from streams.urls import SourceUrlError, parse_source_url
from tests.paths import VIDEO
from tests.peers.fixtures import RtspPeer, SilentServer

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
    # Baseline profile: no B-frames, although RTSP's guessed dts differs from pts.
    assert hub.gop_has_b_frames() is False
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
    # The peer joins mid-GOP like a camera: the first keyframe comes within the 8.4 s GOP.
    assert await asyncio.wait_for(fast.get(), 15) is not None
    got = 0
    start = time.monotonic()
    while time.monotonic() - start < 3:
        pkt = await asyncio.wait_for(fast.get(), 5)
        assert pkt is not None
        got += 1
    assert got > 60  # ~30 fps kept flowing to the fast consumer
    assert slow.dropped > 0 and slow.queue.qsize() <= 8
    assert hub.gop_has_b_frames() is True  # High profile with B-frames, seen in slice headers
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
    # Stable reason codes the UI can translate, one per kind of failure.
    reasons = {name: h.stats.last_reason for name, h in hubs.items()}
    assert reasons["hang"] == "timeout"
    assert reasons["auth"] == "unauthorized"
    assert reasons["garbage"] == "invalid_data", reasons
    # The right credentials work against the same server.
    ok = hub_for(peer.url("car", "cam:right-pass"))
    assert await asyncio.wait_for(ok.subscribe().get(), 10) is not None
    await asyncio.gather(ok.close(), *(h.close() for h in hubs.values()))


@pytest.mark.asyncio
async def test_looped_file_plays_at_real_time_with_rising_timestamps(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes((VIDEO / "bottle-detection.mp4").read_bytes())
    events: list[tuple[str, str]] = []
    reg = HubRegistry(
        options=FAST,
        media_root=tmp_path,
        on_event=lambda what, h: events.append((what, h.camera_id)),
    )
    with pytest.raises(SourceUrlError) as info:
        reg.configure_url("f", f"file://{VIDEO / 'bottle-detection.mp4'}")
    assert info.value.code == "outside_media_root" and reg.get("f") is None
    with pytest.raises(KeyError):
        reg.subscribe("f")
    hub = reg.configure_url("f", f"file://{clip}")
    sub = reg.subscribe("f", maxsize=2000)
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
    assert events == [("connected", "f")]
    await reg.close()
    assert hub.state == LinkState.closed and hub.threads == []


@pytest.mark.asyncio
async def test_gop_cache_gives_a_decodable_start_or_a_keyframe_and_a_wait() -> None:
    import av

    src = parse_source_url(f"file://{VIDEO / 'car-detection.mp4'}", media_root=VIDEO)
    whole = CameraHub("whole", src, options=FAST)
    # Room for the keyframe and a little more: the cache must overflow within the GOP.
    tight = CameraHub("tight", src, options=FAST, gop_max_bytes=60_000)
    subs = [whole.subscribe(), tight.subscribe()]
    await wait_for(lambda: len(whole.gop) > 12 and not tight.gop_whole)
    # A late consumer with a small queue still gets the whole GOP from its keyframe on...
    late = whole.subscribe(maxsize=4)
    burst = [late.queue.get_nowait() for _ in range(late.queue.qsize())]
    assert len(burst) >= 12 and burst[0] is not None and burst[0].keyframe
    assert not late.waiting_for_key
    info = whole.info
    assert info is not None and info.annexb
    ctx: Any = av.CodecContext.create(info.codec, "r")
    decoded = [f for p in burst if p is not None for f in ctx.decode(av.Packet(p.data))]
    decoded += list(ctx.decode(None))
    assert len(decoded) == len(burst)  # every cached frame decodes: nothing is missing
    # ...while an overflowed cache offers only its keyframe, then waits for the next one.
    assert len(tight.gop) == 1 and tight.gop[0].keyframe
    late_tight = tight.subscribe(maxsize=4)
    first = late_tight.queue.get_nowait()
    assert first is not None and first.keyframe and late_tight.waiting_for_key
    await wait_for(lambda: late_tight.dropped > 3)
    assert late_tight.queue.qsize() == 0  # P-frames without their references are not queued
    for s in [*subs, late, late_tight]:
        s.close()
    await asyncio.gather(whole.close(), tight.close())
    assert whole.threads == [] and tight.threads == []


@pytest.mark.asyncio
async def test_stalled_reader_is_detected_by_packets_and_replaced(
    rtsp_peer: type[RtspPeer],
) -> None:
    # The server keeps the session open but stops sending after 1.5 s (a hung encoder).
    peer = rtsp_peer({"hung": f"{VIDEO / 'car-detection.mp4'}:freeze=1.5"}).start()
    events: list[tuple[str, float]] = []
    # A read timeout longer than the stall timeout: the watchdog, not FFmpeg, must notice.
    hub = CameraHub(
        "cam",
        parse_source_url(peer.url("hung"), media_root=None),
        options=OpenOptions(open_timeout_s=2.0, read_timeout_s=4.0),
        stall_timeout_s=2.0,
        on_event=lambda what, _h: events.append((what, time.monotonic())),
    )
    hub.backoff.base_s = 0.2
    sub = hub.subscribe()
    await wait_for(lambda: hub.state == LinkState.connected)
    await wait_for(lambda: hub.stats.stalls_replaced >= 1, timeout=10)
    lost = next(t for what, t in events if what == "disconnected")
    assert hub.stats.last_reason == "stalled" and "no packets" in (hub.stats.last_error or "")
    # Judged by packet arrival: declared within the stall timeout (+ one watchdog tick).
    first_connect = next(t for what, t in events if what == "connected")
    assert lost - first_connect < 1.5 + 2.0 + 2.0
    await wait_for(lambda: peer.plays["hung"] >= 2, timeout=10)  # a fresh connection
    sub.close()
    await hub.close()
    assert hub.threads == []  # the abandoned reader ended at its read timeout and was joined
