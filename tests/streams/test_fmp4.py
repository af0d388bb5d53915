"""Fragmented MP4 for MSE from real encoder output: what a decoder reads back from the
fragments is exactly what the camera's own stream decodes to, B-frames and H.265 included."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from streams.fmp4 import CodecUnknown, Fragmenter, init_segment, mime_type
from streams.params import StreamParams
from tests.streams.encoded import Unit, encode


def decode_raw(units: list[Unit], codec: str) -> list[np.ndarray]:
    ctx = av.CodecContext.create(codec, "r")
    frames = []
    for u in units:
        frames += [f.to_ndarray(format="gray") for f in ctx.decode(av.Packet(u.data))]
    frames += [f.to_ndarray(format="gray") for f in ctx.decode(None)]
    return frames


def fragmented(units: list[Unit], codec: str) -> tuple[bytes, str]:
    params = StreamParams(codec)
    for u in units[:1]:
        params.feed(u.data, u.key)
    out = init_segment(params)
    fr = Fragmenter(codec, params.max_reorder)
    for u in units:
        params.feed(u.data, u.key)
        out += fr.fragment(u.data, u.pts, u.key)
    return out, mime_type(params)


@pytest.mark.parametrize(
    ("codec", "options", "mime"),
    [
        ("h264", {"preset": "ultrafast", "profile": "baseline"}, 'codecs="avc1.42c0'),
        ("h264", {"preset": "veryfast", "bf": "3", "profile": "high"}, 'codecs="avc1.6400'),
        ("hevc", {"preset": "ultrafast", "x265-params": "log-level=error:bframes=3"}, "hvc1.1.6.L"),
    ],
)
def test_fragments_decode_to_the_camera_pictures(
    codec: str, options: dict[str, str], mime: str
) -> None:
    units = encode(options, codec="libx264" if codec == "h264" else "libx265", n=40)
    data, found_mime = fragmented(units, codec)
    assert mime in found_mime
    want = decode_raw(units, codec)
    with av.open(io.BytesIO(data), format="mp4") as c:
        stream = c.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (640, 360)
        frames = list(c.decode(stream))
    assert len(frames) == len(units) == len(want)
    stamps = [f.pts for f in frames]
    assert stamps == sorted(stamps)  # shown in order, B-frames included
    assert all(
        np.array_equal(f.to_ndarray(format="gray"), w) for f, w in zip(frames, want, strict=True)
    )


def test_fragment_per_frame_with_decode_before_presentation() -> None:
    units = encode({"preset": "veryfast", "bf": "3", "profile": "high"}, n=30)
    fr = Fragmenter("h264", reorder=2, frame_ticks=3600)
    last_dts = -1
    for u in units:
        frag = fr.fragment(u.data, u.pts, u.key)
        assert frag[4:8] == b"moof" and b"mdat" in frag
        assert fr.last_dts is not None and fr.last_dts > last_dts  # decode times rise
        last_dts = fr.last_dts
    assert fr.sequence == len(units)


def test_no_parameter_sets_no_init_segment() -> None:
    with pytest.raises(CodecUnknown):
        init_segment(StreamParams("h264"))
    with pytest.raises(CodecUnknown):
        mime_type(StreamParams("mjpeg"))
