"""Decisions a cold camera must get right before the first viewer's answer, over the RTSP
peer that joins mid-GOP like a camera: B-frames never go out as they are (from the SPS, or
from slice headers when the SPS does not say), and the answer states the profile and level
actually sent."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from streams.hub import HubRegistry
from streams.source import OpenOptions
from streams.urls import parse_source_url
from streams.webrtc.peers import NeedsTranscode, PeerManager
from tests.paths import VIDEO
from tests.peers.fixtures import RtspPeer
from tests.streams.encoded import encode, sps_of, strip_vui, write_clip
from tests.webrtc.test_peers import Browser

pytestmark = pytest.mark.slow

# What Debian's Chromium offers for H.264 (no plain High), and a browser that also offers High.
CHROMIUM_H264 = [
    ("42001f", 1),
    ("42e01f", 1),
    ("4d001f", 1),
    ("f4001f", 1),
]
WITH_HIGH = [*CHROMIUM_H264, ("64001f", 1)]


@dataclass(frozen=True)
class Clips:
    """Camera-like clips: B-frames with and without a VUI, High without B-frames."""

    bframes: Path
    bframes_novui: Path
    high: Path
    high_sps: str  # the High clip's profile-level-id, from its SPS


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Clips:
    root = tmp_path_factory.mktemp("cold-clips")
    b = encode({"preset": "veryfast", "bf": "3", "profile": "high"}, n=100)
    high = encode({"preset": "veryfast", "bf": "0", "profile": "high"}, n=100, size=(1280, 720))
    return Clips(
        write_clip(b, root / "bframes.mp4"),
        write_clip(strip_vui(b), root / "bframes-novui.mp4"),
        write_clip(high, root / "high.mp4"),
        sps_of(high)[1:4].hex(),
    )


@pytest.fixture
def cams(rtsp_peer: type[RtspPeer], clips: Clips) -> Iterator[tuple[RtspPeer, HubRegistry]]:
    peer = rtsp_peer(
        {
            "b": str(clips.bframes),
            "bnovui": str(clips.bframes_novui),
            "high": str(clips.high),
            "base": str(VIDEO / "car-detection.mp4"),
        }
    ).start()
    yield peer, HubRegistry(options=OpenOptions(open_timeout_s=5))


def with_h264(sdp: str, profiles: list[tuple[str, int]]) -> str:
    """An offer whose video section lists these H.264 profiles (as a browser's would)."""
    lines = sdp.replace("\r\n", "\n").split("\n")
    out = []
    pts = [str(120 + i) for i in range(len(profiles))]
    for line in lines:
        if line.startswith("m=video"):
            head = line.split(" ")[:3]
            line = " ".join(head + pts)
        if line.startswith(("a=rtpmap:", "a=fmtp:", "a=rtcp-fb:")):
            continue
        out.append(line)
        if line.startswith("m=video"):
            for pt, (plid, mode) in zip(pts, profiles, strict=True):
                out += [
                    f"a=rtpmap:{pt} H264/90000",
                    f"a=rtcp-fb:{pt} nack",
                    f"a=rtcp-fb:{pt} nack pli",
                    f"a=fmtp:{pt} level-asymmetry-allowed=1;packetization-mode={mode};"
                    f"profile-level-id={plid}",
                ]
    return "\r\n".join(out)


def answered_profile(answer: str) -> str:
    pt = re.search(r"m=video \d+ \S+ (\d+)", answer)
    assert pt is not None
    fmtp = re.search(rf"a=fmtp:{pt.group(1)} .*profile-level-id=([0-9a-fA-F]{{6}})", answer)
    assert fmtp is not None, answer
    return fmtp.group(1).lower()


@pytest.mark.asyncio
@pytest.mark.parametrize("mount", ["b", "bnovui"])
async def test_b_frame_camera_opened_cold_is_never_passed_through(
    cams: tuple[RtspPeer, HubRegistry], mount: str
) -> None:
    peer, reg = cams
    manager = PeerManager()
    hub = reg.configure(mount, parse_source_url(peer.url(mount), media_root=None))
    b = Browser()
    try:
        assert hub.gop == [] and hub.info is None  # nobody watches it: cold
        with pytest.raises(NeedsTranscode) as refused:
            await manager.offer(hub, await b.offer(), "op", allow_transcode=False)
        assert refused.value.reason == "b_frames" and refused.value.status == 409
        assert hub.params.reorder is True
        viewer, answer = await manager.offer(hub, await b.offer(), "op")
        assert viewer.mode == "transcode:b_frames"
        # The transcode's own stream: Constrained Baseline at the level set for 640x360.
        assert answered_profile(answer) == manager.transcoders[mount].profile_level_id
        assert answered_profile(answer).startswith("42c0")
    finally:
        await b.close()
        await manager.close_all()
        await reg.close()


@pytest.mark.asyncio
async def test_answer_states_the_sent_profile_and_level(
    cams: tuple[RtspPeer, HubRegistry], clips: Clips
) -> None:
    peer, reg = cams
    manager = PeerManager()
    b = Browser()
    try:
        base = reg.configure("base", parse_source_url(peer.url("base"), media_root=None))
        viewer, answer = await manager.offer(base, await b.offer(), "op")
        assert viewer.mode == "passthrough"
        assert answered_profile(answer) == "428016"  # Baseline 2.2, as the camera's SPS says

        high = reg.configure("high", parse_source_url(peer.url("high"), media_root=None))
        sps = clips.high_sps  # High at the level x264 chose for 720p25
        assert sps.startswith("64")
        offer = await b.offer()
        viewer, answer = await manager.offer(high, with_h264(offer, WITH_HIGH), "op")
        assert viewer.mode == "passthrough" and answered_profile(answer) == sps
        # Chromium offers no plain High: the smallest profile that holds it, at the SPS level.
        viewer, answer = await manager.offer(high, with_h264(offer, CHROMIUM_H264), "op")
        assert answered_profile(answer) == "f400" + sps[4:]
    finally:
        await b.close()
        await manager.close_all()
        await reg.close()
