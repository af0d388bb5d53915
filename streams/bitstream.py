"""Just enough H.264 bitstream reading to see slice types without decoding."""

from __future__ import annotations

from collections.abc import Iterator

# slice_type % 5 in the H.264 slice header (7.4.3): 0 P, 1 B, 2 I, 3 SP, 4 SI.
SLICE_B = 1
_SLICE_NAL_TYPES = (1, 5)  # coded slice of a non-IDR / IDR picture


def nal_units(data: bytes) -> Iterator[bytes]:
    """NAL unit payloads (header byte first) of an Annex-B access unit."""
    n = len(data)
    i = data.find(b"\x00\x00\x01")
    while 0 <= i < n:
        start = i + 3
        nxt = data.find(b"\x00\x00\x01", start)
        end = n if nxt < 0 else nxt
        # A 4-byte start code leaves a zero byte at the end of the previous unit.
        unit = data[start:end].rstrip(b"\x00") if nxt >= 0 else data[start:end]
        if unit:
            yield unit
        i = nxt


def _nal_heads(data: bytes, size: int = 12) -> Iterator[bytes]:
    """The first `size` bytes of every NAL unit, without copying whole slices."""
    i = data.find(b"\x00\x00\x01")
    while i >= 0:
        head = data[i + 3 : i + 3 + size]
        if head:
            yield head
        i = data.find(b"\x00\x00\x01", i + 3)


def _unescape(head: bytes) -> bytes:
    # Emulation prevention: 00 00 03 xx carries 00 00 xx.
    return head.replace(b"\x00\x00\x03", b"\x00\x00")


def _read_ue(bits: str, pos: int) -> tuple[int, int] | None:
    """One unsigned Exp-Golomb value from a bit string; None if the string ends first."""
    zeros = 0
    while pos + zeros < len(bits) and bits[pos + zeros] == "0":
        zeros += 1
    end = pos + 2 * zeros + 1
    if end > len(bits):
        return None
    return int(bits[pos + zeros : end], 2) - 1, end


def h264_slice_types(data: bytes) -> list[int]:
    """slice_type % 5 of every coded slice in an Annex-B H.264 access unit."""
    out: list[int] = []
    for unit in _nal_heads(data):
        if unit[0] & 0x1F not in _SLICE_NAL_TYPES:
            continue
        head = _unescape(unit[1:])
        bits = "".join(f"{b:08b}" for b in head)
        first_mb = _read_ue(bits, 0)
        if first_mb is None:
            continue
        slice_type = _read_ue(bits, first_mb[1])
        if slice_type is not None:
            out.append(slice_type[0] % 5)
    return out


def has_b_slices(data: bytes, codec: str) -> bool | None:
    """Whether an access unit holds B slices; None when the codec is not parsed here."""
    if codec != "h264":
        return None
    return SLICE_B in h264_slice_types(data)
