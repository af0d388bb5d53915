"""MJPEG fallback for clients without WebRTC: decode the hub's packets, emit JPEGs at a low rate."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import av
import cv2

from streams.packets import Packet, StreamInfo
from streams.webrtc.source import PacketSource


class _Decoder:
    """A decoder that keeps only the newest picture (runs in one worker thread)."""

    def __init__(self, info: StreamInfo, width: int) -> None:
        self.ctx: Any = av.CodecContext.create(info.codec, "r")
        if info.extradata:
            self.ctx.extradata = info.extradata
        self.width = width
        self.latest: Any = None

    def feed(self, pkt: Packet) -> None:
        for frame in self.ctx.decode(av.Packet(pkt.data)):
            self.latest = frame

    def jpeg(self) -> bytes | None:
        if self.latest is None:
            return None
        img = self.latest.to_ndarray(format="bgr24")
        h, w = img.shape[:2]
        if w > self.width:
            img = cv2.resize(img, (self.width, round(h * self.width / w)))
        ok, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 70])
        return data.tobytes() if ok else None


async def mjpeg_frames(
    hub: PacketSource, fps: float = 5.0, width: int = 640
) -> AsyncIterator[bytes]:
    """JPEG pictures of the camera at up to `fps`, starting from the cached GOP."""
    sub = hub.subscribe(maxsize=240, name="mjpeg", with_gop=True)
    pool = ThreadPoolExecutor(1, thread_name_prefix=f"mjpeg-{hub.camera_id}")
    loop = asyncio.get_running_loop()
    decoder: _Decoder | None = None
    next_at = 0.0
    try:
        while True:
            pkt = await sub.get()
            if pkt is None:
                return
            info = pkt.info or hub.info
            if decoder is None:
                if info is None or not pkt.keyframe:
                    continue
                decoder = _Decoder(info, width)
            try:
                await loop.run_in_executor(pool, decoder.feed, pkt)
            except av.error.FFmpegError:
                continue
            now = time.monotonic()
            # Cached packets are decoded as fast as possible; pictures go out at the set rate.
            if now >= next_at and sub.queue.qsize() < 3:
                jpeg = await loop.run_in_executor(pool, decoder.jpeg)
                if jpeg is not None:
                    next_at = now + 1.0 / fps
                    yield jpeg
    finally:
        sub.close()
        pool.shutdown(wait=False, cancel_futures=True)
