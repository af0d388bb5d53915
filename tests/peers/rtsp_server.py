"""A real RTSP camera peer: GStreamer's RTSP server replaying H.264 from files in a loop.

Run with Debian's /usr/bin/python3 (which has `gi`):
    rtsp_server.py --port 0 --mount cam1=/path/a.mp4 --mount cam2=/path/b.mp4[:freeze=5]
Prints `EPOCH <unix time>` and `READY <port>` once listening, `PLAY <mount>` /
`TEARDOWN <mount>` per client and `START <mount> <frame> <unix time>` when a media starts
sending (frame <frame> of the endless loop leaves at that time, the next ones one frame
interval apart).

Like a real camera's encoder, every mount runs from the server's start: frame i of the loop
is due at EPOCH + i frame intervals, and a session joins at the live position, usually in the
middle of a GOP (it gets the parameter sets first, as a camera's SDP gives them), not at a
keyframe. `--from-start` restores the old behaviour (every new media begins at frame 0).
The file is read into memory once and fed through appsrc with rewritten timestamps, because
seeking to loop deadlocks the server on its second client.
"""

from __future__ import annotations

import argparse
import sys
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
EPOCH = time.time()
EPOCH_MONO = time.monotonic()


def load_access_units(path: str) -> tuple[list[tuple[bytes, bool]], int]:
    """Read every H.264 access unit (Annex-B) of an MP4 into memory; return them and ns/frame."""
    pipe = Gst.parse_launch(
        f'filesrc location="{path}" ! qtdemux ! h264parse config-interval=-1 ! '
        "video/x-h264,stream-format=byte-stream,alignment=au ! appsink name=sink sync=false"
    )
    sink = pipe.get_by_name("sink")
    pipe.set_state(Gst.State.PLAYING)
    units: list[tuple[bytes, bool]] = []
    duration = 0
    while True:
        sample = sink.emit("pull-sample")
        if sample is None:
            break
        buf = sample.get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        if ok:
            # A real copy: the buffer is reused once we unmap it.
            units.append((bytes(info.data), not buf.has_flags(Gst.BufferFlags.DELTA_UNIT)))
            buf.unmap(info)
        if buf.duration != Gst.CLOCK_TIME_NONE and buf.duration > 0:
            duration = buf.duration
    pipe.set_state(Gst.State.NULL)
    return units, duration or 40_000_000


def parameter_sets(access_unit: bytes) -> bytes:
    """The SPS and PPS NAL units (with start codes) of an Annex-B access unit."""
    out = b""
    starts = []
    i = access_unit.find(b"\x00\x00\x01")
    while i >= 0:
        starts.append(i)
        i = access_unit.find(b"\x00\x00\x01", i + 3)
    for n, at in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(access_unit)
        if access_unit[at + 3] & 0x1F in (7, 8):
            out += b"\x00" + access_unit[at:end].rstrip(b"\x00")
    return out


class LoopFactory(GstRtspServer.RTSPMediaFactory):
    """Serves one file forever from memory; optionally freezes (stops sending) after N s."""

    def __init__(
        self, mount: str, path: str, freeze_after: float | None, from_start: bool = False
    ) -> None:
        super().__init__()
        self.mount = mount
        self.units, self.frame_ns = load_access_units(path)
        self.params = parameter_sets(self.units[0][0])
        self.freeze_after = freeze_after
        self.from_start = from_start
        self.set_shared(True)
        self.set_launch(
            "( appsrc name=src is-live=true format=time do-timestamp=false "
            'caps="video/x-h264,stream-format=byte-stream,alignment=au" ! '
            "h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
        )

    def do_configure(self, media: GstRtspServer.RTSPMedia) -> None:
        src = media.get_element().get_by_name_recurse_up("src")
        # The live position of the running "encoder", not frame 0.
        live = 0 if self.from_start else int((time.monotonic() - EPOCH_MONO) * 1e9 // self.frame_ns)
        state = {"i": live, "pts": 0}

        def started(_media: GstRtspServer.RTSPMedia, new_state: int) -> None:
            if new_state != Gst.State.PLAYING:
                return
            pipe = media.get_element()
            clock = pipe.get_clock()
            if clock is None:
                return
            # Running time 0 (the first buffer's pts) leaves at base_time (plus the pipeline's
            # latency) on the pipeline clock.
            ahead_ns = pipe.get_base_time() - clock.get_time()
            query = Gst.Query.new_latency()
            if pipe.query(query):
                live_pipe, min_ns, _max_ns = query.parse_latency()
                ahead_ns += min_ns if live_pipe else 0
            print(f"START {self.mount} {live} {time.time() + ahead_ns / 1e9:.6f}", flush=True)

        media.connect("new-state", started)

        def need_data(appsrc: Gst.Element, _length: int) -> None:
            if self.freeze_after is not None and state["pts"] / 1e9 > self.freeze_after:
                return  # a frozen encoder: the session stays, packets stop
            data, key = self.units[state["i"] % len(self.units)]
            if state["pts"] == 0 and not key:
                data = self.params + data  # as a camera's SDP: decodable from the next IDR
            buf = Gst.Buffer.new_wrapped(data)
            buf.pts = buf.dts = state["pts"]
            buf.duration = self.frame_ns
            if not key:
                buf.set_flags(Gst.BufferFlags.DELTA_UNIT)
            state["i"] += 1
            state["pts"] += self.frame_ns
            appsrc.emit("push-buffer", buf)

        src.connect("need-data", need_data)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mount", action="append", default=[], help="name=file.mp4[:freeze=S]")
    parser.add_argument("--auth", default=None, help="user:password required of clients")
    parser.add_argument(
        "--from-start", action="store_true", help="start every new media at frame 0"
    )
    args = parser.parse_args()
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    for spec in args.mount:
        name, _, rest = spec.partition("=")
        path, _, opt = rest.partition(":")
        freeze = float(opt.split("=", 1)[1]) if opt.startswith("freeze=") else None
        factory = LoopFactory(name, path, freeze, args.from_start)
        if args.auth:
            factory.add_role_from_structure(
                Gst.Structure.new_from_string(
                    "user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
                )
            )
        mounts.add_factory(f"/{name}", factory)
    if args.auth:
        user, _, password = args.auth.partition(":")
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "user")
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        server.set_auth(auth)

    def client_connected(_server: object, client: GstRtspServer.RTSPClient) -> None:
        def play(_c: object, ctx: GstRtspServer.RTSPContext) -> None:
            print(f"PLAY {ctx.uri.abspath.strip('/')}", flush=True)

        def teardown(_c: object, ctx: GstRtspServer.RTSPContext) -> None:
            print(f"TEARDOWN {ctx.uri.abspath.strip('/')}", flush=True)

        client.connect("play-request", play)
        client.connect("teardown-request", teardown)
        client.connect("closed", lambda _c: print("CLOSED", flush=True))

    server.connect("client-connected", client_connected)
    server.attach(None)
    print(f"EPOCH {EPOCH:.6f}", flush=True)
    print(f"READY {server.get_bound_port()}", flush=True)
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 15, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 2, loop.quit)
    loop.run()
    sys.exit(0)


if __name__ == "__main__":
    main()
