"""Domain-level live-view bench: server CPU per viewer, pass-through against transcoding in the
same run, and time to first decoded frame with and without the hub's GOP cache.

The server side (hubs + PeerManager) runs in a child process so its CPU is measured alone;
viewers are aiortc peers in this process. Sources are files looped at real-time pace.

Usage: .venv/bin/python bench/webrtc_passthrough.py [--viewers 3] [--seconds 12] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.streams_health import CACHE, VIDEO, make_1080p  # noqa: E402
from tests.webrtc.test_peers import Browser  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


async def serve(sources: dict[str, str]) -> None:
    """Child: hubs and a PeerManager behind a JSON-lines socket on 127.0.0.1."""
    from streams.hub import HubRegistry
    from streams.source import OpenOptions
    from streams.urls import parse_source_url
    from streams.webrtc.peers import OfferError, PeerLimits, PeerManager

    reg = HubRegistry(options=OpenOptions(open_timeout_s=5))
    hubs = {
        k: reg.configure(k, parse_source_url(f"file://{p}", media_root=Path(p).parent))
        for k, p in sources.items()
    }
    # A health watcher would hold each camera open anyway; this keeps the GOP cache warm.
    keepers = [h.subscribe(maxsize=4, name="keep") for h in hubs.values()]
    manager = PeerManager(PeerLimits(max_transcodes=4, max_per_user=64))
    done = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            req = json.loads(line)
            out: dict[str, Any] = {}
            if req["op"] == "offer":
                try:
                    v, sdp = await manager.offer(
                        hubs[req["cam"]], req["sdp"], "bench", req["instant"], req["transcode"]
                    )
                    out = {"sdp": sdp, "mode": v.mode}
                except OfferError as exc:
                    out = {"error": exc.code}
            elif req["op"] == "close_all":
                await manager.close_all()
            writer.write(json.dumps(out).encode() + b"\n")
            await writer.drain()
            if req["op"] == "quit":
                break
        writer.close()
        done.set()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await done.wait()
    server.close()
    await server.wait_closed()
    await manager.close_all()
    for k in keepers:
        k.close()
    await reg.close()


class Server:
    """The child process and its signalling socket."""

    def __init__(self, sources: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", json.dumps(sources)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def call(self, **req: Any) -> dict[str, Any]:
        self.writer.write(json.dumps(req).encode() + b"\n")
        await self.writer.drain()
        return dict(json.loads(await self.reader.readline()))

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    async def view(self, cam: str, instant: bool = True, transcode: bool = False) -> Browser:
        b = Browser()
        r = await self.call(
            op="offer", cam=cam, sdp=await b.offer(), instant=instant, transcode=transcode
        )
        assert "sdp" in r, r
        await b.answer(r["sdp"])
        b.mode = r["mode"]  # type: ignore[attr-defined]
        return b

    async def close(self) -> None:
        await self.call(op="quit")
        self.writer.close()
        self.proc.wait(30)


async def first_frame(srv: Server, cam: str, gop_s: float, instant: bool, runs: int) -> float:
    """Median seconds from offer to first decoded frame, joining at random GOP phases."""
    times = []
    for _ in range(runs):
        await asyncio.sleep(random.uniform(0.2, gop_s))
        start = time.monotonic()
        b = await srv.view(cam, instant=instant)
        for _ in range(int((gop_s + 5) * 100)):
            if b.first_frame is not None:
                break
            await asyncio.sleep(0.01)
        times.append((b.first_frame or time.monotonic()) - start)
        await b.close()
        await srv.call(op="close_all")  # a transcoder is cold again for the next run
    return statistics.median(times)


async def cpu_window(srv: Server, seconds: float) -> float:
    """Server CPU as % of one core over a window."""
    c0, t0 = srv.cpu(), time.monotonic()
    await asyncio.sleep(seconds)
    return (srv.cpu() - c0) / (time.monotonic() - t0) * 100


async def cpu_with(srv: Server, cam: str, n: int, seconds: float, transcode: bool) -> float:
    """Server CPU with `n` viewers of one camera (warm-up excluded)."""
    browsers = [await srv.view(cam, transcode=transcode) for _ in range(n)]
    await asyncio.sleep(3)
    pct = await cpu_window(srv, seconds)
    assert all(b.frames > 0 for b in browsers), "a viewer decoded nothing"
    for b in browsers:
        await b.close()
    await srv.call(op="close_all")
    await asyncio.sleep(1)
    return pct


async def main(args: argparse.Namespace) -> None:
    print(
        f"# webrtc pass-through bench, {platform.node()} ({os.cpu_count()} cores), "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    sources = {
        "g2": str(make_1080p(CACHE / "road-1080p25-gop2s.mp4")),
        "g48": str(VIDEO / "car-detection.mp4"),
        "g84": str(VIDEO / "bottle-detection.mp4"),
    }
    srv = Server(sources)
    await srv.connect()
    try:
        await asyncio.sleep(3)  # hubs open and cache a GOP
        n, secs = args.viewers, args.seconds
        print(f"\n## Server CPU, 1080p25 GOP 2 s file source, {secs:.0f} s windows")
        idle = await cpu_window(srv, secs)
        pt = await cpu_with(srv, "g2", n, secs, transcode=False)
        tx1 = await cpu_with(srv, "g2", 1, secs, transcode=True)
        txn = await cpu_with(srv, "g2", n, secs, transcode=True)
        per_pt, per_tx1, per_txn = (pt - idle) / n, tx1 - idle, (txn - idle) / n
        print(f"{'case':44s} {'server %core':>12s} {'per viewer':>11s}")
        print(f"{'hub only (reading the file, no viewer)':44s} {idle:12.1f} {'-':>11s}")
        print(f"{f'pass-through, {n} viewers':44s} {pt:12.1f} {per_pt:11.2f}")
        print(f"{'transcode, 1 viewer':44s} {tx1:12.1f} {per_tx1:11.2f}")
        print(f"{f'transcode shared by {n} viewers':44s} {txn:12.1f} {per_txn:11.2f}")
        print(f"ratio transcode (1 viewer) / pass-through per viewer: {per_tx1 / per_pt:.1f}x")

        print(f"\n## Offer -> first decoded frame, median of {args.runs} random joins")
        print(f"{'source':42s} {'GOP cache':>10s} {'no cache':>9s} {'ratio':>6s}")
        for cam, gop, label in (
            ("g2", 2.0, "1080p25 GOP 2 s, pass-through"),
            ("g48", 4.8, "768x432 GOP 4.8 s, pass-through"),
            ("g84", 8.4, "640x360 GOP 8.4 s, B-frames: cold transcode"),
        ):
            cached = await first_frame(srv, cam, gop, True, args.runs)
            cold = await first_frame(srv, cam, gop, False, args.runs)
            print(f"{label:42s} {cached:9.2f}s {cold:8.2f}s {cold / cached:5.1f}x")
    finally:
        await srv.close()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        asyncio.run(serve(json.loads(sys.argv[2])))
        sys.exit(0)
    ap = argparse.ArgumentParser()
    ap.add_argument("--viewers", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=12)
    ap.add_argument("--runs", type=int, default=3)
    asyncio.run(main(ap.parse_args()))
