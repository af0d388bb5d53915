"""Viewer peer connections: offer in, answer out, limits, reaping, stats, shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription

from streams.hub import CameraHub
from streams.webrtc.track import PassthroughTrack
from streams.webrtc.transcode import TranscodeHub, needs_transcode

log = logging.getLogger(__name__)
MAX_SDP = 64 * 1024
_MDNS = re.compile(r"^a=candidate:.* [0-9a-zA-Z-]+\.local .*$", re.MULTILINE)


class OfferError(ValueError):
    """A refused offer; `code` is a stable reason key and `status` the HTTP status to use."""

    def __init__(self, code: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass
class Viewer:
    """One live view: who watches which camera, since when, how it is carried."""

    id: int
    camera_id: str
    user: str
    mode: str  # passthrough | transcode
    pc: RTCPeerConnection
    track: PassthroughTrack
    started: float = field(default_factory=time.monotonic)
    connected_at: float | None = None
    closed_reason: str | None = None

    @property
    def seconds(self) -> float:
        """How long the view lasted so far."""
        return time.monotonic() - self.started


Closed = Callable[[Viewer], Awaitable[None]]


@dataclass
class PeerLimits:
    """Caps that protect the server."""

    max_total: int = 64
    max_per_user: int = 36
    max_transcodes: int = 2
    ice_timeout_s: float = 15.0
    info_timeout_s: float = 6.0


def clean_offer(sdp: str) -> str:
    """Validate an SDP offer and drop mDNS candidates (resolving them costs 1 s per offer)."""
    if len(sdp) > MAX_SDP:
        raise OfferError("offer_too_large", f"SDP offer larger than {MAX_SDP} bytes", 413)
    if not sdp.startswith("v=0"):
        raise OfferError("bad_sdp", "not an SDP offer (it must start with v=0)")
    if "\nm=video" not in sdp.replace("\r\n", "\n"):
        raise OfferError("no_video", "the offer has no video section")
    return _MDNS.sub("", sdp).replace("\r\n\r\n", "\r\n")


class PeerManager:
    """Creates and tracks viewer peers; one upstream per camera however many viewers."""

    def __init__(self, limits: PeerLimits | None = None, on_closed: Closed | None = None) -> None:
        self.limits = limits or PeerLimits()
        self.on_closed = on_closed
        self.viewers: dict[int, Viewer] = {}
        self.transcoders: dict[str, TranscodeHub] = {}
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self.reaped = 0
        self.failed = 0

    def count(self, user: str | None = None) -> int:
        """Live viewers, in total or of one user."""
        return sum(1 for v in self.viewers.values() if user is None or v.user == user)

    async def _source_for(self, hub: CameraHub, force: bool = False) -> tuple[CameraHub, str]:
        if hub.info is None:
            try:
                await asyncio.wait_for(hub.info_ready.wait(), self.limits.info_timeout_s)
            except TimeoutError as exc:
                raise OfferError("camera_offline", "the camera sends no video", 503) from exc
        assert hub.info is not None
        b_frames = await self._has_b_frames(hub)
        reason = "requested" if force else needs_transcode(hub.info, b_frames)
        if reason is None:
            return hub, "passthrough"
        tx = self.transcoders.get(hub.camera_id)
        if tx is None:
            if len(self.transcoders) >= self.limits.max_transcodes:
                raise OfferError(
                    "transcode_cap",
                    f"transcode needed ({reason}) but all "
                    f"{self.limits.max_transcodes} transcode slots are busy",
                    429,
                )
            tx = TranscodeHub(hub)
            self.transcoders[hub.camera_id] = tx
        return tx, f"transcode:{reason}"

    @staticmethod
    async def _has_b_frames(hub: CameraHub) -> bool:
        """Whether decode order differs from display order (Baseline never has B-frames)."""
        info = hub.info
        if info is not None and (info.profile or "").endswith("Baseline"):
            return False
        for _ in range(30):  # up to 1.5 s for a few packets to compare orders
            if len(hub.gop) >= 4:
                break
            await asyncio.sleep(0.05)
        return any(p.pts != p.dts for p in hub.gop if p.pts is not None and p.dts is not None)

    async def offer(
        self, hub: CameraHub, sdp: str, user: str, instant: bool = True, transcode: bool = False
    ) -> tuple[Viewer, str]:
        """Answer a viewer's offer for a camera (raises OfferError)."""
        if self.count() >= self.limits.max_total:
            raise OfferError("too_many_viewers", "the server is at its viewer limit", 429)
        if self.count(user) >= self.limits.max_per_user:
            raise OfferError(
                "too_many_for_user", f"at most {self.limits.max_per_user} live views per user", 429
            )
        offer = RTCSessionDescription(sdp=clean_offer(sdp), type="offer")
        # Hold the upstream open while deciding, so it is not closed and reopened.
        probe = hub.subscribe(maxsize=4, name="probe", with_gop=False)
        try:
            source, mode = await self._source_for(hub, transcode)
            track = PassthroughTrack(source, instant=instant)
        finally:
            probe.close()
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        viewer = Viewer(next(self._ids), hub.camera_id, user, mode, pc, track)
        # Track and codec preferences must exist before the offer is applied: aiortc picks the
        # codec there, and would otherwise settle on VP8 that a pass-through cannot feed.
        transceiver = pc.addTransceiver(track, direction="sendonly")
        h264 = [
            c
            for c in RTCRtpSender.getCapabilities("video").codecs
            if c.mimeType.lower() in ("video/h264", "video/rtx")
        ]
        transceiver.setCodecPreferences(h264)
        try:
            await pc.setRemoteDescription(offer)
            if not any(t.kind == "video" and t.sender.track for t in pc.getTransceivers()):
                raise OfferError("no_video", "the offer cannot receive video")
            await pc.setLocalDescription(await pc.createAnswer())
        except OfferError:
            track.stop()
            await pc.close()
            raise
        except Exception as exc:
            track.stop()
            await pc.close()
            raise OfferError("bad_sdp", f"offer refused: {exc}") from exc
        if not any(c.mimeType.lower() == "video/h264" for c in transceiver._codecs):
            track.stop()
            await pc.close()
            raise OfferError("no_h264", "the browser offered no H.264")
        self.viewers[viewer.id] = viewer

        @pc.on("connectionstatechange")
        async def _state() -> None:
            if pc.connectionState == "connected" and viewer.connected_at is None:
                viewer.connected_at = time.monotonic()
            elif pc.connectionState in ("failed", "closed"):
                if pc.connectionState == "failed":
                    self.failed += 1
                await self.close(viewer.id, pc.connectionState)

        self._spawn(self._reap_if_silent(viewer))
        return viewer, pc.localDescription.sdp

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reap_if_silent(self, viewer: Viewer) -> None:
        await asyncio.sleep(self.limits.ice_timeout_s)
        if viewer.id in self.viewers and viewer.connected_at is None:
            self.reaped += 1
            log.info("viewer %s of camera %s never connected; closed", viewer.id, viewer.camera_id)
            await self.close(viewer.id, "ice_timeout")

    async def close(self, viewer_id: int, reason: str = "closed") -> Viewer | None:
        """Close one viewer (idempotent)."""
        viewer = self.viewers.pop(viewer_id, None)
        if viewer is None:
            return None
        viewer.closed_reason = reason
        viewer.track.stop()
        await viewer.pc.close()
        tx = self.transcoders.get(viewer.camera_id)
        if tx is not None and tx.consumers == 0:
            self.transcoders.pop(viewer.camera_id, None)
            await tx.close()
        if self.on_closed is not None:
            try:
                await self.on_closed(viewer)
            except Exception:
                log.exception("viewer close hook failed")
        return viewer

    async def close_all(self) -> None:
        """Close every peer, transcoder and background task (shutdown)."""
        for vid in list(self.viewers):
            await self.close(vid, "shutdown")
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for tx in list(self.transcoders.values()):
            await tx.close()
        self.transcoders.clear()
