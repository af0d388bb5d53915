"""Sequence parameter sets (H.264 and H.265) and H.264 slice headers, read without decoding.

What live view needs to know before the first viewer's answer: the profile and level actually
sent (for the SDP and the MSE codec string), the picture size, and whether frames are output
in another order than they are decoded (B-frames; browsers' WebRTC stacks cannot play that).
"""

from __future__ import annotations

from dataclasses import dataclass

# H.264 profile_idc values whose SPS carries chroma format, bit depth and scaling lists.
_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})
H264_SPS, H264_IDR, H264_SLICE = 7, 5, 1
HEVC_VPS, HEVC_SPS, HEVC_PPS = 32, 33, 34


class BitReader:
    """MSB-first bits of an RBSP (emulation prevention already removed)."""

    def __init__(self, data: bytes) -> None:
        self.value = int.from_bytes(data, "big") if data else 0
        self.size = len(data) * 8
        self.pos = 0

    def u(self, n: int) -> int:
        """n bits as an unsigned integer."""
        if n == 0:
            return 0
        if self.pos + n > self.size:
            raise ValueError("parameter set ends early")
        self.pos += n
        return (self.value >> (self.size - self.pos)) & ((1 << n) - 1)

    def ue(self) -> int:
        """Unsigned Exp-Golomb."""
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("bad Exp-Golomb code")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        """Signed Exp-Golomb."""
        k = self.ue()
        return (k + 1) // 2 if k % 2 else -(k // 2)


def rbsp(nal: bytes) -> bytes:
    """A NAL unit's payload with emulation prevention bytes (00 00 03) removed."""
    if b"\x00\x00\x03" not in nal:
        return nal
    out = bytearray()
    zeros = 0
    for b in nal:
        if zeros >= 2 and b == 3:
            zeros = 0
            continue
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return bytes(out)


def annexb_units(data: bytes) -> list[bytes]:
    """NAL units (header first, no start code) of an Annex-B buffer."""
    out: list[bytes] = []
    i = data.find(b"\x00\x00\x01")
    while i >= 0:
        nxt = data.find(b"\x00\x00\x01", i + 3)
        unit = data[i + 3 : nxt if nxt >= 0 else len(data)]
        if nxt >= 0:
            unit = unit.rstrip(b"\x00")  # a 4-byte start code's leading zero
        if unit:
            out.append(unit)
        i = nxt
    return out


def avcc_units(extradata: bytes) -> list[bytes]:
    """SPS and PPS units of an MP4 avcC record (FFmpeg's extradata for MP4/FLV sources)."""
    out: list[bytes] = []
    if len(extradata) < 7 or extradata[0] != 1:
        return out
    pos = 6
    count = extradata[5] & 0x1F
    for section in range(2):
        for _ in range(count):
            size = int.from_bytes(extradata[pos : pos + 2], "big")
            out.append(extradata[pos + 2 : pos + 2 + size])
            pos += 2 + size
        if section == 0 and pos < len(extradata):
            count = extradata[pos]
            pos += 1
        else:
            break
    return [u for u in out if u]


def hvcc_units(extradata: bytes) -> list[bytes]:
    """VPS, SPS and PPS units of an MP4 hvcC record."""
    out: list[bytes] = []
    if len(extradata) < 23 or extradata[0] != 1:
        return out
    pos = 23
    for _ in range(extradata[22]):
        n = int.from_bytes(extradata[pos + 1 : pos + 3], "big")
        pos += 3
        for _ in range(n):
            size = int.from_bytes(extradata[pos : pos + 2], "big")
            out.append(extradata[pos + 2 : pos + 2 + size])
            pos += 2 + size
    return [u for u in out if u]


def parameter_units(extradata: bytes | None, codec: str) -> list[bytes]:
    """Parameter set NAL units from decoder extradata, Annex-B or MP4-style."""
    if not extradata:
        return []
    if extradata[:3] == b"\x00\x00\x01" or extradata[:4] == b"\x00\x00\x00\x01":
        return annexb_units(extradata)
    return hvcc_units(extradata) if codec == "hevc" else avcc_units(extradata)


@dataclass(frozen=True, slots=True)
class H264Sps:
    """The fields of an H.264 SPS live view uses."""

    profile_idc: int
    constraints: int  # constraint_set0..5 flags and reserved bits, as one byte
    level_idc: int
    sps_id: int
    chroma_format_idc: int
    separate_colour_plane: bool
    bit_depth_luma: int
    bit_depth_chroma: int
    log2_max_frame_num: int
    poc_type: int
    log2_max_poc_lsb: int
    frame_mbs_only: bool
    width: int
    height: int
    max_num_reorder_frames: int | None  # None: no bitstream restriction in the VUI
    fps: float | None  # from the VUI timing info, when present

    @property
    def profile_level_id(self) -> str:
        """The SDP profile-level-id (RFC 6184): profile_idc, constraint flags, level_idc."""
        return f"{self.profile_idc:02x}{self.constraints:02x}{self.level_idc:02x}"

    @property
    def codec_string(self) -> str:
        """RFC 6381 codecs parameter for MP4, e.g. avc1.640028."""
        return f"avc1.{self.profile_level_id}"

    @property
    def reorders(self) -> bool | None:
        """Whether pictures may be output out of decoding order; None when the SPS cannot say.

        Baseline has no B slices; POC type 2 ties output order to decoding order; the VUI's
        max_num_reorder_frames says it outright.
        """
        if self.profile_idc == 66 or self.poc_type == 2:
            return False
        if self.max_num_reorder_frames is not None:
            return self.max_num_reorder_frames > 0
        return None

    @property
    def profile_name(self) -> str:
        """A readable profile name."""
        names = {66: "Baseline", 77: "Main", 88: "Extended", 100: "High", 110: "High 10"}
        name = names.get(self.profile_idc, f"profile {self.profile_idc}")
        if self.profile_idc == 66 and self.constraints & 0x40:
            return "Constrained Baseline"
        if self.profile_idc == 122:
            return "High 4:2:2"
        if self.profile_idc == 244:
            return "High 4:4:4 Predictive"
        return name


def _scaling_list(r: BitReader, size: int) -> None:
    last = nxt = 8
    for _ in range(size):
        if nxt != 0:
            nxt = (last + r.se() + 256) % 256
        last = nxt or last


def _hrd(r: BitReader) -> None:
    count = r.ue() + 1
    r.u(8)  # bit_rate_scale, cpb_size_scale
    for _ in range(count):
        r.ue()
        r.ue()
        r.u(1)
    r.u(20)  # four delay lengths


def parse_h264_sps(nal: bytes) -> H264Sps:
    """Parse an H.264 SPS NAL unit (header byte first); ValueError when it is malformed."""
    if not nal or nal[0] & 0x1F != H264_SPS:
        raise ValueError("not an H.264 SPS")
    r = BitReader(rbsp(nal[1:]))
    profile, constraints, level = r.u(8), r.u(8), r.u(8)
    sps_id = r.ue()
    chroma, separate, depth_luma, depth_chroma = 1, False, 8, 8
    if profile in _HIGH_PROFILES:
        chroma = r.ue()
        if chroma == 3:
            separate = bool(r.u(1))
        depth_luma, depth_chroma = r.ue() + 8, r.ue() + 8
        r.u(1)
        if r.u(1):  # seq_scaling_matrix_present_flag
            for i in range(12 if chroma == 3 else 8):
                if r.u(1):
                    _scaling_list(r, 16 if i < 6 else 64)
    log2_frame_num = r.ue() + 4
    poc_type = r.ue()
    log2_poc_lsb = 0
    if poc_type == 0:
        log2_poc_lsb = r.ue() + 4
    elif poc_type == 1:
        r.u(1)
        r.se()
        r.se()
        for _ in range(r.ue()):
            r.se()
    r.ue()  # max_num_ref_frames
    r.u(1)
    width_mbs = r.ue() + 1
    height_units = r.ue() + 1
    frame_mbs_only = bool(r.u(1))
    if not frame_mbs_only:
        r.u(1)
    r.u(1)
    crop = (r.ue(), r.ue(), r.ue(), r.ue()) if r.u(1) else (0, 0, 0, 0)
    sub_w = 1 if chroma in (0, 3) else 2
    sub_h = 2 if chroma == 1 else 1
    crop_x = sub_w if chroma else 1
    crop_y = (sub_h if chroma else 1) * (2 - frame_mbs_only)
    width = width_mbs * 16 - crop_x * (crop[0] + crop[1])
    height = height_units * 16 * (2 - frame_mbs_only) - crop_y * (crop[2] + crop[3])
    reorder, fps = _h264_vui(r) if r.u(1) else (None, None)
    return H264Sps(
        profile,
        constraints,
        level,
        sps_id,
        chroma,
        separate,
        depth_luma,
        depth_chroma,
        log2_frame_num,
        poc_type,
        log2_poc_lsb,
        frame_mbs_only,
        width,
        height,
        reorder,
        fps,
    )


def _h264_vui(r: BitReader) -> tuple[int | None, float | None]:
    """max_num_reorder_frames and the frame rate from VUI parameters (either may be absent)."""
    try:
        if r.u(1) and r.u(8) == 255:  # aspect ratio, extended SAR
            r.u(32)
        if r.u(1):
            r.u(1)
        if r.u(1):  # video signal type
            r.u(4)
            if r.u(1):
                r.u(24)
        if r.u(1):
            r.ue()
            r.ue()
        fps = None
        if r.u(1):  # timing info
            tick, scale = r.u(32), r.u(32)
            r.u(1)
            if tick and 0 < scale / (2 * tick) <= 240:  # encoders that set a clock, not a rate
                fps = scale / (2 * tick)
        nal_hrd, vcl_hrd = r.u(1), 0
        if nal_hrd:
            _hrd(r)
        vcl_hrd = r.u(1)
        if vcl_hrd:
            _hrd(r)
        if nal_hrd or vcl_hrd:
            r.u(1)
        r.u(1)  # pic_struct_present_flag
        if not r.u(1):  # bitstream_restriction_flag
            return None, fps
        r.u(1)
        for _ in range(4):
            r.ue()
        return r.ue(), fps
    except ValueError:
        return None, None  # a truncated VUI: the SPS itself was read


@dataclass(frozen=True, slots=True)
class SliceHead:
    """The start of an H.264 slice header: enough to see its type and picture order."""

    first_mb: int
    slice_type: int  # % 5: 0 P, 1 B, 2 I, 3 SP, 4 SI
    frame_num: int
    idr: bool
    poc_lsb: int | None  # POC type 0 only
    nal_ref_idc: int


def parse_slice_head(nal: bytes, sps: H264Sps) -> SliceHead:
    """Parse the start of an H.264 slice header (NAL types 1 and 5)."""
    kind = nal[0] & 0x1F
    r = BitReader(rbsp(nal[1:48]))
    first_mb, slice_type = r.ue(), r.ue() % 5
    r.ue()  # pic_parameter_set_id
    if sps.separate_colour_plane:
        r.u(2)
    frame_num = r.u(sps.log2_max_frame_num)
    if not sps.frame_mbs_only and r.u(1):
        r.u(1)
    if kind == H264_IDR:
        r.ue()
    poc = r.u(sps.log2_max_poc_lsb) if sps.poc_type == 0 else None
    return SliceHead(first_mb, slice_type, frame_num, kind == H264_IDR, poc, (nal[0] >> 5) & 3)


def find_h264_sps(units: list[bytes]) -> H264Sps | None:
    """The first readable H.264 SPS among NAL units."""
    for unit in units:
        if unit and unit[0] & 0x1F == H264_SPS:
            try:
                return parse_h264_sps(unit)
            except ValueError:
                continue
    return None
