"""Grouped live views: one peer connection, one camera per m-line; aiortc stands in for the
browser."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription

from streams.hub import CameraHub, HubRegistry
from streams.source import OpenOptions
from streams.urls import parse_source_url
from streams.webrtc.peers import OfferError, PeerLimits, PeerManager, Viewer
from tests.paths import VIDEO
from tests.webrtc.test_peers import until

pytestmark = pytest.mark.slow


class GroupBrowser:
    """An aiortc peer with one recvonly video transceiver per camera; counts frames per slot."""

    def __init__(self, n: int) -> None:
        self.pc = RTCPeerConnection()
        self.slots = [self.pc.addTransceiver("video", direction="recvonly") for _ in range(n)]
        self.frames = [0] * n
        self.sizes: list[tuple[int, int] | None] = [None] * n
        self._tasks: list[asyncio.Task[None]] = []

        @self.pc.on("track")
        def on_track(track) -> None:  # type: ignore[no-untyped-def]
            index = next(i for i, t in enumerate(self.slots) if t.receiver.track is track)
            self._tasks.append(asyncio.ensure_future(self._consume(index, track)))

    async def _consume(self, index: int, track: Any) -> None:
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            self.frames[index] += 1
            self.sizes[index] = (frame.width, frame.height)

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def answer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.pc.close()


@pytest.fixture
async def reg() -> AsyncIterator[HubRegistry]:
    registry = HubRegistry(options=OpenOptions(open_timeout_s=3))
    yield registry
    await registry.close()


def road(reg: HubRegistry, name: str) -> CameraHub:
    src = parse_source_url(f"file://{VIDEO / 'car-detection.mp4'}", media_root=VIDEO)
    return reg.configure(name, src)


@pytest.mark.asyncio
async def test_group_of_four_plays_in_every_slot_and_closes_all(reg: HubRegistry) -> None:
    closed: list[Viewer] = []

    async def on_closed(v: Viewer) -> None:
        closed.append(v)

    manager = PeerManager(on_closed=on_closed)
    hubs = [road(reg, f"c{i}") for i in range(3)]
    order = [hubs[0], hubs[1], hubs[2], hubs[0]]  # a camera may sit in two tiles
    b = GroupBrowser(4)
    try:
        group, slots, answer = await manager.offer_group(order, await b.offer(), "op")
        await b.answer(answer)
        assert [s.camera_id for s in slots if isinstance(s, Viewer)] == ["c0", "c1", "c2", "c0"]
        assert answer.count("m=video") == 4 and answer.count("a=sendonly") == 4
        await until(lambda: all(n > 10 for n in b.frames), timeout=20)
        assert b.sizes == [(768, 432)] * 4
        assert manager.count("op") == 4 and list(manager.groups) == [group.id]
        assert {v.group for v in manager.viewers.values()} == {group.id}
        await until(lambda: all(v.connected_at for v in manager.viewers.values()))
        assert hubs[0].consumers == 2 and hubs[1].consumers == 1
        await manager.close_group(group.id, "stopped")
        assert manager.viewers == {} and manager.groups == {}
        assert [h.consumers for h in hubs] == [0, 0, 0]
        assert sorted(v.camera_id for v in closed) == ["c0", "c0", "c1", "c2"]
        assert {v.closed_reason for v in closed} == {"stopped"}
        assert group.pc.connectionState == "closed"
    finally:
        await b.close()
        await manager.close_all()


@pytest.mark.asyncio
async def test_offline_camera_waits_without_stalling_the_others(reg: HubRegistry) -> None:
    manager = PeerManager(PeerLimits(group_info_timeout_s=0.5))
    dead = reg.configure("dead", parse_source_url("rtsp://127.0.0.1:9/none", media_root=None))
    order = [road(reg, "c0"), dead, road(reg, "c1")]
    b = GroupBrowser(3)
    try:
        _group, slots, answer = await manager.offer_group(order, await b.offer(), "op")
        await b.answer(answer)
        assert [s.mode for s in slots if isinstance(s, Viewer)] == [
            "passthrough",
            "waiting",
            "passthrough",
        ]
        await until(lambda: b.frames[0] > 20 and b.frames[2] > 20, timeout=20)
        assert b.frames[1] == 0
        assert dead.consumers == 1  # still held: the track resumes when the camera returns
        # Stopping one slot leaves the others playing on the shared connection.
        await manager.close(slots[0].id if isinstance(slots[0], Viewer) else 0, "stopped")
        before = b.frames[2]
        await until(lambda: b.frames[2] > before + 10)
        assert len(manager.groups) == 1 and manager.count() == 2
    finally:
        await b.close()
        await manager.close_all()
    assert manager.groups == {} and dead.consumers == 0


@pytest.mark.asyncio
async def test_group_limits_and_bad_offers(reg: HubRegistry) -> None:
    manager = PeerManager(PeerLimits(max_per_user=3, max_total=5))
    hubs = [road(reg, f"c{i}") for i in range(4)]
    try:
        with pytest.raises(OfferError) as info:
            await manager.offer_group(hubs, await GroupBrowser(4).offer(), "op")
        assert (info.value.code, info.value.status) == ("too_many_for_user", 429)
        with pytest.raises(OfferError) as info:
            await manager.offer_group(hubs[:2], await GroupBrowser(3).offer(), "op")
        assert info.value.code == "group_mismatch"
        with pytest.raises(OfferError) as info:
            await manager.offer_group([], await GroupBrowser(1).offer(), "op")
        assert info.value.code == "group_size"
        b = GroupBrowser(3)
        _g, _slots, _answer = await manager.offer_group(hubs[:3], await b.offer(), "op")
        with pytest.raises(OfferError) as info:
            await manager.offer_group(hubs[:3], await GroupBrowser(3).offer(), "other")
        assert (info.value.code, info.value.status) == ("too_many_viewers", 429)
        await b.close()
    finally:
        await manager.close_all()
    assert [h.consumers for h in hubs] == [0, 0, 0, 0]


@pytest.mark.asyncio
async def test_unanswered_group_is_reaped_whole(reg: HubRegistry) -> None:
    manager = PeerManager(PeerLimits(ice_timeout_s=1.5))
    hubs = [road(reg, f"c{i}") for i in range(2)]
    b = GroupBrowser(2)
    try:
        await manager.offer_group(hubs, await b.offer(), "op")  # the answer is never applied
        await until(lambda: not manager.groups, timeout=8)
        assert manager.reaped == 2 and manager.viewers == {}
        assert [h.consumers for h in hubs] == [0, 0]
    finally:
        await b.close()
        await manager.close_all()
