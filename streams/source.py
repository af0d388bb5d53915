"""One named thread per upstream connection: PyAV demux (no decode), handing packets to the loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import av

from streams.access_units import AccessUnitJoiner
from streams.packets import Packet, StreamInfo
from streams.sps import find_h264_sps, parameter_units
from streams.sps_hevc import find_hevc_sps
from streams.urls import SourceUrl

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OpenOptions:
    """How to open a source."""

    rtsp_transport: str = "tcp"
    open_timeout_s: float = 5.0
    read_timeout_s: float = 5.0
    fast_probe: bool = True
    # RTSP: let FFmpeg's parser find frame ends (a frame later) instead of our frame cutter.
    rtsp_parser: bool = False


# Most specific first: several FFmpeg errors are also builtin OSError subclasses.
_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (av.error.ExitError, "timeout"),  # the read/open timeout's interrupt callback fired
    (av.error.HTTPUnauthorizedError, "unauthorized"),
    (av.error.HTTPForbiddenError, "unauthorized"),
    (av.error.HTTPNotFoundError, "not_found"),
    (av.error.FileNotFoundError, "not_found"),
    (av.error.ConnectionRefusedError, "refused"),
    (av.error.InvalidDataError, "invalid_data"),
    (av.error.TimeoutError, "timeout"),
    (av.error.EOFError, "eof"),
    (av.error.ConnectionResetError, "connection_lost"),
    (av.error.BrokenPipeError, "connection_lost"),
    (av.error.DecoderNotFoundError, "unsupported_codec"),
    (av.error.HTTPError, "http_error"),
)


def reason_code(exc: BaseException) -> str:
    """A stable key for why a connection failed or ended (the UI translates it)."""
    for kind, code in _REASONS:
        if isinstance(exc, kind):
            return code
    if isinstance(exc, IndexError):  # no video stream in the container
        return "no_video"
    return "error"


def ffmpeg_options(src: SourceUrl, opts: OpenOptions) -> dict[str, str]:
    """FFmpeg demuxer options for a source."""
    o: dict[str, str] = {}
    if opts.fast_probe and not src.is_file:
        # Default probing makes a first open take ~1.2 s; this opens in ~0.1 s.
        o.update({"probesize": "32", "analyzeduration": "0"})
    if src.scheme in ("rtsp", "rtsps"):
        o["rtsp_transport"] = opts.rtsp_transport
        if not opts.rtsp_parser:
            # FFmpeg's parser releases a frame only when the next one begins (one frame
            # late); without it the raw RTP pieces come through and access_units joins them.
            o["fflags"] = "nofillin+noparse"
    return o


def stream_info(cc: Any, stream: Any, extradata: bytes | None) -> StreamInfo:
    """What a source carries; picture size and profile from the SPS when FFmpeg did not probe."""
    profile, width, height = cc.profile, cc.width, cc.height
    fps = float(stream.average_rate) if stream.average_rate else None
    units = parameter_units(bytes(cc.extradata) if cc.extradata else None, cc.name)
    if cc.name == "h264" and (sps := find_h264_sps(units)) is not None:
        profile, width, height = sps.profile_name, sps.width, sps.height
        fps = fps or sps.fps
    elif cc.name == "hevc" and (hsps := find_hevc_sps(units)) is not None:
        width, height = hsps.width, hsps.height
    return StreamInfo(
        codec=cc.name,
        profile=profile,
        width=width,
        height=height,
        fps=fps,
        time_base=stream.time_base,
        extradata=extradata,
        annexb=True,
    )


class SourceReader(threading.Thread):
    """Reads one connection until stopped, EOF (files loop) or an error; never decodes."""

    def __init__(
        self,
        camera_id: str,
        src: SourceUrl,
        loop: asyncio.AbstractEventLoop,
        on_info: Callable[[StreamInfo], None],
        on_packet: Callable[[Packet], None],
        on_end: Callable[[str, str], None],
        options: OpenOptions = OpenOptions(),
        generation: int = 0,
    ) -> None:
        super().__init__(name=f"reader-{camera_id}-{generation}", daemon=True)
        self.camera_id = camera_id
        self.src = src
        self.loop = loop
        self.on_info = on_info
        self.on_packet = on_packet
        self.on_end = on_end
        self.options = options
        self.generation = generation
        self.stop_event = threading.Event()
        # A looped file restarts its timestamps; shift them so they keep rising like a camera's.
        self._offset = 0
        self._last_out: int | None = None
        self._frame_ticks = 1
        self._open_started = 0.0  # set while av.open() runs
        self.joiner: AccessUnitJoiner | None = None  # RTSP H.264/H.265: frames cut as they end

    def stop(self) -> None:
        """Ask the thread to end at its next packet or timeout."""
        self.stop_event.set()

    def _post(self, fn: Callable[..., None], *args: Any) -> None:
        if self.stop_event.is_set():
            return
        try:
            self.loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # loop closed during shutdown
            self.stop_event.set()

    def run(self) -> None:
        code, detail = "eof", "the stream ended"
        try:
            while not self.stop_event.is_set():
                self._read_once()
                if not self.src.is_file:
                    break
        except av.error.FFmpegError as exc:
            code, detail = reason_code(exc), self.src.redact(f"{type(exc).__name__}: {exc}")
            waited = time.monotonic() - self._open_started
            if self._open_started and waited >= 0.9 * self.options.open_timeout_s:
                # FFmpeg's RTSP client reports an interrupted wait for a reply as bad data.
                code = "timeout"
        except Exception as exc:  # a reader must always report how it ended
            code, detail = reason_code(exc), self.src.redact(f"{type(exc).__name__}: {exc}")
            if code == "error":
                log.exception("reader %s crashed", self.name)
        if not self.stop_event.is_set():
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.on_end, code, detail)

    def _read_once(self) -> None:
        o = self.options
        self._open_started = time.monotonic()
        container = av.open(
            self.src.url if not self.src.is_file else str(self.src.path),
            options=ffmpeg_options(self.src, o),
            timeout=(o.open_timeout_s, o.read_timeout_s),
        )
        self._open_started = 0.0
        try:
            self._demux(container)
        finally:
            container.close()
        if self._last_out is not None:
            self._offset = self._last_out + self._frame_ticks

    def _demux(self, container: Any) -> None:
        stream = container.streams.video[0]
        cc = stream.codec_context
        bsf = None
        if cc.name in ("h264", "hevc") and cc.extradata and cc.extradata[:1] == b"\x01":
            # MP4/FLV carry length-prefixed NAL units; browsers and decoders want Annex-B.
            bsf = av.BitStreamFilterContext(f"{cc.name}_mp4toannexb", stream)
        info = stream_info(
            cc, stream, None if bsf is not None or not cc.extradata else bytes(cc.extradata)
        )
        self._post(self.on_info, info)
        start_wall: float | None = None
        first_pts: int | None = None
        tb = stream.time_base
        if info.fps:
            self._frame_ticks = max(1, round(1 / (info.fps * float(tb))))
        # RTSP without FFmpeg's parser hands over RTP pieces (see ffmpeg_options): H.264/H.265
        # are joined into access units as they complete, other codecs until the time changes.
        pieces = self.src.scheme in ("rtsp", "rtsps")
        joiner = AccessUnitJoiner(cc.name) if pieces and cc.name in ("h264", "hevc") else None
        self.joiner = joiner
        pending: list[Any] = []
        for raw in container.demux(stream):
            if self.stop_event.is_set():
                return
            if raw.size == 0:
                continue
            if self.src.is_file:
                for p in bsf.filter(raw) if bsf is not None else [raw]:
                    start_wall, first_pts = self._pace(p, tb, start_wall, first_pts)
                    if self.stop_event.is_set():
                        return
                    self._emit(bytes(p), p.pts, p.dts, p.is_keyframe, tb, info)
            elif not pieces:
                for p in bsf.filter(raw) if bsf is not None else [raw]:
                    self._emit(bytes(p), p.pts, p.dts, p.is_keyframe, tb, info)
            elif joiner is not None:
                for au in joiner.push(bytes(raw), raw.pts):
                    data = b"".join(au.parts)
                    self._emit(data, au.pts, None, au.keyframe, tb, info)
            else:
                if (
                    pending
                    and raw.pts is not None
                    and pending[-1].pts is not None
                    and (raw.pts != pending[-1].pts)
                ):
                    self._emit_parts(pending, tb, info)
                    pending = []
                pending.append(raw)

    def _pace(
        self, p: Any, tb: Any, start_wall: float | None, first_pts: int | None
    ) -> tuple[float | None, int | None]:
        """Hold a file's packet until its time comes, as a camera would deliver it."""
        pts = p.pts if p.pts is not None else p.dts
        if pts is None:
            return start_wall, first_pts
        if start_wall is None or first_pts is None:
            return time.monotonic(), pts
        delay = start_wall + float((pts - first_pts) * tb) - time.monotonic()
        if delay > 0:
            self.stop_event.wait(min(delay, 1.0))
        return start_wall, first_pts

    def _emit_parts(self, parts: list[Any], tb: Any, info: StreamInfo) -> None:
        stamped = next((p for p in parts if p.pts is not None), parts[-1])
        data = b"".join(bytes(p) for p in parts)
        self._emit(data, stamped.pts, stamped.dts, any(p.is_keyframe for p in parts), tb, info)

    def _emit(
        self,
        data: bytes,
        pts: int | None,
        dts: int | None,
        keyframe: bool,
        tb: Any,
        info: StreamInfo,
    ) -> None:
        out_pts = None if pts is None else pts + self._offset
        out_dts = None if dts is None else dts + self._offset
        if out_pts is not None:
            self._last_out = max(out_pts, self._last_out or out_pts)
        self._post(
            self.on_packet,
            Packet(
                data=data,
                pts=out_pts,
                dts=out_dts,
                time_base=tb,
                keyframe=keyframe,
                arrival=time.monotonic(),
                generation=self.generation,
                info=info,
            ),
        )
