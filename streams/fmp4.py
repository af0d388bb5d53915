"""Fragmented MP4 for Media Source Extensions: an init segment and one fragment per frame.

Written box by box (ISO/IEC 14496-12 and -15) rather than through FFmpeg's muxer, which holds
each frame back until the next one gives its duration. Samples are the camera's own H.264 or
H.265 access units (no transcoding), parameter sets in the sample entry, B-frames kept with
signed composition offsets.
"""

from __future__ import annotations

import itertools
import statistics
import struct
from collections import deque

from streams.params import StreamParams
from streams.sps import H264Sps, annexb_units
from streams.sps_hevc import HevcSps

TIMESCALE = 90_000
_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
_KEY_FLAGS = 0x02000000  # sample_depends_on = 2: decodable alone
_DELTA_FLAGS = 0x01010000  # depends on others, not a sync sample
# Parameter sets and delimiters live in the sample entry, not in samples.
_H264_DROP = frozenset({7, 8, 9})
_HEVC_DROP = frozenset({32, 33, 34, 35})


def box(kind: bytes, *payload: bytes) -> bytes:
    """An ISO BMFF box."""
    body = b"".join(payload)
    return struct.pack(">I", 8 + len(body)) + kind + body


def full_box(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    """A box with version and flags."""
    return box(kind, struct.pack(">I", (version << 24) | flags), *payload)


class CodecUnknown(ValueError):
    """The stream's parameter sets have not been seen yet (or the codec has no MSE form)."""


def codec_string(params: StreamParams) -> str:
    """The RFC 6381 codecs parameter of a stream (raises CodecUnknown)."""
    if params.codec == "h264" and params.h264 is not None:
        return params.h264.codec_string
    if params.codec == "hevc" and params.hevc is not None:
        return params.hevc.codec_string
    raise CodecUnknown(f"no parameter sets for {params.codec or 'the stream'} yet")


def mime_type(params: StreamParams) -> str:
    """The MIME type a browser checks with MediaSource.isTypeSupported."""
    return f'video/mp4; codecs="{codec_string(params)}"'


def _avcc(sps: H264Sps, sps_nal: bytes, pps_nal: bytes) -> bytes:
    out = bytes([1, sps_nal[1], sps_nal[2], sps_nal[3], 0xFF, 0xE1])
    out += struct.pack(">H", len(sps_nal)) + sps_nal
    out += bytes([1]) + struct.pack(">H", len(pps_nal)) + pps_nal
    if sps.profile_idc in (100, 110, 122, 144):
        out += bytes(
            [
                0xFC | sps.chroma_format_idc,
                0xF8 | (sps.bit_depth_luma - 8),
                0xF8 | (sps.bit_depth_chroma - 8),
                0,
            ]
        )
    return box(b"avcC", out)


def _hvcc(sps: HevcSps, units: dict[int, bytes]) -> bytes:
    out = bytes([1, (sps.profile_space << 6) | (sps.tier << 5) | sps.profile_idc])
    out += struct.pack(">I", sps.compat_flags) + sps.constraint_bytes + bytes([sps.level_idc])
    out += struct.pack(">H", 0xF000) + bytes([0xFC, 0xFC | sps.chroma_format_idc])
    out += bytes([0xF8 | (sps.bit_depth_luma - 8), 0xF8 | (sps.bit_depth_chroma - 8)])
    out += struct.pack(">H", 0) + bytes([0x03])  # no frame rate info; 4-byte lengths
    arrays = [(kind, units[kind]) for kind in (32, 33, 34) if kind in units]
    out += bytes([len(arrays)])
    for kind, nal in arrays:
        out += bytes([0x80 | kind]) + struct.pack(">HH", 1, len(nal)) + nal
    return box(b"hvcC", out)


def init_segment(params: StreamParams) -> bytes:
    """ftyp + moov for the stream's current parameter sets (raises CodecUnknown)."""
    if params.codec == "h264" and params.h264 is not None and {7, 8} <= params.units.keys():
        sps: H264Sps | HevcSps = params.h264
        config = _avcc(params.h264, params.units[7], params.units[8])
        entry_kind = b"avc1"
    elif params.codec == "hevc" and params.hevc is not None and {33, 34} <= params.units.keys():
        sps = params.hevc
        config = _hvcc(params.hevc, params.units)
        entry_kind = b"hvc1"
    else:
        raise CodecUnknown(f"no parameter sets for {params.codec or 'the stream'} yet")
    w, h = sps.width, sps.height
    entry = box(
        entry_kind,
        bytes(6),
        struct.pack(">H", 1),  # data_reference_index
        bytes(16),
        struct.pack(">HHIIIH", w, h, 0x480000, 0x480000, 0, 1),
        bytes(32),  # compressorname
        struct.pack(">Hh", 0x18, -1),
        config,
    )
    stbl = box(
        b"stbl",
        full_box(b"stsd", 0, 0, struct.pack(">I", 1), entry),
        full_box(b"stts", 0, 0, struct.pack(">I", 0)),
        full_box(b"stsc", 0, 0, struct.pack(">I", 0)),
        full_box(b"stsz", 0, 0, struct.pack(">II", 0, 0)),
        full_box(b"stco", 0, 0, struct.pack(">I", 0)),
    )
    minf = box(
        b"minf",
        full_box(b"vmhd", 0, 1, bytes(8)),
        box(b"dinf", full_box(b"dref", 0, 0, struct.pack(">I", 1), full_box(b"url ", 0, 1))),
        stbl,
    )
    mdia = box(
        b"mdia",
        full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, TIMESCALE, 0, 0x55C4, 0)),
        full_box(b"hdlr", 0, 0, bytes(4), b"vide", bytes(12), b"VideoHandler\x00"),
        minf,
    )
    tkhd = full_box(
        b"tkhd",
        0,
        3,
        struct.pack(">IIIII", 0, 0, 1, 0, 0),
        bytes(8),
        struct.pack(">hhhH", 0, 0, 0, 0),
        _MATRIX,
        struct.pack(">II", w << 16, h << 16),
    )
    mvhd = full_box(
        b"mvhd",
        0,
        0,
        struct.pack(">IIIIIH", 0, 0, 1000, 0, 0x10000, 0x100),
        bytes(10),
        _MATRIX,
        bytes(24),
        struct.pack(">I", 2),
    )
    mvex = box(b"mvex", full_box(b"trex", 0, 0, struct.pack(">IIIII", 1, 1, 0, 0, 0)))
    ftyp = box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isomiso6mp41", entry_kind)
    return ftyp + box(b"moov", mvhd, box(b"trak", tkhd, mdia), mvex)


def sample_data(access_unit: bytes, codec: str) -> bytes:
    """An Annex-B access unit as MP4 sample data (4-byte lengths, no parameter sets)."""
    drop = _HEVC_DROP if codec == "hevc" else _H264_DROP
    out = bytearray()
    for nal in annexb_units(access_unit):
        kind = (nal[0] >> 1) & 0x3F if codec == "hevc" else nal[0] & 0x1F
        if kind in drop:
            continue
        out += struct.pack(">I", len(nal))
        out += nal
    return bytes(out)


class Fragmenter:
    """Turns one camera's access units into MSE media segments (moof + mdat per frame).

    Decode times: equal to presentation times without reordering; with B-frames they run
    one frame interval apart, started `reorder` frames before each keyframe's presentation.
    """

    def __init__(self, codec: str, reorder: int = 0, frame_ticks: int = 3600) -> None:
        self.codec = codec
        self.reorder = reorder
        self.sequence = 0
        self.origin: int | None = None
        self.last_dts: int | None = None
        self._stamps: deque[int] = deque(maxlen=16)
        self.frame_ticks = frame_ticks

    def _interval(self) -> int:
        stamps = sorted(self._stamps)
        steps = [b - a for a, b in itertools.pairwise(stamps) if b > a]
        return int(statistics.median(steps)) if len(steps) >= 3 else self.frame_ticks

    def _times(self, pts: int, keyframe: bool) -> tuple[int, int]:
        """(decode time, presentation time) on the fragment timeline (origin 0)."""
        self._stamps.append(pts)
        step = self._interval()
        if self.origin is None:
            self.origin = pts - self.reorder * step
        pts -= self.origin
        if not self.reorder:
            dts = pts
        elif keyframe or self.last_dts is None:
            dts = pts - self.reorder * step
        else:
            dts = self.last_dts + step
        if self.last_dts is not None and dts <= self.last_dts:
            dts = self.last_dts + 1
        self.last_dts = max(dts, 0)
        return self.last_dts, pts

    def fragment(self, access_unit: bytes, pts_90k: int, keyframe: bool) -> bytes:
        """One media segment holding one frame."""
        data = sample_data(access_unit, self.codec)
        dts, pts = self._times(pts_90k, keyframe)
        self.sequence += 1
        duration = self._interval()
        flags = _KEY_FLAGS if keyframe else _DELTA_FLAGS
        # trun: data offset, duration, size, flags and composition offset per sample.
        trun_flags = 0x000001 | 0x000100 | 0x000200 | 0x000400 | 0x000800

        def moof(offset: int) -> bytes:
            trun = full_box(
                b"trun",
                1,
                trun_flags,
                struct.pack(">Ii", 1, offset),
                struct.pack(">IIIi", duration, len(data), flags, pts - dts),
            )
            traf = box(
                b"traf",
                full_box(b"tfhd", 0, 0x020000, struct.pack(">I", 1)),
                full_box(b"tfdt", 1, 0, struct.pack(">Q", dts)),
                trun,
            )
            return box(b"moof", full_box(b"mfhd", 0, 0, struct.pack(">I", self.sequence)), traf)

        size = len(moof(0))
        return moof(size + 8) + box(b"mdat", data)
