"""Streams that cannot pass through (H.265, MJPEG) are transcoded once per camera and play."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import pytest

from streams.hub import HubRegistry
from streams.source import OpenOptions
from streams.urls import parse_source_url
from streams.webrtc.peers import PeerManager
from tests.paths import VIDEO
from tests.webrtc.test_peers import Browser, until, watch

pytestmark = pytest.mark.slow


def reencode(dst: Path, codec: str, seconds: float = 3.0) -> Path:
    """A short 320x180 clip of the road footage in another codec."""
    with av.open(str(VIDEO / "car-detection.mp4")) as inp, av.open(str(dst), "w") as out:
        stream: Any = out.add_stream(codec, rate=Fraction(25, 2))
        stream.width, stream.height = 320, 180
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        if codec == "libx265":
            stream.codec_context.options = {"x265-params": "log-level=error:keyint=12"}
        for i, frame in enumerate(inp.decode(video=0)):
            if i >= seconds * 12.5:
                break
            small = frame.reformat(320, 180, stream.pix_fmt)
            small.pts, small.time_base = i, Fraction(2, 25)
            out.mux(stream.encode(small))
        out.mux(stream.encode(None))
    return dst


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("codec", "name", "reason"),
    [("libx265", "hevc.mp4", "codec_hevc"), ("mjpeg", "mjpeg.avi", "codec_mjpeg")],
)
async def test_non_h264_transcoded_once(tmp_path: Path, codec: str, name: str, reason: str) -> None:
    clip = reencode(tmp_path / name, codec)
    reg = HubRegistry(options=OpenOptions(open_timeout_s=3))
    hub = reg.configure("cam", parse_source_url(f"file://{clip}", media_root=tmp_path))
    manager = PeerManager()
    browsers: list[Browser] = []
    try:
        for _ in range(2):
            b, _start = await watch(manager, hub)
            browsers.append(b)
        await until(lambda: all(b.frames > 5 for b in browsers), timeout=15)
        assert {v.mode for v in manager.viewers.values()} == {f"transcode:{reason}"}
        assert list(manager.transcoders) == ["cam"] and browsers[0].size == (320, 180)
        assert hub.consumers == 1  # the transcoder alone reads the camera
    finally:
        for b in browsers:
            await b.close()
        await manager.close_all()
        await reg.close()
    assert manager.transcoders == {} and hub.consumers == 0
