"""Stream parameters read without decoding, on real encoder output: the SPS (profile, level,
size, reordering), H.264 slice headers when the SPS does not say, and H.265 SPS for MSE."""

from __future__ import annotations

import pytest

from streams.params import IN_ORDER_FRAMES, StreamParams, frames_reorder
from streams.sps import annexb_units, find_h264_sps, parse_h264_sps
from streams.sps_hevc import find_hevc_sps
from tests.streams.encoded import Unit, encode, sps_of, strip_vui, without_vui


def feed_until_decided(units: list[Unit], codec: str = "h264") -> tuple[StreamParams, int]:
    params = StreamParams(codec)
    for n, u in enumerate(units):
        params.feed(u.data, u.key)
        if params.reorder is not None:
            return params, n + 1
    return params, len(units)


@pytest.mark.parametrize(
    ("options", "profile", "reorder"),
    [
        ({"preset": "ultrafast", "profile": "baseline"}, 66, False),
        ({"preset": "veryfast", "bf": "0", "profile": "high"}, 100, False),
        ({"preset": "veryfast", "bf": "3", "profile": "high"}, 100, True),
        ({"preset": "ultrafast", "bf": "2", "profile": "main"}, 77, True),
    ],
)
def test_sps_says_profile_level_size_and_reordering(
    options: dict[str, str], profile: int, reorder: bool
) -> None:
    units = encode(options)
    sps = parse_h264_sps(sps_of(units))
    assert sps.profile_idc == profile and (sps.width, sps.height) == (640, 360)
    assert sps.profile_level_id == sps_of(units)[1:4].hex()  # the SDP form of the SPS head
    assert sps.codec_string == f"avc1.{sps_of(units)[1:4].hex()}"
    assert sps.reorders is reorder
    params, used = feed_until_decided(units)
    assert params.reorder is reorder and used == 1  # decided on the first access unit


def test_cropped_1080p_size() -> None:
    units = encode({"preset": "ultrafast"}, n=2, size=(1920, 1080))
    sps = parse_h264_sps(sps_of(units))
    assert (sps.width, sps.height) == (1920, 1080)  # coded as 1088 lines, cropped by 8
    assert sps.level_idc >= 40


def test_slice_headers_decide_when_the_sps_does_not() -> None:
    with_b = strip_vui(encode({"preset": "veryfast", "bf": "3", "profile": "high"}))
    assert parse_h264_sps(sps_of(with_b)).reorders is None  # the SPS alone cannot tell
    params, used = feed_until_decided(with_b)
    assert params.reorder is True and used <= 4  # the first B slice (or a POC going back)

    # A mid-GOP join: frames before the first keyframe still show it (SPS from the SDP).
    mid = with_b[7:]
    params = StreamParams("h264", b"\x00\x00\x00\x01" + sps_of(with_b))
    for u in mid[:4]:
        params.feed(u.data, u.key)
    assert params.reorder is True

    # Without B-frames x264 uses POC type 2, which settles it; interlaced coding keeps POC
    # type 0 (as older encoders and DVRs send), so only the frames' picture order can tell.
    progressive = encode({"preset": "veryfast", "bf": "0", "profile": "high"})
    assert parse_h264_sps(without_vui(sps_of(progressive))).reorders is False
    interlaced = {"preset": "veryfast", "bf": "0", "x264-params": "interlaced=1"}
    no_b = strip_vui(encode(interlaced))
    assert parse_h264_sps(sps_of(no_b)).poc_type == 0
    params, used = feed_until_decided(no_b)
    assert params.reorder is False and used == IN_ORDER_FRAMES


@pytest.mark.asyncio
async def test_undecided_counts_as_reordering() -> None:
    params = StreamParams("h264")  # no SPS yet, no frames
    assert await frames_reorder(params, 0.05) is True
    params.feed(encode({"preset": "ultrafast", "profile": "baseline"}, n=1)[0].data, True)
    assert await frames_reorder(params, 0.05) is False


def test_hevc_sps_for_mse() -> None:
    units = encode(
        {"preset": "ultrafast", "x265-params": "log-level=error:bframes=3"}, codec="libx265"
    )
    sps = find_hevc_sps(annexb_units(units[0].data))
    assert sps is not None and (sps.width, sps.height) == (640, 360)
    assert sps.codec_string.startswith("hvc1.1.6.L") and sps.max_reorder > 0
    params, _ = feed_until_decided(units, "hevc")
    assert params.reorder is True and params.hevc == sps and {32, 33, 34} <= params.units.keys()


def test_malformed_parameter_sets_are_refused() -> None:
    units = encode({"preset": "ultrafast"}, n=1)
    sps = sps_of(units)
    with pytest.raises(ValueError):
        parse_h264_sps(sps[:3])
    with pytest.raises(ValueError):
        parse_h264_sps(b"\x68" + sps[1:])  # a PPS header
    assert find_h264_sps([sps[:2], b"", sps]) is not None  # skips what it cannot read
    params = StreamParams("h264")
    params.feed(b"\x00\x00\x00\x01" + sps[:4] + b"\x00\x00\x00\x01\x65\x88", True)
    assert params.h264 is None and params.reorder is None
