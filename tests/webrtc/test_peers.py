"""WebRTC live view with aiortc as the browser: pass-through, instant start, transcode, limits."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription

from streams.hub import CameraHub, HubRegistry
from streams.source import OpenOptions
from streams.urls import parse_source_url
from streams.webrtc.h264 import IDR, PPS, SPS, ParameterSets, nal_units
from streams.webrtc.peers import OfferError, PeerLimits, PeerManager, clean_offer
from tests.paths import VIDEO
from tests.peers.fixtures import RtspPeer

pytestmark = pytest.mark.slow


class Browser:
    """An aiortc peer standing in for a browser tile."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection()
        self.pc.addTransceiver("video", direction="recvonly")
        self.frames = 0
        self.first_frame: float | None = None
        self.size: tuple[int, int] | None = None
        self._task: asyncio.Task[None] | None = None

        @self.pc.on("track")
        def on_track(track) -> None:  # type: ignore[no-untyped-def]
            self._task = asyncio.ensure_future(self._consume(track))

    async def _consume(self, track) -> None:  # type: ignore[no-untyped-def]
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            self.frames += 1
            self.size = (frame.width, frame.height)
            if self.first_frame is None:
                self.first_frame = time.monotonic()

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def answer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
        await self.pc.close()


async def watch(manager: PeerManager, hub: CameraHub, user: str = "op") -> tuple[Browser, float]:
    b = Browser()
    start = time.monotonic()
    _viewer, answer = await manager.offer(hub, await b.offer(), user)
    await b.answer(answer)
    return b, start


async def until(cond, timeout: float = 15) -> None:  # type: ignore[no-untyped-def]
    t = time.monotonic()
    while not cond():
        assert time.monotonic() - t < timeout, "timed out"
        await asyncio.sleep(0.05)


def test_parameter_sets_put_before_idr() -> None:
    sps, pps = b"\x00\x00\x00\x01\x67\x42\x00\x1f", b"\x00\x00\x00\x01\x68\xce\x38\x80"
    idr = b"\x00\x00\x00\x01\x65\x88\x84\x00"
    p = ParameterSets()
    assert p.fix(sps + pps + idr) == sps + pps + idr
    fixed = p.fix(idr)
    assert [t for t, _ in nal_units(fixed)] == [SPS, PPS, IDR]
    assert p.fix(b"\x00\x00\x01\x41\x9a") == b"\x00\x00\x01\x41\x9a"


@pytest.mark.parametrize(
    ("sdp", "code"),
    [
        ("garbage", "bad_sdp"),
        ("v=0\r\ns=-\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n", "no_video"),
        ("v=0\r\n" + "a=x\r\n" * 20000, "offer_too_large"),
        ("v=0\r\nm=video 0 UDP/TLS/RTP/SAVPF 96\r\n", "no_video"),
        ("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 H264/90000\r\n", "bad_sdp"),
    ],
)
def test_bad_offers(sdp: str, code: str) -> None:
    with pytest.raises(OfferError) as info:
        clean_offer(sdp)
    assert info.value.code == code


def test_mdns_candidates_dropped() -> None:
    sdp = (
        "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=ice-ufrag:abcd\r\na=fingerprint:sha-256 00\r\n"
        "a=candidate:1 1 udp 2113937151 3f0a-b1.local 54321 typ host\r\n"
        "a=candidate:2 1 udp 2113937151 127.0.0.1 54322 typ host\r\n"
    )
    out = clean_offer(sdp)
    assert ".local" not in out and "127.0.0.1 54322" in out


@pytest.mark.asyncio
async def test_passthrough_instant_start_one_upstream(rtsp_peer: type[RtspPeer]) -> None:
    peer = rtsp_peer({"car": str(VIDEO / "car-detection.mp4")}).start()
    reg = HubRegistry(options=OpenOptions(open_timeout_s=3))
    hub = reg.configure("car", parse_source_url(peer.url("car"), media_root=None))
    manager = PeerManager(PeerLimits(max_per_user=3, max_total=4))
    browsers: list[Browser] = []
    try:
        first, _ = await watch(manager, hub)
        browsers.append(first)
        await until(lambda: first.frames > 5)
        assert first.size == (768, 432)
        assert manager.viewers[1].mode == "passthrough"
        # Later viewers start from the cached GOP: well under the camera's 4.8 s keyframe interval.
        await asyncio.sleep(1.0)
        for _ in range(2):
            b, start = await watch(manager, hub)
            browsers.append(b)
            await until(lambda b=b: b.first_frame is not None, timeout=5)
            assert b.first_frame is not None and b.first_frame - start < 1.5
        await until(lambda: all(b.frames > 10 for b in browsers))
        assert peer.plays["car"] == 1
        # Limits: 3 per user, 4 in total.
        with pytest.raises(OfferError) as info:
            await manager.offer(hub, await Browser().offer(), "op")
        assert info.value.code == "too_many_for_user" and info.value.status == 429
        other, _ = await watch(manager, hub, "other")
        browsers.append(other)
        with pytest.raises(OfferError) as info:
            await manager.offer(hub, await Browser().offer(), "third")
        assert info.value.code == "too_many_viewers"
    finally:
        for b in browsers:
            await b.close()
        await manager.close_all()
        await reg.close()
    assert manager.viewers == {} and hub.consumers == 0


@pytest.mark.asyncio
async def test_b_frames_are_transcoded_once_and_capped(tmp_path: Path) -> None:
    clip = tmp_path / "b.mp4"
    clip.write_bytes((VIDEO / "bottle-detection.mp4").read_bytes())
    reg = HubRegistry(options=OpenOptions(open_timeout_s=3))
    hub = reg.configure("b", parse_source_url(f"file://{clip}", media_root=tmp_path))
    car = reg.configure(
        "c", parse_source_url(f"file://{VIDEO / 'bottle-detection.mp4'}", media_root=VIDEO)
    )
    manager = PeerManager(PeerLimits(max_transcodes=1))
    browsers: list[Browser] = []
    try:
        for _ in range(2):
            b, _start = await watch(manager, hub)
            browsers.append(b)
        await until(lambda: all(b.frames > 5 for b in browsers), timeout=20)
        assert {v.mode for v in manager.viewers.values()} == {"transcode:b_frames"}
        assert len(manager.transcoders) == 1 and browsers[0].size == (640, 360)
        with pytest.raises(OfferError) as info:
            await manager.offer(car, await Browser().offer(), "op")
        assert info.value.code == "transcode_cap"
    finally:
        for b in browsers:
            await b.close()
        await manager.close_all()
        await reg.close()
    assert manager.transcoders == {}


@pytest.mark.asyncio
async def test_silent_peer_is_reaped(rtsp_peer: type[RtspPeer]) -> None:
    peer = rtsp_peer({"car": str(VIDEO / "car-detection.mp4")}).start()
    reg = HubRegistry(options=OpenOptions(open_timeout_s=3))
    hub = reg.configure("car", parse_source_url(peer.url("car"), media_root=None))
    closed: list[str] = []

    async def on_closed(v) -> None:  # type: ignore[no-untyped-def]
        closed.append(v.closed_reason)

    manager = PeerManager(PeerLimits(ice_timeout_s=2.0), on_closed=on_closed)
    b = Browser()
    try:
        await manager.offer(hub, await b.offer(), "op")  # never applies the answer
        await until(lambda: closed == ["ice_timeout"], timeout=8)
        assert manager.reaped == 1 and hub.consumers == 0
    finally:
        await b.close()
        await manager.close_all()
        await reg.close()


@pytest.mark.asyncio
async def test_caps_hold_for_simultaneous_offers(rtsp_peer: type[RtspPeer]) -> None:
    peer = rtsp_peer({"car": str(VIDEO / "car-detection.mp4")}).start()
    reg = HubRegistry(options=OpenOptions(open_timeout_s=3))
    hub = reg.configure("car", parse_source_url(peer.url("car"), media_root=None))
    manager = PeerManager(PeerLimits(max_per_user=3, max_total=4))
    browsers = [Browser() for _ in range(10)]
    try:
        offers = [await b.offer() for b in browsers]
        # Every offer waits for the camera's first picture at once: checks and answers overlap.
        users = ["op"] * 6 + ["other"] * 4
        results = await asyncio.gather(
            *(manager.offer(hub, sdp, user) for sdp, user in zip(offers, users, strict=True)),
            return_exceptions=True,
        )
        accepted = [r for r in results if not isinstance(r, BaseException)]
        refused = [r for r in results if isinstance(r, OfferError)]
        assert len(accepted) == 4 and len(refused) == 6, results
        assert manager.count() == 4 and manager.count("op") <= 3
        assert {r.code for r in refused} <= {"too_many_viewers", "too_many_for_user"}
        group_sdp = await Browser().offer()
        with pytest.raises(OfferError) as info:
            await manager.offer_group([hub], group_sdp, "third")
        assert info.value.code == "too_many_viewers"
    finally:
        for b in browsers:
            await b.close()
        await manager.close_all()
        await reg.close()
