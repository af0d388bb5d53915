"""Checks on a viewer's SDP offer before any peer is created; errors carry reason codes."""

from __future__ import annotations

import re

MAX_SDP = 64 * 1024
# Chromium hides host addresses behind mDNS names; resolving one costs aiortc a 1 s timeout
# inside setRemoteDescription. Dropped, the browser's own checks still reach us (prflx).
_MDNS = re.compile(r"^a=candidate:\S+ \d+ \S+ \d+ [0-9a-zA-Z-]+\.local \d+ .*(?:\r?\n|$)", re.M)


class OfferError(ValueError):
    """A refused offer; `code` is a stable reason key and `status` the HTTP status to use."""

    def __init__(self, code: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def clean_offer(sdp: str, max_bytes: int = MAX_SDP) -> str:
    """Validate an SDP offer and drop mDNS candidates (resolving them costs 1 s per offer)."""
    if len(sdp.encode("utf-8", "replace")) > max_bytes:
        raise OfferError("offer_too_large", f"SDP offer larger than {max_bytes} bytes", 413)
    text = sdp.replace("\r\n", "\n")
    if not text.startswith("v=0\n"):
        raise OfferError("bad_sdp", "not an SDP offer (it must start with the line v=0)")
    if "\0" in text:
        raise OfferError("bad_sdp", "the offer contains NUL characters")
    videos = [m for m in text.split("\nm=")[1:] if m.startswith("video ")]
    if not videos:
        raise OfferError("no_video", "the offer has no video section")
    if all(v.split(" ", 2)[1] == "0" for v in videos):
        raise OfferError("no_video", "every video section of the offer is disabled (port 0)")
    if "a=ice-ufrag:" not in text or "a=fingerprint:" not in text:
        raise OfferError("bad_sdp", "the offer lacks ICE credentials or a DTLS fingerprint")
    return _MDNS.sub("", sdp)
