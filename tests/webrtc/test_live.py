"""Pass-through details on the wire: parameter sets, timestamps, instant start, slow and silent
viewers, mDNS-only offers, snapshots; aiortc stands in for the browser."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import re
import statistics
import time
from collections.abc import AsyncIterator
from typing import Any

import cv2
import numpy as np
import pytest
from aiortc import RTCPeerConnection

from streams.hub import CameraHub, HubRegistry, Subscription
from streams.packets import Packet, StreamInfo
from streams.params import StreamParams
from streams.source import OpenOptions
from streams.urls import parse_source_url
from streams.webrtc.h264 import IDR, PPS, SPS, nal_units
from streams.webrtc.peers import OfferError, PeerLimits, PeerManager
from streams.webrtc.snapshot import snapshot_jpeg
from streams.webrtc.track import PassthroughTrack
from tests.paths import VIDEO
from tests.webrtc.test_peers import Browser, until, watch

pytestmark = pytest.mark.slow


@pytest.fixture
async def car() -> AsyncIterator[CameraHub]:
    """The 4.8 s-GOP road footage, looped at real-time pace from the file."""
    reg = HubRegistry(options=OpenOptions(open_timeout_s=3))
    src = parse_source_url(f"file://{VIDEO / 'car-detection.mp4'}", media_root=VIDEO)
    yield reg.configure("car", src)
    await reg.close()


def types(data: bytes) -> list[int]:
    return [t for t, _ in nal_units(data)]


@pytest.mark.asyncio
async def test_track_sends_parameter_sets_and_90khz_stamps(car: CameraHub) -> None:
    keep = car.subscribe(maxsize=8, name="keep")  # opens the upstream so a GOP gets cached
    await until(lambda: len(car.gop) >= 10)
    track = PassthroughTrack(car)
    burst = track._burst
    stamps: list[int] = []
    keys: list[list[int]] = []
    try:
        while len(keys) < 2:  # the cached keyframe, then the camera's next one
            pkt = await asyncio.wait_for(track.recv(), 7)
            stamps.append(int(pkt.pts))
            kinds = types(bytes(pkt))
            if IDR in kinds:
                keys.append(kinds)
    finally:
        track.stop()
        keep.close()
    assert burst >= 10
    for kinds in keys:  # every IDR goes out behind its SPS and PPS
        assert kinds.index(SPS) < kinds.index(PPS) < kinds.index(IDR)
    steps = [b - a for a, b in itertools.pairwise(stamps)]
    assert all(s > 0 for s in steps)
    # Cached frames go out 1 ms apart, live ones one 12.5 fps frame (7,200 ticks) apart.
    assert max(steps[: burst - 1]) <= 90
    assert statistics.median(steps[burst:]) == pytest.approx(7200, abs=50)


@pytest.mark.asyncio
async def test_first_frame_from_cache_not_next_keyframe(car: CameraHub) -> None:
    manager = PeerManager()
    keep = car.subscribe(maxsize=8, name="keep")
    waits: dict[bool, float] = {}
    try:
        for instant in (True, False):
            # Join about 1 s after a keyframe: the camera's next one is then >= 3.2 s away.
            await until(lambda: 13 <= len(car.gop) <= 20, timeout=12)
            b = Browser()
            start = time.monotonic()
            _v, answer = await manager.offer(car, await b.offer(), "op", instant=instant)
            await b.answer(answer)
            await until(lambda b=b: b.first_frame is not None, timeout=8)
            assert b.first_frame is not None and b.size == (768, 432)
            waits[instant] = b.first_frame - start
            await b.close()
    finally:
        await manager.close_all()
        keep.close()
    assert waits[True] < 1.0, waits
    assert waits[False] > 2.0, waits  # the control: without the cache it waits for a keyframe


@pytest.mark.asyncio
async def test_slow_viewer_does_not_stall_others(car: CameraHub) -> None:
    manager = PeerManager()
    stuck = PassthroughTrack(car, maxsize=10)  # a viewer whose sender never pulls
    browsers: list[Browser] = []
    try:
        for _ in range(2):
            b, _start = await watch(manager, car)
            browsers.append(b)
        await until(lambda: all(b.frames > 5 for b in browsers))
        before = [b.frames for b in browsers]
        await asyncio.sleep(2.0)
        assert all(b.frames >= n + 15 for b, n in zip(browsers, before, strict=True))
        assert stuck.dropped > 0 and stuck.sub.queue.qsize() <= stuck.sub.queue.maxsize
        assert car.consumers == 3  # one upstream; the stuck queue holds no one back
    finally:
        stuck.stop()
        for b in browsers:
            await b.close()
        await manager.close_all()


def as_chromium(sdp: str) -> str:
    """Hide host addresses behind mDNS names and drop end-of-candidates, as Chromium does."""
    sdp = re.sub(
        r"(a=candidate:\S+ \d+ \S+ \d+ )(\S+)( \d+ typ host)",
        lambda m: f"{m[1]}{abs(hash(m[2])):x}-4b2c.local{m[3]}",
        sdp,
    )
    return sdp.replace("a=end-of-candidates\r\n", "")


@pytest.mark.asyncio
async def test_mdns_offer_connects_without_resolving(car: CameraHub) -> None:
    manager = PeerManager()
    b = Browser()
    try:
        offer = as_chromium(await b.offer())
        assert ".local" in offer
        start = time.monotonic()
        viewer, answer = await manager.offer(car, offer, "op")
        answered = time.monotonic() - start
        await b.answer(answer)
        await until(lambda: b.frames > 3)
        stats = viewer.stats()
        assert stats["connected"] and stats["offer_to_connected_s"] is not None
        # Resolving one mDNS name alone costs aiortc a 1 s timeout.
        assert answered < 0.9 and stats["offer_to_connected_s"] < 1.5, stats
    finally:
        await b.close()
        await manager.close_all()


@pytest.mark.asyncio
async def test_silent_viewer_closed_and_stats_kept(car: CameraHub) -> None:
    closed: list[dict[str, Any]] = []

    async def on_closed(v) -> None:  # type: ignore[no-untyped-def]
        closed.append(v.stats())

    manager = PeerManager(PeerLimits(silent_after_s=2.0, check_every_s=0.5), on_closed=on_closed)
    b, _start = await watch(manager, car)
    try:
        await until(lambda: b.frames > 3)
        await asyncio.sleep(1.5)  # receiver reports flow: still open
        assert manager.count() == 1
        # The tab freezes: its receiver stops reporting, the transport stays up.
        receiver = b.pc.getTransceivers()[0].receiver
        receiver._RTCRtpReceiver__rtcp_task.cancel()  # type: ignore[attr-defined]
        await until(lambda: bool(closed), timeout=8)
    finally:
        await b.close()
        await manager.close_all()
    assert closed[0]["closed_reason"] == "silent" and manager.silenced == 1
    assert closed[0]["frames_sent"] > 3 and closed[0]["seconds"] > 3
    assert car.consumers == 0


@pytest.mark.asyncio
async def test_offer_without_receivable_video_refused(car: CameraHub) -> None:
    manager = PeerManager()
    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="recvonly")
    try:
        await pc.setLocalDescription(await pc.createOffer())
        with pytest.raises(OfferError) as info:
            await manager.offer(car, pc.localDescription.sdp, "op")
        assert info.value.code == "no_video" and manager.count() == 0
    finally:
        await pc.close()
        await manager.close_all()


@pytest.mark.asyncio
async def test_snapshot_from_cached_keyframe(car: CameraHub) -> None:
    assert await snapshot_jpeg(car) is None  # nothing cached yet
    keep = car.subscribe(maxsize=8, name="keep")
    try:
        await until(lambda: bool(car.gop))
        jpeg = await snapshot_jpeg(car, width=640)
    finally:
        keep.close()
    assert jpeg is not None and jpeg[:2] == b"\xff\xd8"
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    assert img.shape == (360, 640, 3) and 20 < float(img.mean()) < 235


class SdpOnlyParams:
    """A camera that sends SPS/PPS only out of band (in its SDP), as many RTSP cameras do.

    A real `PacketSource` fed from the file hub's packets with the parameter sets cut out.
    """

    def __init__(self) -> None:
        self.camera_id = "sdp-only"
        self.info: StreamInfo | None = None
        self.info_ready = asyncio.Event()
        self.gop: list[Packet] = []
        self.params = StreamParams()
        self._subs: set[Subscription] = set()

    @property
    def consumers(self) -> int:
        return len(self._subs)

    def subscribe(self, maxsize: int = 256, name: str = "", with_gop: bool = True) -> Subscription:
        cached = list(self.gop) if with_gop else []
        sub = Subscription(self, maxsize + len(cached), name)
        for pkt in cached:
            sub.offer(pkt)
        sub.waiting_for_key = not cached
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    def gop_has_b_frames(self) -> bool | None:
        return False

    def feed(self, pkt: Packet) -> None:
        units = list(nal_units(pkt.data))
        params = b"".join(u for t, u in units if t in (SPS, PPS))
        if self.info is None:
            if not params or pkt.info is None:
                return
            self.info = dataclasses.replace(pkt.info, extradata=params)
            self.params = StreamParams("h264", params)
            self.info_ready.set()
        out = dataclasses.replace(
            pkt, data=b"".join(u for t, u in units if t not in (SPS, PPS)), info=self.info
        )
        if out.keyframe:
            self.gop = [out]
        elif self.gop:
            self.gop.append(out)
        for sub in list(self._subs):
            sub.offer(out)


@pytest.mark.asyncio
async def test_parameter_sets_from_sdp_put_before_every_idr(car: CameraHub) -> None:
    source = SdpOnlyParams()
    car.add_tap(source.feed)
    manager = PeerManager()
    b = Browser()
    try:
        await until(lambda: len(source.gop) >= 5)
        assert SPS not in types(source.gop[0].data)  # the source really lacks them
        track = PassthroughTrack(source)
        first = bytes(await track.recv())
        track.stop()
        kinds = types(first)
        assert kinds.index(SPS) < kinds.index(PPS) < kinds.index(IDR)
        # aiortc's H.264 decoder, like a browser's, cannot start without them.
        _v, answer = await manager.offer(source, await b.offer(), "op")
        await b.answer(answer)
        await until(lambda: b.frames > 5)
        assert b.size == (768, 432)
    finally:
        await b.close()
        await manager.close_all()
        car.remove_tap(source.feed)
