"""Access units cut as soon as they are complete, from the pieces FFmpeg's RTSP demuxer hands
over without its parser: packetized here as RTP packetizers do (single NAL units, FU-A
fragments filled to the MTU or split evenly), and end to end through the RTSP camera peer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import av
import pytest

from streams.access_units import LEARN_FRAMES, AccessUnitJoiner
from streams.hub import CameraHub
from streams.source import OpenOptions
from streams.sps import annexb_units
from streams.urls import parse_source_url
from tests.paths import VIDEO
from tests.peers.fixtures import RtspPeer
from tests.streams.encoded import Unit, encode

SC = b"\x00\x00\x00\x01"


def pieces(nal: bytes, payload: int, even: bool) -> Iterator[bytes]:
    """What FFmpeg's RTP depacketizer returns for one NAL unit (fragments as they come)."""
    if len(nal) <= payload:
        yield SC + nal
        return
    body = nal[1:]
    size = payload - 1  # FU indicator and FU header replace the NAL header
    if even:  # libwebrtc-style: equal fragments
        count = -(-len(body) // size)
        size = -(-len(body) // count)
    for n, at in enumerate(range(0, len(body), size)):
        yield (SC + nal[:1] if n == 0 else b"") + body[at : at + size]


def packetize(
    units: list[Unit], payload: int = 1200, even: bool = False, aud: bool = True
) -> Iterator[tuple[bytes, int, int]]:
    """(piece, pts, index of its access unit) in sending order."""
    for i, u in enumerate(units):
        nals = annexb_units(u.data)
        if aud:
            nals = [b"\x09\xf0", *nals]
        for nal in nals:
            for piece in pieces(nal, payload, even):
                yield piece, u.pts, i


def run(
    units: list[Unit], **kw: object
) -> tuple[AccessUnitJoiner, list[tuple[int, list[bytes], bool]]]:
    """Feed every piece; return the joiner and (pushed at piece of AU n, NAL units, early)."""
    joiner = AccessUnitJoiner("h264")
    out = []
    for piece, pts, index in packetize(units, **kw):  # type: ignore[arg-type]
        for au in joiner.push(piece, pts):
            out.append((index, annexb_units(b"".join(au.parts)), au.early))
    last = joiner.flush()
    if last is not None:
        out.append((len(units), annexb_units(b"".join(last.parts)), last.early))
    return joiner, out


def nals(u: Unit, aud: bool = True) -> list[bytes]:
    return ([b"\x09\xf0"] if aud else []) + annexb_units(u.data)


def test_frames_whole_and_early_once_learned() -> None:
    units = encode({"preset": "veryfast", "bf": "0", "x264-params": "slices=2"}, n=50)
    joiner, out = run(units, payload=300)
    assert [n for _, n, _ in out] == [nals(u) for u in units]  # nothing lost, split or merged
    early = [i for i, (at, _n, e) in enumerate(out) if e]
    # Once the stream's shape is proven, each frame leaves with its own last piece.
    assert early and early[0] <= 2 * LEARN_FRAMES + 2
    assert all(out[i][0] == i for i in early) and joiner.misfires == 0
    assert all(out[i][2] for i in range(early[0], len(out)))


def test_parameter_sets_between_slices_stay_in_their_frame() -> None:
    # GStreamer's h264parse (config-interval=-1) repeats SPS/PPS before every IDR slice.
    units = encode({"preset": "veryfast", "bf": "0", "x264-params": "slices=2"}, n=30)
    sps_pps = [n for n in annexb_units(units[0].data) if n[0] & 0x1F in (7, 8)]
    fixed = []
    for u in units:
        body = []
        for nal in annexb_units(u.data):
            if nal[0] & 0x1F == 5 and body and body[-1][0] & 0x1F == 5:
                body += sps_pps
            body.append(nal)
        fixed.append(Unit(b"".join(SC + n for n in body), u.pts, u.key))
    _joiner, out = run(fixed)
    assert [n for _, n, _ in out] == [nals(u) for u in fixed]
    key = out[0][1]
    assert sum(1 for n in key if n[0] & 0x1F == 5) == 2  # both IDR slices in one frame


def test_even_fragments_never_cut_early() -> None:
    units = encode({"preset": "veryfast", "bf": "0"}, n=40)
    joiner, out = run(units, even=True, payload=300)
    assert [n for _, n, _ in out] == [nals(u) for u in units]
    # Every fragment of an evenly split frame is "short": the rule is never proven.
    assert joiner.early_cuts == 0 and joiner.misfires == 0


def test_no_delimiters_and_b_frames() -> None:
    units = encode({"preset": "veryfast", "bf": "3"}, n=40)
    _joiner, out = run(units, aud=False)
    assert [n for _, n, _ in out] == [nals(u, aud=False) for u in units]


def test_a_wrong_early_cut_switches_it_off() -> None:
    one = encode({"preset": "veryfast", "bf": "0", "x264-params": "slices=1"}, n=30)
    two = encode({"preset": "veryfast", "bf": "0", "x264-params": "slices=3"}, n=30)
    # Learned on one slice per frame, then frames arrive in three slices.
    units = one[:20] + [Unit(u.data, 90_000 + u.pts, u.key) for u in two[20:]]
    joiner, out = run(units, payload=300)
    assert joiner.misfires > 0 and not joiner.early_ok
    tail = out[-5:]
    assert [n for _, n, _ in tail] == [nals(u) for u in units[-5:]]
    assert not any(e for _, _, e in tail)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_rtsp_peer_frames_match_the_file(rtsp_peer: type[RtspPeer]) -> None:
    path = VIDEO / "car-detection.mp4"
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        bsf = av.BitStreamFilterContext("h264_mp4toannexb", s)
        wanted = [
            [n for n in annexb_units(bytes(p)) if n[0] & 0x1F not in (7, 8, 9)]
            for raw in c.demux(s)
            if raw.size
            for p in bsf.filter(raw)
        ]
    peer = rtsp_peer({"car": str(path)}).start()
    hub = CameraHub(
        "car", parse_source_url(peer.url("car"), media_root=None), options=OpenOptions()
    )
    sub = hub.subscribe()
    got = []
    try:
        while len(got) < 70:
            pkt = await asyncio.wait_for(sub.get(), 15)
            assert pkt is not None
            got.append(pkt)
        reader = hub._reader
        assert reader is not None and reader.joiner is not None
        assert reader.joiner.early_cuts > 0 and reader.joiner.misfires == 0
    finally:
        sub.close()
        await hub.close()
    frames = [[n for n in annexb_units(p.data) if n[0] & 0x1F not in (7, 8, 9)] for p in got]
    start = wanted.index(frames[0])  # the peer joined mid-stream, at a keyframe for us
    assert frames == [wanted[(start + i) % len(wanted)] for i in range(len(frames))]
    assert got[0].keyframe
