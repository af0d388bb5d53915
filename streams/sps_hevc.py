"""H.265 sequence parameter sets, read without decoding: profile, tier and level for the MSE
codec string and the hvcC record, picture size and reordering."""

from __future__ import annotations

from dataclasses import dataclass

from streams.sps import HEVC_SPS, BitReader, rbsp


@dataclass(frozen=True, slots=True)
class HevcSps:
    """The fields of an H.265 SPS used for the MSE codec string and picture size."""

    profile_space: int
    tier: int
    profile_idc: int
    compat_flags: int
    constraint_bytes: bytes  # 6 bytes: progressive/interlaced/... and reserved flags
    level_idc: int
    chroma_format_idc: int
    bit_depth_luma: int
    bit_depth_chroma: int
    width: int
    height: int
    max_reorder: int  # sps_max_num_reorder_pics of the highest sub-layer

    @property
    def codec_string(self) -> str:
        """RFC 6381 codecs parameter, e.g. hvc1.1.6.L93.B0."""
        space = "" if self.profile_space == 0 else "ABC"[self.profile_space - 1]
        compat = int(f"{self.compat_flags:032b}"[::-1], 2)  # bits in reverse order
        cons = self.constraint_bytes.rstrip(b"\x00")
        tail = "".join(f".{b:X}" for b in cons)
        return (
            f"hvc1.{space}{self.profile_idc}.{compat:X}."
            f"{'H' if self.tier else 'L'}{self.level_idc}{tail}"
        )


def parse_hevc_sps(nal: bytes) -> HevcSps:
    """Parse an H.265 SPS NAL unit (2-byte header first); ValueError when malformed."""
    if len(nal) < 3 or (nal[0] >> 1) & 0x3F != HEVC_SPS:
        raise ValueError("not an H.265 SPS")
    r = BitReader(rbsp(nal[2:]))
    r.u(4)  # sps_video_parameter_set_id
    sub_layers = r.u(3)
    r.u(1)
    space, tier, profile = r.u(2), r.u(1), r.u(5)
    compat = r.u(32)
    cons = r.u(48).to_bytes(6, "big")
    level = r.u(8)
    present = [(r.u(1), r.u(1)) for _ in range(sub_layers)]
    if sub_layers:
        r.u(2 * (8 - sub_layers))
    for prof, lev in present:
        if prof:
            r.u(88)
        if lev:
            r.u(8)
    r.ue()  # sps_seq_parameter_set_id
    chroma = r.ue()
    if chroma == 3:
        r.u(1)
    width, height = r.ue(), r.ue()
    if r.u(1):  # conformance window
        sub_w = 1 if chroma in (0, 3) else 2
        sub_h = 2 if chroma == 1 else 1
        left, right, top, bottom = r.ue(), r.ue(), r.ue(), r.ue()
        width -= sub_w * (left + right)
        height -= sub_h * (top + bottom)
    depth_luma, depth_chroma = r.ue() + 8, r.ue() + 8
    r.ue()  # log2_max_pic_order_cnt_lsb_minus4
    reorder = 0
    for _ in range(0 if r.u(1) else sub_layers, sub_layers + 1):
        r.ue()
        reorder = r.ue()
        r.ue()
    return HevcSps(
        space,
        tier,
        profile,
        compat,
        cons,
        level,
        chroma,
        depth_luma,
        depth_chroma,
        width,
        height,
        reorder,
    )


def find_hevc_sps(units: list[bytes]) -> HevcSps | None:
    """The first readable H.265 SPS among NAL units."""
    for unit in units:
        if len(unit) > 2 and (unit[0] >> 1) & 0x3F == HEVC_SPS:
            try:
                return parse_hevc_sps(unit)
            except ValueError:
                continue
    return None
