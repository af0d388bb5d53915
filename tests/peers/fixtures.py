"""Pytest fixtures for real camera peers (GStreamer RTSP servers) and broken endpoints."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVER = Path(__file__).with_name("rtsp_server.py")
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's python sees the gi bindings


class RtspPeer:
    """An RTSP server subprocess; counts PLAY requests per mount."""

    def __init__(self, mounts: dict[str, str], port: int = 0, auth: str | None = None) -> None:
        self.mounts = mounts
        self.port = port
        self.auth = auth
        self.plays: Counter[str] = Counter()
        self.teardowns: Counter[str] = Counter()
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
                try:
                    conn.recv(4096)
                    conn.sendall(b"\x17\x03\x03garbage\xff\xfe not rtsp at all\r\n\r\n" * 8)
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
