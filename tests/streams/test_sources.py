"""HTTP sources (HLS, HTTP-FLV, MJPEG) through the same hub, reader and keyframe decode."""

from __future__ import annotations

import asyncio

import pytest

from streams.diagnosis import decode_keyframe
from streams.hub import CameraHub
from streams.source import OpenOptions
from streams.urls import parse_source_url
from tests.peers.fixtures import MediaHttpServer

FAST = OpenOptions(open_timeout_s=3.0, read_timeout_s=3.0)


@pytest.mark.asyncio
@pytest.mark.parametrize(("kind", "codec"), [("hls", "h264"), ("flv", "h264"), ("mjpeg", "mjpeg")])
async def test_http_sources_deliver_decodable_keyframes(
    media_http: tuple[MediaHttpServer, dict[str, str]], kind: str, codec: str
) -> None:
    server, files = media_http
    hub = CameraHub(kind, parse_source_url(server.url(files[kind]), media_root=None), options=FAST)
    sub = hub.subscribe(maxsize=100)
    try:
        pkts = [await asyncio.wait_for(sub.get(), 10) for _ in range(15)]
        assert all(p is not None for p in pkts)
        first = pkts[0]
        assert first is not None and first.keyframe
        info = hub.info
        assert info is not None and info.codec == codec and (info.width, info.height) == (768, 432)
        if codec == "h264":
            # FLV carries length-prefixed H.264: the reader hands out Annex-B like RTSP does.
            assert first.data[:4] == b"\x00\x00\x00\x01" or first.data[:3] == b"\x00\x00\x01"
        img = await asyncio.to_thread(decode_keyframe, first, info)
        assert img is not None and img.shape == (432, 768, 3)
    finally:
        sub.close()
        await hub.close()
