"""Annex-B helpers: find NAL units, keep SPS/PPS, put them in front of IDR frames."""

from __future__ import annotations

from collections.abc import Iterator

SPS, PPS, IDR, AUD = 7, 8, 5, 9


def nal_units(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(type, unit with its start code) for each NAL unit of an Annex-B buffer."""
    # bytes.find runs in C; a per-byte Python loop costs several % of a core per 1080p viewer.
    starts: list[tuple[int, int]] = []
    i = data.find(b"\x00\x00\x01")
    while i >= 0:
        begin = i - 1 if i > 0 and data[i - 1] == 0 else i
        starts.append((begin, i + 3))
        i = data.find(b"\x00\x00\x01", i + 3)
    n = len(data)
    for k, (begin, payload) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else n
        if payload < end:
            yield data[payload] & 0x1F, data[begin:end]


class ParameterSets:
    """Remembers the latest SPS and PPS and prefixes them to IDR frames that lack them."""

    def __init__(self) -> None:
        self.sps: bytes | None = None
        self.pps: bytes | None = None

    def fix(self, data: bytes, keyframe: bool = True) -> bytes:
        """Return `data` with SPS/PPS in front of an IDR if they were missing."""
        if not keyframe:
            return data  # only keyframes carry (or need) parameter sets
        types = []
        for kind, unit in nal_units(data):
            types.append(kind)
            if kind == SPS:
                self.sps = unit
            elif kind == PPS:
                self.pps = unit
        if IDR in types and not (SPS in types and PPS in types) and self.sps and self.pps:
            return self.sps + self.pps + data
        return data
