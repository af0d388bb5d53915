"""One shared transcode per camera for streams browsers cannot take as they are."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from typing import Any

import av

from streams.hub import CameraHub, LinkState
from streams.packets import Packet, StreamInfo
from streams.params import StreamParams
from streams.urls import SourceUrl
from streams.webrtc.profile import level_for
from streams.webrtc.source import PacketSource

log = logging.getLogger(__name__)
OUT_TB = Fraction(1, 90_000)


def needs_transcode(info: StreamInfo, b_frames: bool) -> str | None:
    """Why a stream cannot pass through to a browser (None when it can)."""
    if info.codec != "h264":
        return f"codec_{info.codec}"
    if b_frames:
        return "b_frames"
    if info.profile and (
        "4:2:2" in info.profile or "4:4:4" in info.profile or info.profile.startswith("High 10")
    ):
        return "profile"
    return None


class _Codec:
    """Decoder and H.264 encoder living in one worker thread."""

    def __init__(self, info: StreamInfo, fps: float, level: int) -> None:
        self.dec: Any = av.CodecContext.create(info.codec, "r")
        if info.extradata:
            self.dec.extradata = info.extradata
        self.enc: Any = av.CodecContext.create("libx264", "w")
        self.enc.width, self.enc.height = info.width - info.width % 2, info.height - info.height % 2
        self.enc.pix_fmt = "yuv420p"
        self.enc.time_base = OUT_TB
        self.enc.framerate = Fraction(round(fps * 1000), 1000)
        self.enc.gop_size = max(1, round(fps))
        self.enc.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "bf": "0",
            "profile": "baseline",
            # Set, not guessed by x264, so the answer can state it before the first frame.
            "level": str(level),
        }
        self.n = 0
        self.fps = fps

    def run(self, pkt: Packet, encode: bool = True) -> list[tuple[bytes, int, bool]]:
        out: list[tuple[bytes, int, bool]] = []
        for frame in self.dec.decode(av.Packet(pkt.data)):
            if not encode:
                continue  # catching up through the cached GOP: only its newest picture matters
            frame = frame.reformat(width=self.enc.width, height=self.enc.height, format="yuv420p")
            frame.pts = round(self.n * 90_000 / self.fps)
            frame.time_base = OUT_TB
            self.n += 1
            for p in self.enc.encode(frame):
                out.append((bytes(p), int(p.pts), bool(p.is_keyframe)))
        return out


class TranscodeHub(CameraHub):
    """A hub whose upstream is another camera's hub, decoded and re-encoded once for all."""

    def __init__(self, source: PacketSource, instant: bool = True) -> None:
        # Never opened: _supervise reads the source hub instead of a URL.
        inner = SourceUrl(url=f"transcode://{source.camera_id}", scheme="transcode", host="")
        super().__init__(f"{source.camera_id}~tx", inner)
        self.source = source
        # instant=False waits for the camera's next keyframe (only for measuring the cache).
        self.instant = instant
        info = source.info
        w, h = (info.width, info.height) if info is not None else (1920, 1080)
        fps = (info.fps if info is not None else None) or 25.0
        self.level = level_for(w - w % 2, h - h % 2, fps)
        self.params = StreamParams("h264")
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"transcode-{source.camera_id}")

    async def _supervise(self) -> None:
        sub = self.source.subscribe(maxsize=240, name="transcode", with_gop=self.instant)
        # The cached GOP is decoded at once but only its last picture encoded: a cold
        # transcoder then starts within one decode of the GOP, not one encode per cached frame.
        catch_up = sub.queue.qsize()
        self._generation += 1
        codec: _Codec | None = None
        loop = asyncio.get_running_loop()
        try:
            while self.consumers:
                pkt = await sub.get()
                if pkt is None:
                    break
                info = pkt.info or self.source.info
                if info is None:
                    continue
                if codec is None:
                    if not pkt.keyframe:
                        continue
                    codec = _Codec(info, info.fps or 25.0, self.level)
                    self.info = StreamInfo(
                        "h264",
                        "Constrained Baseline",
                        codec.enc.width,
                        codec.enc.height,
                        codec.fps,
                        OUT_TB,
                    )
                catch_up -= 1
                try:
                    encoded = await loop.run_in_executor(self._pool, codec.run, pkt, catch_up <= 0)
                except av.error.FFmpegError as exc:
                    log.warning(
                        "transcode of %s failed on a packet: %s", self.source.camera_id, exc
                    )
                    continue
                for data, pts, key in encoded:
                    self._on_packet(
                        Packet(
                            data,
                            pts,
                            pts,
                            OUT_TB,
                            key,
                            time.monotonic(),
                            self._generation,
                            self.info,
                        )
                    )
        finally:
            sub.close()
            self.gop = []
            self.state = LinkState.idle

    @property
    def profile_level_id(self) -> str:
        """What the encoder sends: Constrained Baseline (x264's constraint flags) at its level."""
        return f"42c0{self.level:02x}"

    async def close(self, *, join_s: float | None = None) -> None:
        """Stop transcoding and release the worker thread."""
        await super().close(join_s=0.0 if join_s is None else join_s)
        self._pool.shutdown(wait=False, cancel_futures=True)
