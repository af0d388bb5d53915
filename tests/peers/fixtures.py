"""Pytest fixtures for real camera peers (GStreamer RTSP servers) and broken endpoints."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.paths import VIDEO

SERVER = Path(__file__).with_name("rtsp_server.py")
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's python sees the gi bindings


class RtspPeer:
    """An RTSP server subprocess; counts PLAY requests per mount.

    Each mount runs like a camera's encoder from the server's start, and a session joins
    mid-GOP at the live position (`from_start=True`: every new media begins at frame 0).
    """

    def __init__(
        self,
        mounts: dict[str, str],
        port: int = 0,
        auth: str | None = None,
        from_start: bool = False,
    ) -> None:
        self.mounts = mounts
        self.port = port
        self.auth = auth
        self.from_start = from_start
        self.plays: Counter[str] = Counter()
        self.teardowns: Counter[str] = Counter()
        self.epoch: float | None = None  # unix time of the encoders' frame 0
        # Per mount: (loop frame index, unix time it left) for every media started.
        self.starts: dict[str, list[tuple[int, float]]] = {}
        self.proc: subprocess.Popen[str] | None = None
        self._ready = threading.Event()

    def url(self, mount: str, credentials: str | None = None) -> str:
        """rtsp:// URL of a mount."""
        cred = f"{credentials}@" if credentials else ""
        return f"rtsp://{cred}127.0.0.1:{self.port}/{mount}"

    def start(self) -> RtspPeer:
        """Start (or restart on the same port) and wait until it listens."""
        args = [SYSTEM_PYTHON, str(SERVER), "--port", str(self.port)]
        for name, spec in self.mounts.items():
            args += ["--mount", f"{name}={spec}"]
        if self.auth:
            args += ["--auth", self.auth]
        if self.from_start:
            args.append("--from-start")
        self._ready.clear()
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        threading.Thread(
            target=self._pump, args=(self.proc,), daemon=True, name="rtsp-peer-stdout"
        ).start()
        if not self._ready.wait(30):
            self.stop()
            raise RuntimeError("RTSP peer did not start")
        return self

    def _pump(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            word, _, rest = line.strip().partition(" ")
            if word == "READY":
                self.port = int(rest)
                self._ready.set()
            elif word == "PLAY":
                self.plays[rest] += 1
            elif word == "TEARDOWN":
                self.teardowns[rest] += 1
            elif word == "EPOCH":
                self.epoch = float(rest)
            elif word == "START":
                mount, frame, at = rest.split()
                self.starts.setdefault(mount, []).append((int(frame), float(at)))

    def stop(self) -> None:
        """Stop the server (cameras drop)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


@pytest.fixture
def rtsp_peer() -> Iterator[type[RtspPeer]]:
    """Factory for RTSP peers; every peer started is stopped after the test."""
    started: list[RtspPeer] = []

    class Tracked(RtspPeer):
        def start(self) -> RtspPeer:
            started.append(self)
            return super().start()

    yield Tracked
    for peer in started:
        peer.stop()


class SilentServer:
    """Accepts TCP connections and never answers (a camera that hangs)."""

    def __init__(self, garbage: bool = False) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.garbage = garbage
        self.conns: list[socket.socket] = []
        self._stop = False
        threading.Thread(target=self._serve, daemon=True, name="silent-server").start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.conns.append(conn)
            if self.garbage:
                # Like a non-RTSP service on the port: answers nonsense, then hangs up.
                try:
                    conn.recv(4096)
                    conn.sendall(b"\x17\x03\x03garbage\xff\xfe not rtsp at all\r\n\r\n" * 8)
                    conn.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

    def close(self) -> None:
        """Stop listening."""
        self._stop = True
        time.sleep(0.3)
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.fixture
def silent_server() -> Iterator[type[SilentServer]]:
    """Factory for hanging or garbage-speaking TCP endpoints."""
    made: list[SilentServer] = []

    class Tracked(SilentServer):
        def __init__(self, garbage: bool = False) -> None:
            super().__init__(garbage)
            made.append(self)

    yield Tracked
    for s in made:
        s.close()


class MediaHttpServer:
    """Serves a folder over HTTP on 127.0.0.1 (HLS playlists, FLV, multipart MJPEG)."""

    def __init__(self, root: Path) -> None:
        import functools
        import http.server

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def guess_type(self, path: str | os.PathLike[str]) -> str:
                # What an IP camera's MJPEG endpoint announces; FFmpeg picks its demuxer by it.
                if str(path).endswith(".mjpeg"):
                    return "multipart/x-mixed-replace;boundary=ffmpeg"
                return super().guess_type(path)

        self.server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(root))
        )
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(
            target=self.server.serve_forever, daemon=True, name="media-http"
        )
        self._thread.start()

    def url(self, name: str) -> str:
        """http:// URL of a file in the folder."""
        return f"http://127.0.0.1:{self.port}/{name}"

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


def make_http_media(src: Path, out: Path, seconds: int = 6) -> dict[str, str]:
    """HLS, FLV and MJPEG versions of a clip, made with Debian's ffmpeg; returns kind -> file."""
    out.mkdir(parents=True, exist_ok=True)
    base = ["ffmpeg", "-loglevel", "error", "-y", "-i", str(src), "-t", str(seconds)]
    jobs = {
        "index.m3u8": ["-c", "copy", "-f", "hls", "-hls_time", "2", "-hls_list_size", "0"],
        "cam.flv": ["-c", "copy", "-f", "flv"],
        "cam.mjpeg": ["-c:v", "mjpeg", "-q:v", "5", "-f", "mpjpeg"],
    }
    for name, args in jobs.items():
        subprocess.run([*base, *args, str(out / name)], check=True, timeout=60)
    return {"hls": "index.m3u8", "flv": "cam.flv", "mjpeg": "cam.mjpeg"}


@pytest.fixture(scope="session")
def media_http(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[MediaHttpServer, dict[str, str]]]:
    """An HTTP server with HLS, FLV and MJPEG cuts of the shared road footage."""
    root = tmp_path_factory.mktemp("http-media")
    video = VIDEO
    files = make_http_media(video / "car-detection.mp4", root)
    server = MediaHttpServer(root)
    yield server, files
    server.close()
