"""Viewer peer connections: offer in, answer out, limits, reaping, stats, shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)

from streams.mse import MseView
from streams.params import frames_reorder
from streams.webrtc.group import Group, check_group_size, open_group
from streams.webrtc.offers import MAX_SDP, OfferError, clean_offer
from streams.webrtc.profile import advertise
from streams.webrtc.source import PacketSource
from streams.webrtc.track import PassthroughTrack
from streams.webrtc.transcode import TranscodeHub, needs_transcode

__all__ = [
    "MAX_SDP",
    "Group",
    "NeedsTranscode",
    "OfferError",
    "PeerLimits",
    "PeerManager",
    "Viewer",
    "clean_offer",
]
log = logging.getLogger(__name__)
# How many closed viewer and group ids are remembered for late "stop" requests.
GONE_KEPT = 4096


@dataclass
class Viewer:
    """One live view: who watches which camera, since when, how it is carried."""

    id: int
    camera_id: str
    user: str
    mode: str  # passthrough | transcode:<reason>
    pc: RTCPeerConnection
    track: PassthroughTrack
    started: float = field(default_factory=time.monotonic)
    started_at: float = field(default_factory=time.time)  # wall clock, for the audit
    connected_at: float | None = None
    last_report_at: float | None = None  # when a new RTCP receiver report was last seen
    report_stamp: float | None = field(default=None, repr=False)  # that report's own time
    closed_reason: str | None = None
    group: int | None = None  # the grouped peer connection it shares, if any

    @property
    def seconds(self) -> float:
        """How long the view lasted so far."""
        return time.monotonic() - self.started

    def stats(self) -> dict[str, Any]:
        """Figures for the audit and the live-view list (times in seconds)."""
        t = self.track
        return {
            "viewer_id": self.id,
            "camera_id": self.camera_id,
            "user": self.user,
            "mode": self.mode,
            "started_at": self.started_at,
            "seconds": round(self.seconds, 3),
            "connected": self.connected_at is not None,
            "offer_to_connected_s": _since(self.started, self.connected_at),
            "offer_to_first_frame_s": _since(self.started, t.first_sent_at),
            "frames_sent": t.frames_sent,
            "keyframes_sent": t.keyframes_sent,
            "bytes_sent": t.bytes_sent,
            "dropped": t.dropped,
            "closed_reason": self.closed_reason,
            "group": self.group,
        }


def _since(start: float, end: float | None) -> float | None:
    return None if end is None else round(end - start, 3)


Closed = Callable[[Viewer], Awaitable[None]]


class NeedsTranscode(OfferError):
    """The stream cannot pass through and the caller did not allow a transcode."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            "needs_transcode", f"the stream cannot go to a browser as it is ({reason})", 409
        )
        self.reason = reason


@dataclass
class PeerLimits:
    """Caps that protect the server."""

    max_total: int = 64
    max_per_user: int = 36
    max_transcodes: int = 2
    ice_timeout_s: float = 15.0  # ICE must complete within this, or the peer is reaped
    info_timeout_s: float = 6.0  # the camera must deliver stream facts within this
    group_info_timeout_s: float = 3.0  # a grouped camera silent this long starts as "waiting"
    silent_after_s: float = 20.0  # a connected viewer without RTCP reports this long is closed
    check_every_s: float = 2.0
    max_sdp_bytes: int = MAX_SDP
    reorder_wait_s: float = 2.0  # slice headers may take this long to show B-frames


def h264_first(pc: RTCPeerConnection, track: PassthroughTrack) -> Any:
    # Track and codec preferences must exist before the offer is applied: aiortc picks the
    # codec there, and would otherwise settle on VP8 that a pass-through cannot feed.
    transceiver = pc.addTransceiver(track, direction="sendonly")
    transceiver.setCodecPreferences(
        [
            c
            for c in RTCRtpSender.getCapabilities("video").codecs
            if c.mimeType.lower() in ("video/h264", "video/rtx")
        ]
    )
    return transceiver


class PeerManager:
    """Creates and tracks viewer peers; one upstream per camera however many viewers."""

    def __init__(
        self,
        limits: PeerLimits | None = None,
        on_closed: Closed | None = None,
        ice_servers: Callable[[], list[RTCIceServer]] | None = None,
    ) -> None:
        self.limits = limits or PeerLimits()
        self.on_closed = on_closed
        # STUN/TURN for the server's own candidates (the browsers get the same list); asked
        # per connection, as TURN REST credentials expire.
        self.ice_servers = ice_servers or list
        self.viewers: dict[int, Viewer] = {}
        self.groups: dict[int, Group] = {}
        self.streams: dict[int, MseView] = {}  # MSE views (their sockets live in the router)
        self.transcoders: dict[str, TranscodeHub] = {}
        self._ids = itertools.count(1)
        # Slots held by offers still being answered, so concurrent offers cannot overshoot.
        self._reserved: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._monitor: asyncio.Task[None] | None = None
        self.reaped = 0  # ICE never completed
        self.failed = 0  # connection failed after the answer
        self.silenced = 0  # stopped sending receiver reports
        # Recently closed viewers and groups -> their user, so a late "stop" is not an error.
        self.gone: OrderedDict[tuple[str, int], str] = OrderedDict()

    def _remember(self, kind: str, ident: int, user: str) -> None:
        self.gone[(kind, ident)] = user
        while len(self.gone) > GONE_KEPT:
            self.gone.popitem(last=False)

    def closed_by(self, kind: str, ident: int) -> str | None:
        """The user of a viewer or group ("viewer"/"group") closed lately, else None."""
        return self.gone.get((kind, ident))

    def count(self, user: str | None = None) -> int:
        """Live viewers (WebRTC and MSE, and slots held by offers being answered), in total or
        of one user."""
        held = sum(self._reserved.values()) if user is None else self._reserved.get(user, 0)
        users = [v.user for v in self.viewers.values()] + [v.user for v in self.streams.values()]
        return held + sum(1 for u in users if user is None or u == user)

    def _reserve(self, user: str, n: int) -> None:
        """Check the caps and hold `n` slots in one step (no await between the two)."""
        if self.count() + n > self.limits.max_total:
            raise OfferError("too_many_viewers", "the server is at its viewer limit", 429)
        if self.count(user) + n > self.limits.max_per_user:
            raise OfferError(
                "too_many_for_user", f"at most {self.limits.max_per_user} live views per user", 429
            )
        self._reserved[user] = self._reserved.get(user, 0) + n

    def _release(self, user: str, n: int) -> None:
        left = self._reserved.get(user, 0) - n
        if left > 0:
            self._reserved[user] = left
        else:
            self._reserved.pop(user, None)

    def admit_stream(self, camera_id: str, user: str) -> MseView:
        """Register an MSE view under the same viewer limits (raises OfferError)."""
        self._reserve(user, 1)  # checks the caps; the view takes the slot at once
        self._release(user, 1)
        view = MseView(next(self._ids), camera_id, user)
        self.streams[view.id] = view
        return view

    def release_stream(self, view: MseView, reason: str) -> None:
        """Forget an MSE view (its connection has ended)."""
        if self.streams.pop(view.id, None) is not None:
            view.closed_reason = view.closed_reason or reason
            self._remember("viewer", view.id, view.user)

    def counters(self) -> dict[str, int]:
        """Totals for metrics."""
        return {
            "viewers": self.count(),
            "groups": len(self.groups),
            "transcodes": len(self.transcoders),
            "reaped": self.reaped,
            "failed": self.failed,
            "silenced": self.silenced,
        }

    def new_pc(self) -> RTCPeerConnection:
        """A peer connection with the configured STUN/TURN servers (none: offline sites)."""
        return RTCPeerConnection(RTCConfiguration(iceServers=self.ice_servers()))

    async def passthrough_verdict(self, hub: PacketSource) -> str | None:
        """Why the camera's stream cannot go to a browser as it is (None: it can).

        Decided from its parameter sets and first slice headers, also when no frame has been
        cached yet; raises OfferError when the camera sends nothing.
        """
        if hub.info is None:
            try:
                await asyncio.wait_for(hub.info_ready.wait(), self.limits.info_timeout_s)
            except TimeoutError as exc:
                raise OfferError("camera_offline", "the camera sends no video", 503) from exc
        assert hub.info is not None
        if hub.info.codec != "h264":
            return needs_transcode(hub.info, False)
        reorders = await frames_reorder(hub.params, self.limits.reorder_wait_s)
        return needs_transcode(hub.info, reorders)

    async def _source_for(
        self, hub: PacketSource, force: bool, instant: bool, allow_transcode: bool = True
    ) -> tuple[PacketSource, str]:
        reason = "requested" if force else await self.passthrough_verdict(hub)
        if reason is None:
            return hub, "passthrough"
        if not allow_transcode:
            raise NeedsTranscode(reason)
        tx = self.transcoders.get(hub.camera_id)
        if tx is None:
            if len(self.transcoders) >= self.limits.max_transcodes:
                raise OfferError(
                    "transcode_cap",
                    f"transcode needed ({reason}) but all "
                    f"{self.limits.max_transcodes} transcode slots are busy",
                    429,
                )
            tx = TranscodeHub(hub, instant=instant)
            self.transcoders[hub.camera_id] = tx
        return tx, f"transcode:{reason}"

    async def offer(
        self,
        hub: PacketSource,
        sdp: str,
        user: str,
        instant: bool = True,
        transcode: bool = False,
        allow_transcode: bool = True,
    ) -> tuple[Viewer, str]:
        """Answer a viewer's offer for a camera hub (raises OfferError with a reason code)."""
        cleaned = clean_offer(sdp, self.limits.max_sdp_bytes)
        self._reserve(user, 1)
        try:
            return await self._answer(hub, cleaned, user, instant, transcode, allow_transcode)
        finally:
            self._release(user, 1)

    async def _answer(
        self,
        hub: PacketSource,
        cleaned: str,
        user: str,
        instant: bool,
        transcode: bool,
        allow_transcode: bool,
    ) -> tuple[Viewer, str]:
        started = time.monotonic()
        # Hold the upstream open while deciding, so it is not closed and reopened.
        probe = hub.subscribe(maxsize=4, name="probe", with_gop=False)
        try:
            source, mode = await self._source_for(hub, transcode, instant, allow_transcode)
            track = PassthroughTrack(source, instant=instant)
        finally:
            probe.close()
        pc = self.new_pc()
        viewer = Viewer(next(self._ids), hub.camera_id, user, mode, pc, track, started)
        transceiver = h264_first(pc, track)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=cleaned, type="offer"))
            if not any(t.kind == "video" and t.sender.track for t in pc.getTransceivers()):
                raise OfferError("no_video", "the offer cannot receive video")
            if not any(c.mimeType.lower() == "video/h264" for c in transceiver._codecs):
                raise OfferError("no_h264", "the offer accepts no H.264 video")
            advertise(pc, [(transceiver, sent_profile(source))], cleaned)
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            await self._discard(viewer)
            if isinstance(exc, OfferError):
                raise
            raise OfferError("bad_sdp", f"offer refused: {exc}") from exc
        self.viewers[viewer.id] = viewer
        self._watch_state(viewer)
        self._track(viewer)
        return viewer, pc.localDescription.sdp

    async def offer_group(
        self,
        hubs: list[PacketSource],
        sdp: str,
        user: str,
        instant: bool = True,
        allow_transcode: bool = True,
    ) -> tuple[Group, list[Viewer | OfferError], str]:
        """Answer one offer carrying a video m-line per camera, in order (see group.py)."""
        check_group_size(len(hubs))
        self._reserve(user, len(hubs))
        try:
            return await open_group(self, hubs, sdp, user, instant, allow_transcode)
        finally:
            self._release(user, len(hubs))

    def _track(self, viewer: Viewer) -> None:
        """Reap the viewer if ICE never completes; watch it for silence."""
        self._spawn(self._reap_if_unconnected(viewer))
        if self._monitor is None or self._monitor.done():
            self._monitor = asyncio.ensure_future(self._watch_silence())

    def _watch_state(self, viewer: Viewer) -> None:
        pc = viewer.pc

        @pc.on("connectionstatechange")
        async def _state() -> None:
            if pc.connectionState == "connected" and viewer.connected_at is None:
                viewer.connected_at = time.monotonic()
                log.debug("viewer %s connected in %.2f s", viewer.id, viewer.seconds)
            elif pc.connectionState in ("failed", "closed") and viewer.id in self.viewers:
                if pc.connectionState == "failed":
                    self.failed += 1
                await self.close(viewer.id, pc.connectionState)

    async def _discard(self, viewer: Viewer) -> None:
        viewer.track.stop()
        group = self.groups.get(viewer.group) if viewer.group is not None else None
        if group is not None and viewer.id in group.viewer_ids:
            group.viewer_ids.remove(viewer.id)
        if group is None or not group.viewer_ids:  # a group's pc closes with its last track
            if group is not None:
                self.groups.pop(group.id, None)
                self._remember("group", group.id, group.user)
            await viewer.pc.close()
        await self._release_transcoder(viewer.camera_id)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reap_if_unconnected(self, viewer: Viewer) -> None:
        await asyncio.sleep(self.limits.ice_timeout_s)
        if viewer.id in self.viewers and viewer.connected_at is None:
            self.reaped += 1
            log.info("viewer %s of camera %s never connected; closed", viewer.id, viewer.camera_id)
            await self.close(viewer.id, "ice_timeout")

    async def _watch_silence(self) -> None:
        """Close connected viewers whose receiver reports stopped (tab gone, network cut)."""
        while self.viewers:
            await asyncio.sleep(self.limits.check_every_s)
            now = time.monotonic()
            stamps: dict[int, float | None] = {}  # per pc: a group's viewers share one
            for viewer in list(self.viewers.values()):
                if viewer.connected_at is None:
                    continue
                with contextlib.suppress(Exception):  # stats of a closing peer may be gone
                    if id(viewer.pc) not in stamps:
                        stamps[id(viewer.pc)] = await _report_stamp(viewer.pc)
                    stamp = stamps[id(viewer.pc)]
                    if stamp is not None and stamp != viewer.report_stamp:
                        viewer.last_report_at = now
                        viewer.report_stamp = stamp
                last = viewer.last_report_at or viewer.connected_at
                if now - last > self.limits.silent_after_s and viewer.id in self.viewers:
                    self.silenced += 1
                    log.info("viewer %s of camera %s went silent", viewer.id, viewer.camera_id)
                    await self.close(viewer.id, "silent")

    async def _release_transcoder(self, camera_id: str) -> None:
        tx = self.transcoders.get(camera_id)
        if tx is not None and tx.consumers == 0:
            self.transcoders.pop(camera_id, None)
            await tx.close()

    async def close(self, viewer_id: int, reason: str = "closed") -> Viewer | None:
        """Close one viewer (idempotent); the close hook gets it with its reason."""
        view = self.streams.get(viewer_id)
        if view is not None:  # an MSE view ends when its socket task sees this
            view.closed_reason = reason
            view.stop.set()
            return None
        viewer = self.viewers.pop(viewer_id, None)
        if viewer is None:
            return None
        viewer.closed_reason = reason
        self._remember("viewer", viewer.id, viewer.user)
        await self._discard(viewer)
        if self.on_closed is not None:
            try:
                await self.on_closed(viewer)
            except Exception:
                log.exception("viewer close hook failed")
        return viewer

    async def close_group(self, group_id: int, reason: str = "closed") -> Group | None:
        """Close every viewer of a group and its peer connection (idempotent)."""
        group = self.groups.get(group_id)
        if group is None:
            return None
        for vid in list(group.viewer_ids):
            await self.close(vid, reason)
        if self.groups.pop(group_id, None) is not None:  # every slot had been closed already
            await group.pc.close()
        self._remember("group", group.id, group.user)
        return group

    async def close_all(self) -> None:
        """Close every peer, transcoder and background task (shutdown)."""
        for view in self.streams.values():
            view.closed_reason = "shutdown"
            view.stop.set()
        for vid in list(self.viewers):
            await self.close(vid, "shutdown")
        for gid in list(self.groups):
            await self.close_group(gid, "shutdown")
        tasks = [*self._tasks, *([self._monitor] if self._monitor else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for tx in list(self.transcoders.values()):
            await tx.close()
        self.transcoders.clear()


async def _report_stamp(pc: RTCPeerConnection) -> float | None:
    """The time of the newest RTCP receiver report the peer has seen, if any."""
    report = await pc.getStats()
    seen = [s for s in report.values() if s.type == "remote-inbound-rtp"]
    return max((s.timestamp.timestamp() for s in seen), default=None)


def sent_profile(source: PacketSource) -> str | None:
    """The H.264 profile-level-id of what a viewer of `source` receives (None: unknown)."""
    if isinstance(source, TranscodeHub):
        return source.profile_level_id
    sps = source.params.h264
    return sps.profile_level_id if sps is not None else None
