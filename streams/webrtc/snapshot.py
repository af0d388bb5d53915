"""A JPEG picture from a camera's cached keyframe, decoded off the event loop."""

from __future__ import annotations

import asyncio
from typing import Any

import av
import cv2

from streams.packets import Packet, StreamInfo
from streams.webrtc.source import PacketSource


def keyframe_jpeg(info: StreamInfo, keyframe: Packet, width: int = 640, quality: int = 80) -> bytes:
    """Decode one keyframe and encode it as JPEG, at most `width` pixels wide (blocking)."""
    ctx: Any = av.CodecContext.create(info.codec, "r")
    if info.extradata:
        ctx.extradata = info.extradata
    frames = list(ctx.decode(av.Packet(keyframe.data))) + list(ctx.decode(None))
    if not frames:
        raise ValueError(f"the cached {info.codec} keyframe did not decode to a picture")
    img = frames[0].to_ndarray(format="bgr24")
    h, w = img.shape[:2]
    if w > width:
        img = cv2.resize(img, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return bytes(data.tobytes())


async def snapshot_jpeg(source: PacketSource, width: int = 640) -> bytes | None:
    """JPEG of the camera's cached keyframe (None before one is cached), decoded in a thread."""
    if source.info is None or not source.gop or not source.gop[0].keyframe:
        return None
    return await asyncio.to_thread(keyframe_jpeg, source.info, source.gop[0], width)
