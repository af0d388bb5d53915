"""Grouped live views: one peer connection carrying one camera per video m-line, in order."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiortc import RTCPeerConnection, RTCSessionDescription

from streams.webrtc.offers import OfferError, clean_offer
from streams.webrtc.profile import advertise
from streams.webrtc.source import PacketSource
from streams.webrtc.track import PassthroughTrack

if TYPE_CHECKING:
    from streams.webrtc.peers import PeerManager, Viewer

GROUP_MAX = 64
SDP_PER_CAMERA = 16 * 1024  # a group's offer may grow by this much per camera
Decision = tuple[PacketSource, str] | OfferError


@dataclass
class Group:
    """One browser peer connection shared by the viewers of several cameras."""

    id: int
    user: str
    pc: RTCPeerConnection
    viewer_ids: list[int]
    started: float = field(default_factory=time.monotonic)


def video_sections(sdp: str) -> int:
    """How many video m-lines an offer has."""
    return sum(1 for m in sdp.replace("\r\n", "\n").split("\nm=")[1:] if m.startswith("video "))


async def _decide(
    manager: PeerManager, hub: PacketSource, instant: bool, allow_transcode: bool
) -> Decision:
    """Pass-through, shared transcode, or "waiting" for a camera that sends nothing yet."""
    if hub.info is None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(hub.info_ready.wait(), manager.limits.group_info_timeout_s)
    if hub.info is None:
        return hub, "waiting"  # its track starts by itself when the camera sends again
    try:
        return await manager._source_for(hub, False, instant, allow_transcode)
    except OfferError as exc:
        return exc


def _unique(hubs: list[PacketSource]) -> list[PacketSource]:
    return list({id(h): h for h in hubs}.values())


async def _decisions(
    manager: PeerManager, hubs: list[PacketSource], instant: bool, allow_transcode: bool
) -> list[Decision]:
    """Decide every distinct camera at once (the caller holds their upstreams open)."""
    unique = _unique(hubs)
    found = await asyncio.gather(*(_decide(manager, h, instant, allow_transcode) for h in unique))
    by_hub = {id(h): d for h, d in zip(unique, found, strict=True)}
    return [by_hub[id(h)] for h in hubs]


def check_group_size(n: int) -> None:
    """A group holds 1 to GROUP_MAX cameras (the viewer caps are held by the manager)."""
    if not 1 <= n <= GROUP_MAX:
        raise OfferError("group_size", f"a group holds 1 to {GROUP_MAX} cameras, not {n}")


async def open_group(
    manager: PeerManager,
    hubs: list[PacketSource],
    sdp: str,
    user: str,
    instant: bool,
    allow_transcode: bool = True,
) -> tuple[Group, list[Viewer | OfferError], str]:
    """Answer an offer with one sendonly track per camera; a refused camera's m-line is
    inactive and its slot holds the error (raised when every slot is refused)."""
    from streams.webrtc.peers import Viewer, h264_first, sent_profile

    cleaned = clean_offer(sdp, manager.limits.max_sdp_bytes + SDP_PER_CAMERA * len(hubs))
    if video_sections(cleaned) != len(hubs):
        raise OfferError(
            "group_mismatch",
            f"the offer has {video_sections(cleaned)} video sections for {len(hubs)} cameras",
        )
    started = time.monotonic()
    # Hold every upstream open while deciding, so none is closed and reopened.
    probes = [h.subscribe(maxsize=4, name="probe", with_gop=False) for h in _unique(hubs)]
    try:
        decisions = await _decisions(manager, hubs, instant, allow_transcode)
        if not any(isinstance(d, tuple) for d in decisions):
            first = decisions[0]
            assert isinstance(first, OfferError)
            raise first
        pc = manager.new_pc()
        group = Group(next(manager._ids), user, pc, [], started)
        slots: list[Viewer | OfferError] = []
        senders = []
        for hub, decision in zip(hubs, decisions, strict=True):
            if isinstance(decision, OfferError):
                pc.addTransceiver("video", direction="inactive")
                slots.append(decision)
                continue
            source, mode = decision
            track = PassthroughTrack(source, instant=instant)
            viewer = Viewer(next(manager._ids), hub.camera_id, user, mode, pc, track, started)
            viewer.group = group.id
            senders.append((h264_first(pc, track), sent_profile(source)))
            slots.append(viewer)
    finally:
        for probe in probes:
            probe.close()
    viewers = [v for v in slots if not isinstance(v, OfferError)]
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=cleaned, type="offer"))
        if not all(any(c.mimeType.lower() == "video/h264" for c in t._codecs) for t, _ in senders):
            raise OfferError("no_h264", "the offer accepts no H.264 video")
        advertise(pc, senders, cleaned)
        await pc.setLocalDescription(await pc.createAnswer())
    except Exception as exc:
        for v in viewers:
            v.track.stop()
        await pc.close()
        for v in viewers:
            await manager._release_transcoder(v.camera_id)
        if isinstance(exc, OfferError):
            raise
        raise OfferError("bad_sdp", f"offer refused: {exc}") from exc
    group.viewer_ids = [v.id for v in viewers]
    manager.groups[group.id] = group
    for v in viewers:
        manager.viewers[v.id] = v
        manager._track(v)
    _watch_group_state(manager, group)
    return group, slots, pc.localDescription.sdp


def _watch_group_state(manager: PeerManager, group: Group) -> None:
    pc = group.pc

    @pc.on("connectionstatechange")
    async def _state() -> None:
        if pc.connectionState == "connected":
            now = time.monotonic()
            for vid in group.viewer_ids:
                viewer = manager.viewers.get(vid)
                if viewer is not None and viewer.connected_at is None:
                    viewer.connected_at = now
        elif pc.connectionState in ("failed", "closed") and group.id in manager.groups:
            if pc.connectionState == "failed":
                manager.failed += len(group.viewer_ids)
            await manager.close_group(group.id, pc.connectionState)
