"""Packet-level health from real footage: B-frames from slice headers, rates, stalls."""

from __future__ import annotations

from fractions import Fraction

import av
import pytest

from streams.bitstream import h264_slice_types, has_b_slices, nal_units
from streams.health import PacketHealth
from streams.packets import Packet, StreamInfo
from tests.paths import VIDEO


def annexb_packets(name: str, limit: int) -> tuple[StreamInfo, list[Packet]]:
    """The first `limit` packets of a shared clip as Annex-B, stamped at the clip's own pace."""
    with av.open(str(VIDEO / name)) as c:
        s = c.streams.video[0]
        bsf = av.BitStreamFilterContext("h264_mp4toannexb", s)
        assert s.average_rate is not None and s.time_base is not None
        fps = float(s.average_rate)
        tb = Fraction(s.time_base)
        info = StreamInfo("h264", s.codec_context.profile, s.width, s.height, fps, tb)
        out: list[Packet] = []
        for raw in c.demux(s):
            for p in bsf.filter(raw):
                # RTSP gives no usable dts; pretend so, like the reader does over the wire.
                t = len(out) / fps
                out.append(Packet(bytes(p), p.pts, None, tb, p.is_keyframe, t, 0, info))
            if len(out) >= limit:
                break
    return info, out


@pytest.mark.parametrize(
    ("name", "b_frames"), [("bottle-detection.mp4", True), ("car-detection.mp4", False)]
)
def test_b_frames_from_slice_headers(name: str, b_frames: bool) -> None:
    _info, pkts = annexb_packets(name, 40)
    assert pkts[0].keyframe and h264_slice_types(pkts[0].data)[0] == 2  # an I slice
    assert any(u[0] & 0x1F == 7 for u in nal_units(pkts[0].data))  # SPS in front of the IDR
    assert any(has_b_slices(p.data, "h264") for p in pkts) is b_frames
    assert has_b_slices(pkts[1].data, "hevc") is None
    health = PacketHealth()
    for p in pkts:
        health.feed(p)
    snap = health.snapshot(now=pkts[-1].arrival)
    assert snap["b_frames"] is b_frames


def test_rates_keyframe_interval_and_stalls() -> None:
    info, pkts = annexb_packets("car-detection.mp4", 200)  # 16 s at 12.5 fps, GOP 4.8 s
    health = PacketHealth()
    for p in pkts[:120]:
        health.feed(p)
    snap = health.snapshot(now=pkts[119].arrival)
    assert snap["fps"] == pytest.approx(12.5, abs=0.2)
    assert snap["keyframe_interval_s"] == pytest.approx(4.8, abs=0.1)
    assert snap["codec"] == "h264" and snap["profile"] == "Baseline" and snap["width"] == 768
    # Real bitrate of the clip (2.8 MB over 30 s is about 750 kb/s), not diluted by the window.
    assert 300 < snap["bitrate_kbps"] < 2000
    assert snap["stalls"] == 0 and health.packet_faults(now=pkts[119].arrival) == []
    # A 1.5 s gap is not a stall (limit is max(2 frame intervals, 2 s)); a 2.5 s gap is.
    shift = 0.0
    for i, p in enumerate(pkts[120:], start=120):
        if i == 140:
            shift += 1.5
        if i == 160:
            shift += 2.5
        health.feed(
            Packet(p.data, p.pts, p.dts, p.time_base, p.keyframe, p.arrival + shift, 0, info)
        )
    assert health.stalls == 1
    last = pkts[-1].arrival + shift
    assert health.snapshot(now=last + 3.0)["last_packet_age_s"] == pytest.approx(3.0)
    for k in range(6):
        health.reconnected(at=last + k)
    assert health.snapshot(now=last + 10)["reconnects_per_h"] == 6
    assert "stalls" in health.packet_faults(now=last + 10)


def test_rates_restart_after_a_reconnect() -> None:
    info, pkts = annexb_packets("car-detection.mp4", 100)
    health = PacketHealth()
    for p in pkts[:50]:
        health.feed(p)
    # Five seconds offline, then the camera is back: the outage must not read as a low rate.
    back = pkts[49].arrival + 5.0
    health.reconnected(at=back)
    for i, p in enumerate(pkts[50:]):
        health.feed(Packet(p.data, p.pts, p.dts, p.time_base, p.keyframe, back + i / 12.5, 0, info))
    now = back + 49 / 12.5
    assert health.snapshot(now=now)["fps"] == pytest.approx(12.5, abs=0.3)
    assert health.packet_faults(now=now) == []
