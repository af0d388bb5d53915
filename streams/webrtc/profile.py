"""The H.264 profile and level an answer advertises: those of the stream actually sent.

aiortc only knows Constrained Baseline and Baseline at level 3.1 and would answer so whatever
it forwards. The browser lists the profiles it decodes, one payload type each (Debian's
Chromium: Baseline, Constrained Baseline, Main and High 4:4:4 Predictive, no plain High). The
answer takes the offered payload type of the stream's own profile or, failing that, of the
smallest offered profile that contains it, and states the stream's level (the offers allow a
different level in each direction: level-asymmetry-allowed).
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from aiortc import RTCRtpCodecParameters
from aiortc.sdp import H264Profile, SessionDescription, parse_h264_profile_level_id

log = logging.getLogger(__name__)
P = H264Profile
# Profiles whose decoders also decode the key's profile, nearest first.
CONTAINED_IN: dict[H264Profile, list[H264Profile]] = {
    P.PROFILE_CONSTRAINED_BASELINE: [
        P.PROFILE_CONSTRAINED_BASELINE,
        P.PROFILE_BASELINE,
        P.PROFILE_MAIN,
        P.PROFILE_CONSTRAINED_HIGH,
        P.PROFILE_HIGH,
        P.PROFILE_PREDICTIVE_HIGH_444,
    ],
    # Cameras' "Baseline" uses none of the tools Main lacks (FMO, ASO, redundant slices).
    P.PROFILE_BASELINE: [
        P.PROFILE_BASELINE,
        P.PROFILE_CONSTRAINED_BASELINE,
        P.PROFILE_MAIN,
        P.PROFILE_HIGH,
        P.PROFILE_PREDICTIVE_HIGH_444,
    ],
    P.PROFILE_MAIN: [P.PROFILE_MAIN, P.PROFILE_HIGH, P.PROFILE_PREDICTIVE_HIGH_444],
    P.PROFILE_CONSTRAINED_HIGH: [
        P.PROFILE_CONSTRAINED_HIGH,
        P.PROFILE_HIGH,
        P.PROFILE_PREDICTIVE_HIGH_444,
    ],
    P.PROFILE_HIGH: [P.PROFILE_HIGH, P.PROFILE_PREDICTIVE_HIGH_444],
    P.PROFILE_PREDICTIVE_HIGH_444: [P.PROFILE_PREDICTIVE_HIGH_444],
}
# profile_idc and constraint byte that name each profile in an SDP.
CANONICAL = {
    P.PROFILE_CONSTRAINED_BASELINE: "42e0",
    P.PROFILE_BASELINE: "4200",
    P.PROFILE_MAIN: "4d00",
    P.PROFILE_CONSTRAINED_HIGH: "640c",
    P.PROFILE_HIGH: "6400",
    P.PROFILE_PREDICTIVE_HIGH_444: "f400",
}
_BY_IDC = {0x42: P.PROFILE_BASELINE, 0x4D: P.PROFILE_MAIN, 0x64: P.PROFILE_HIGH}
# H.264 Table A-1: level_idc, largest frame (macroblocks), macroblocks per second.
LEVELS = [
    (10, 99, 1485),
    (11, 396, 3000),
    (12, 396, 6000),
    (13, 396, 11880),
    (21, 792, 19800),
    (22, 1620, 20250),
    (30, 1620, 40500),
    (31, 3600, 108000),
    (32, 5120, 216000),
    (40, 8192, 245760),
    (42, 8704, 522240),
    (50, 22080, 589824),
    (51, 36864, 983040),
    (52, 36864, 2073600),
]


def level_for(width: int, height: int, fps: float) -> int:
    """The lowest H.264 level_idc whose frame size and macroblock rate hold this picture."""
    mbs = ((width + 15) // 16) * ((height + 15) // 16)
    for idc, max_fs, max_rate in LEVELS:
        if mbs <= max_fs and mbs * fps <= max_rate:
            return idc
    return LEVELS[-1][0]


def profile_of(profile_level_id: str) -> H264Profile | None:
    """The profile an SDP profile-level-id names (None when unknown)."""
    try:
        return parse_h264_profile_level_id(profile_level_id)[0]
    except ValueError:
        return _BY_IDC.get(int(profile_level_id[:2], 16)) if len(profile_level_id) == 6 else None


def _choose(
    offered: list[RTCRtpCodecParameters], profile_level_id: str
) -> tuple[RTCRtpCodecParameters, str] | None:
    ours = profile_of(profile_level_id)
    if ours is None:
        return None
    usable = [
        c
        for c in offered
        if c.mimeType.lower() == "video/h264"
        and str(c.parameters.get("packetization-mode", "0")) == "1"
    ]
    for wanted in CONTAINED_IN[ours]:
        for codec in usable:
            if profile_of(str(codec.parameters.get("profile-level-id", "42e01f"))) != wanted:
                continue
            exact = wanted == ours and _parses(profile_level_id)
            return codec, profile_level_id if exact else CANONICAL[wanted] + profile_level_id[4:]
    return None


def _parses(profile_level_id: str) -> bool:
    try:
        parse_h264_profile_level_id(profile_level_id)
    except ValueError:
        return False
    return True


def advertise(pc: Any, transceivers: list[tuple[Any, str | None]], offer_sdp: str) -> None:
    """Make each sending transceiver's answer state its stream's profile and level.

    Call between setRemoteDescription and createAnswer; `transceivers` pairs each with the
    profile-level-id of what it will send (None: leave aiortc's choice).
    """
    media = SessionDescription.parse(offer_sdp).media
    for transceiver, profile_level_id in transceivers:
        index = transceiver._get_mline_index()
        if profile_level_id is None or index is None or index >= len(media):
            continue
        offered = media[index].rtp.codecs
        chosen = _choose(offered, profile_level_id)
        if chosen is None:
            log.info(
                "no offered H.264 profile holds %s; answering as aiortc does", profile_level_id
            )
            continue
        remote, advertised = chosen
        local = next((c for c in transceiver._codecs if c.mimeType.lower() == "video/h264"), None)
        codec = copy.deepcopy(local or remote)
        codec.payloadType = remote.payloadType
        codec.parameters = {
            "level-asymmetry-allowed": "1",
            "packetization-mode": "1",
            "profile-level-id": advertised,
        }
        codec.rtcpFeedback = [f for f in codec.rtcpFeedback if f in remote.rtcpFeedback]
        rtx = [
            copy.deepcopy(c)
            for c in offered
            if c.mimeType.lower() == "video/rtx" and c.parameters.get("apt") == remote.payloadType
        ]
        transceiver._codecs = [codec, *rtx[:1]]
