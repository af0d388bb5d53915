"""A minimal STUN server (RFC 5389 Binding only) on 127.0.0.1 that records who asked."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest

MAGIC = 0x2112A442


class StunServer:
    """Answers Binding requests with the sender's XOR-MAPPED-ADDRESS."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.requests: list[tuple[str, int]] = []
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True, name="stun")
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                data, (host, port) = self.sock.recvfrom(2048)
            except OSError:
                continue
            if len(data) < 20 or struct.unpack(">HHI", data[:8])[0] != 0x0001:
                continue
            if struct.unpack(">I", data[4:8])[0] != MAGIC:
                continue
            self.requests.append((host, port))
            addr = struct.unpack(">I", socket.inet_aton(host))[0] ^ MAGIC
            attr = struct.pack(">HHBBHI", 0x0020, 8, 0, 1, port ^ (MAGIC >> 16), addr)
            self.sock.sendto(
                struct.pack(">HHI", 0x0101, len(attr), MAGIC) + data[8:20] + attr, (host, port)
            )

    def close(self) -> None:
        """Stop answering."""
        self._stop = True
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def stun_server() -> Iterator[StunServer]:
    """A STUN server for the test, closed afterwards."""
    server = StunServer()
    yield server
    server.close()
