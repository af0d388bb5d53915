"""A private nats-server (JetStream, own port and store dir) that a test may stop and restart."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"


class PrivateNats:
    """nats-server -js on a free port, storing in `store`; never the machine's shared one."""

    def __init__(self, store: Path, port: int) -> None:
        self.store, self.port = store, port
        self.url = f"nats://127.0.0.1:{port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._proc = subprocess.Popen(
            [NATS_SERVER, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nats-server did not listen on {self.port}")

    def stop(self) -> None:
        """Stop the server (SIGTERM; its file store stays)."""
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(10)
            self._proc = None


def private_nats(tmp_path: Path, port: int) -> PrivateNats:
    """A private server, or a skip when nats-server is not installed (a failure in CI)."""
    import os

    if not Path(NATS_SERVER).exists():
        if os.environ.get("CI"):
            pytest.fail("nats-server is required in CI (Debian package nats-server)")
        pytest.skip("nats-server binary not installed")
    return PrivateNats(tmp_path / "nats-store", port)
