"""HTTP sources (HLS, HTTP-FLV, MJPEG) through the same hub, reader and keyframe decode."""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from streams.diagnosis import decode_keyframe
from streams.hub import CameraHub
from streams.source import OpenOptions
from streams.urls import parse_source_url
from tests.conftest import free_port
from tests.paths import VIDEO
from tests.peers.fixtures import MediaHttpServer, RtspPeer

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


@pytest.mark.asyncio
@pytest.mark.slow
async def test_rtsp_over_udp(rtsp_peer: type[RtspPeer]) -> None:
    peer = rtsp_peer({"car": str(VIDEO / "car-detection.mp4")}).start()
    udp = OpenOptions(rtsp_transport="udp", open_timeout_s=3.0, read_timeout_s=3.0)
    hub = CameraHub("udp", parse_source_url(peer.url("car"), media_root=None), options=udp)
    sub = hub.subscribe(maxsize=200)
    try:
        pkts = [await asyncio.wait_for(sub.get(), 10) for _ in range(20)]
        assert all(p is not None for p in pkts) and pkts[0] is not None and pkts[0].keyframe
        assert hub.info is not None and hub.info.codec == "h264"
    finally:
        sub.close()
        await hub.close()


@pytest.mark.asyncio
@pytest.mark.slow
async def test_rtmp_from_a_real_rtmp_server() -> None:
    # Debian's ffmpeg as the RTMP server (listen mode), publishing the shared footage.
    port = free_port()
    server = subprocess.Popen(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-re",
            "-stream_loop",
            "-1",
            "-i",
            str(VIDEO / "car-detection.mp4"),
            "-c",
            "copy",
            "-f",
            "flv",
            "-listen",
            "1",
            f"rtmp://127.0.0.1:{port}/live/cam",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    hub = CameraHub(
        "rtmp",
        parse_source_url(f"rtmp://127.0.0.1:{port}/live/cam", media_root=None),
        options=OpenOptions(open_timeout_s=5.0, read_timeout_s=5.0),
    )
    hub.backoff.base_s = 0.2  # the server needs a moment to listen
    sub = hub.subscribe(maxsize=200)
    try:
        first = await asyncio.wait_for(sub.get(), 20)
        assert first is not None and first.keyframe
        assert first.data[:4] == b"\x00\x00\x00\x01" or first.data[:3] == b"\x00\x00\x01"
        assert hub.info is not None and hub.info.codec == "h264" and hub.info.width == 768
    finally:
        sub.close()
        await hub.close()
        server.kill()
        server.wait(10)
