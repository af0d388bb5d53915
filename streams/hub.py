"""One upstream per camera, opened on demand and fanned out to bounded consumer queues."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import time
from collections.abc import Callable
from pathlib import Path

from streams.bitstream import has_b_slices
from streams.links import Backoff, HubStats, LinkState, Subscription, join_threads
from streams.packets import Packet, StreamInfo
from streams.params import StreamParams
from streams.source import OpenOptions, SourceReader
from streams.urls import SourceUrl, parse_source_url

log = logging.getLogger(__name__)
# Re-exported: consumers import these from the hub.
__all__ = [
    "Backoff",
    "CameraHub",
    "EventHook",
    "HubRegistry",
    "HubStats",
    "LinkState",
    "Subscription",
    "Tap",
    "join_threads",
]


Tap = Callable[[Packet], None]
EventHook = Callable[[str, "CameraHub"], None]


class CameraHub:
    """Owns the single upstream of one camera; keeps the last keyframe and the GOP since it."""

    def __init__(
        self,
        camera_id: str,
        src: SourceUrl,
        *,
        options: OpenOptions = OpenOptions(),
        stall_timeout_s: float = 5.0,
        linger_s: float = 0.0,
        gop_limit: int = 600,
        gop_max_bytes: int = 16 << 20,
        on_event: EventHook | None = None,
        backoff_max_s: float = 10.0,
        stable_s: float = 30.0,
    ) -> None:
        self.camera_id = camera_id
        self.src = src
        self.options = options
        self.stall_timeout_s = stall_timeout_s
        self.linger_s = linger_s
        self.gop_limit = gop_limit
        self.gop_max_bytes = gop_max_bytes
        self.on_event = on_event
        self.state = LinkState.idle
        self.info: StreamInfo | None = None
        self.info_ready = asyncio.Event()
        # What this connection's SPS and first slice headers say (B-frames, profile, level).
        self.params = StreamParams()
        self.gop: list[Packet] = []
        # False once the cache had to drop frames: only its keyframe is then usable on its own.
        self.gop_whole = True
        self._gop_bytes = 0
        self.last_packet_at: float | None = None
        self.connected_at: float | None = None
        self.stats = HubStats()
        # Capped low: a camera back after a long outage should be seen within seconds.
        self.backoff = Backoff(cap_s=backoff_max_s)
        self.stable_s = stable_s
        self._subs: set[Subscription] = set()
        self._taps: set[Tap] = set()
        self._reader: SourceReader | None = None
        # Every thread started and not yet seen to end, stalled ones included, for close().
        self._threads: set[SourceReader] = set()
        self._generation = 0
        self._task: asyncio.Task[None] | None = None
        self._ended: asyncio.Event = asyncio.Event()
        self._end_reason = ("eof", "the stream ended")
        self._linger: asyncio.TimerHandle | None = None
        self._logged_failure: str | None = None  # the open failure last logged

    @property
    def masked_url(self) -> str:
        """The URL safe for logs."""
        return self.src.masked

    @property
    def consumers(self) -> int:
        """Subscriptions plus taps."""
        return len(self._subs) + len(self._taps)

    def subscribe(self, maxsize: int = 256, name: str = "", with_gop: bool = True) -> Subscription:
        """Start receiving packets; a new consumer first gets the cached keyframe and GOP."""
        cached, contiguous = self.start_packets() if with_gop else ([], False)
        # The cached burst comes on top of the lag budget, so a long GOP is never cut short.
        sub = Subscription(self, maxsize + len(cached), name)
        for pkt in cached:
            sub.offer(pkt)
        # Without the whole GOP, live frames would reference missing ones: wait for a key.
        sub.waiting_for_key = not contiguous
        self._subs.add(sub)
        self._ensure_running()
        return sub

    def start_packets(self) -> tuple[list[Packet], bool]:
        """Cached packets a new consumer can decode from, and whether live packets follow on."""
        if not self.gop:
            return [], False
        if self.gop_whole:
            return list(self.gop), True
        # Show the keyframe at once, then resume at the next one.
        return [self.gop[0]], False

    def gop_has_b_frames(self) -> bool | None:
        """Whether the cached GOP holds B-frames (H.264: slice headers); None before a GOP.

        Not pts != dts: over RTSP the dts is FFmpeg's guess and differs on every camera.
        """
        if self.info is None or len(self.gop) < 2:
            return None
        found = [has_b_slices(p.data, self.info.codec) for p in self.gop]
        if all(f is not None for f in found):
            return any(found)
        stamps = [p.pts for p in self.gop if p.pts is not None]
        return any(b < a for a, b in itertools.pairwise(stamps))

    def unsubscribe(self, sub: Subscription) -> None:
        """Remove a consumer."""
        if sub in self._subs:
            self._subs.discard(sub)
            with contextlib.suppress(asyncio.QueueFull):
                sub.queue.put_nowait(None)
        self._maybe_stop()

    def add_tap(self, tap: Tap) -> None:
        """A synchronous consumer called for every packet (cheap work only, e.g. health)."""
        self._taps.add(tap)
        self._ensure_running()

    def remove_tap(self, tap: Tap) -> None:
        """Remove a tap."""
        self._taps.discard(tap)
        self._maybe_stop()

    def _ensure_running(self) -> None:
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
        task = self._task
        if task is not None and not task.done() and task.cancelling():
            # Stopping after the last consumer left; start again once it has wound down.
            task.add_done_callback(lambda _t: self._ensure_running() if self.consumers else None)
            return
        if task is None or task.done():
            self._task = asyncio.create_task(self._supervise(), name=f"hub-{self.camera_id}")

    def _maybe_stop(self) -> None:
        if self.consumers:
            return
        if self.linger_s > 0:
            loop = asyncio.get_running_loop()
            self._linger = loop.call_later(self.linger_s, self._stop_now)
        else:
            self._stop_now()

    def _stop_now(self) -> None:
        self._linger = None
        if self.consumers == 0 and self._task is not None:
            self._task.cancel()

    def restart(self) -> None:
        """Drop the current connection (e.g. the URL changed); reconnect if anyone listens."""
        if self._task is not None:
            # The new connection starts once this one has wound down (see _ensure_running).
            self._task.cancel()
        if self.consumers:
            self._ensure_running()

    @property
    def threads(self) -> list[SourceReader]:
        """Reader threads started by this hub that are still running."""
        self._threads = {t for t in self._threads if t.is_alive()}
        return list(self._threads)

    async def close(self, *, join_s: float | None = None) -> None:
        """Stop the upstream, end every subscription and wait (bounded) for reader threads."""
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for sub in list(self._subs):
            with contextlib.suppress(asyncio.QueueFull):
                sub.queue.put_nowait(None)
        self._subs.clear()
        self._taps.clear()
        self.state = LinkState.closed
        if join_s is None:
            join_s = self.options.read_timeout_s + 1.0
        if join_s > 0 and self.threads:
            await asyncio.to_thread(join_threads, self.threads, join_s)

    def _emit(self, what: str) -> None:
        if self.on_event is not None:
            try:
                self.on_event(what, self)
            except Exception:
                log.exception("hub event handler failed for %s", self.camera_id)

    async def _supervise(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.consumers:
                self._generation += 1
                self.state = LinkState.connecting
                self._ended = asyncio.Event()
                reader = SourceReader(
                    self.camera_id,
                    self.src,
                    loop,
                    self._on_info,
                    self._on_packet,
                    functools.partial(self._on_end, self._generation),
                    self.options,
                    self._generation,
                )
                self._reader = reader
                started = time.monotonic()
                self.last_packet_at = None
                self._threads = {t for t in self._threads if t.is_alive()}
                self._threads.add(reader)
                reader.start()
                code, reason = await self._watch(started)
                reader.stop()
                # Frames of the next connection must not follow this one's GOP.
                self._reset_gop()
                for sub in self._subs:
                    sub.waiting_for_key = True
                was_connected = self.state == LinkState.connected
                self.state = LinkState.backoff
                self.stats.failures += 1
                self.stats.last_error = reason
                self.stats.last_reason = code
                if was_connected:
                    log.warning("camera %s lost (%s)", self.camera_id, reason)
                    self._emit("disconnected")
                    if self.connected_at and time.monotonic() - self.connected_at > self.stable_s:
                        self.backoff.reset()
                else:
                    # A camera that keeps failing logs when the reason changes, not every retry.
                    if code != self._logged_failure:
                        log.warning("camera %s cannot be opened (%s)", self.camera_id, code)
                    self._emit("failed")
                self._logged_failure = code
                self.connected_at = None
                await asyncio.sleep(self.backoff.next_delay())
        finally:
            if self._reader is not None:
                self._reader.stop()
            # A cached picture from a closed connection would be shown as live: drop it.
            self._reset_gop()
            self.state = LinkState.idle
            self.connected_at = None
            self._emit("idle")

    async def _watch(self, started: float) -> tuple[str, str]:
        """Wait until the reader ends or stalls; return why (code, masked detail)."""
        while True:
            try:
                await asyncio.wait_for(self._ended.wait(), timeout=0.5)
                return self._end_reason
            except TimeoutError:
                pass
            now = time.monotonic()
            ref = self.last_packet_at or started
            limit = self.stall_timeout_s + (
                0 if self.last_packet_at else self.options.open_timeout_s
            )
            if now - ref > limit:
                # Judge by packet arrival, not thread liveness: a deadlocked reader is abandoned.
                self.stats.stalls_replaced += 1
                return "stalled", f"no packets for {now - ref:.1f} s"

    def _reset_gop(self) -> None:
        self.gop = []
        self.gop_whole = True
        self._gop_bytes = 0

    def _cache(self, pkt: Packet) -> None:
        if pkt.keyframe:
            self.gop = [pkt]
            self.gop_whole = True
            self._gop_bytes = pkt.size
        elif self.gop and self.gop_whole:
            if len(self.gop) < self.gop_limit and self._gop_bytes + pkt.size <= self.gop_max_bytes:
                self.gop.append(pkt)
                self._gop_bytes += pkt.size
            else:
                # A GOP with a hole cannot be decoded past it: keep only the keyframe.
                self.gop_whole = False
                del self.gop[1:]
                self._gop_bytes = self.gop[0].size

    def _on_info(self, info: StreamInfo) -> None:
        self.info = info
        self.params = StreamParams(info.codec, info.extradata)
        self.info_ready.set()

    def _on_end(self, generation: int, code: str, detail: str) -> None:
        if generation != self._generation:
            return  # an abandoned reader reporting late
        self._end_reason = (code, detail)
        self._ended.set()

    def _on_packet(self, pkt: Packet) -> None:
        if pkt.generation != self._generation:
            return  # a replaced reader's late packets
        now = pkt.arrival
        self.last_packet_at = now
        if self.state != LinkState.connected:
            self.state = LinkState.connected
            self.connected_at = now
            self.stats.connects += 1
            if self._logged_failure is not None:
                log.info("camera %s is sending again", self.camera_id)
                self._logged_failure = None
            self._emit("connected")
        if self.backoff.attempt and now - (self.connected_at or now) >= self.stable_s:
            # Stable again: the next outage starts from a short wait, not from the last one's.
            self.backoff.reset()
        self.params.feed(pkt.data, pkt.keyframe)
        self._cache(pkt)
        for tap in list(self._taps):
            tap(pkt)
        for sub in list(self._subs):
            sub.offer(pkt)


class HubRegistry:
    """All hubs, one per camera; every hub shares the same connection settings."""

    def __init__(
        self,
        *,
        options: OpenOptions = OpenOptions(),
        stall_timeout_s: float = 5.0,
        linger_s: float = 0.0,
        gop_limit: int = 600,
        gop_max_bytes: int = 16 << 20,
        on_event: EventHook | None = None,
        media_root: Path | None = None,
        backoff_max_s: float = 10.0,
        stable_s: float = 30.0,
    ) -> None:
        self._hubs: dict[str, CameraHub] = {}
        self.backoff_max_s = backoff_max_s
        self.stable_s = stable_s
        self.media_root = media_root
        self.options = options
        self.stall_timeout_s = stall_timeout_s
        self.linger_s = linger_s
        self.gop_limit = gop_limit
        self.gop_max_bytes = gop_max_bytes
        self.on_event = on_event

    def get(self, camera_id: str) -> CameraHub | None:
        """The hub of a camera, if configured."""
        return self._hubs.get(camera_id)

    def configure(self, camera_id: str, src: SourceUrl) -> CameraHub:
        """Create or re-point a camera's hub (a changed URL restarts its upstream)."""
        hub = self._hubs.get(camera_id)
        if hub is not None and hub.src == src:
            return hub
        if hub is not None:
            hub.src = src
            hub.restart()
            return hub
        hub = CameraHub(
            camera_id,
            src,
            options=self.options,
            stall_timeout_s=self.stall_timeout_s,
            linger_s=self.linger_s,
            gop_limit=self.gop_limit,
            gop_max_bytes=self.gop_max_bytes,
            on_event=self.on_event,
            backoff_max_s=self.backoff_max_s,
            stable_s=self.stable_s,
        )
        self._hubs[camera_id] = hub
        return hub

    def configure_url(self, camera_id: str, url: str) -> CameraHub:
        """Validate `url` (file: only inside the media folder) and configure the camera.

        Raises SourceUrlError with a stable `code` and a masked message.
        """
        return self.configure(camera_id, parse_source_url(url, media_root=self.media_root))

    def subscribe(self, camera_id: str, maxsize: int = 256, name: str = "") -> Subscription:
        """A consumer queue on a configured camera (opens its upstream if it was idle)."""
        hub = self._hubs.get(camera_id)
        if hub is None:
            raise KeyError(f"camera {camera_id!r} is not configured")
        return hub.subscribe(maxsize=maxsize, name=name)

    async def remove(self, camera_id: str) -> None:
        """Close and forget a camera's hub."""
        hub = self._hubs.pop(camera_id, None)
        if hub is not None:
            await hub.close()

    def hubs(self) -> list[CameraHub]:
        """Every hub."""
        return list(self._hubs.values())

    async def close(self) -> None:
        """Close every hub, then wait (bounded, once for all) for their reader threads."""
        hubs = list(self._hubs.values())
        self._hubs.clear()
        await asyncio.gather(*(h.close(join_s=0) for h in hubs), return_exceptions=True)
        threads = [t for h in hubs for t in h.threads]
        if threads:
            await asyncio.to_thread(join_threads, threads, self.options.read_timeout_s + 1.0)
