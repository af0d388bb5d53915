"""Real peers for notification tests: an HTTP receiver and an SMTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import free_port

ROBOT_OK = {"errcode": 0, "errmsg": "ok", "code": 0, "msg": "success"}


@dataclass(frozen=True)
class Received:
    """One request the receiver got."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    """What the receiver answers: status, JSON body, delay before answering."""

    status: int = 200
    body: Any = field(default_factory=lambda: dict(ROBOT_OK))
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class Receiver:
    """A ThreadingHTTPServer that records POSTs and answers from a per-path script."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: dict[str, deque[Reply]] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                parts = urlsplit(self.path)
                rec = Received(
                    parts.path,
                    dict(parse_qsl(parts.query)),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    time.monotonic(),
                )
                with receiver.lock:
                    receiver.requests.append(rec)
                    queue = receiver.script.get(parts.path)
                    reply = queue.popleft() if queue else Reply()
                if reply.delay:
                    time.sleep(reply.delay)
                data = json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def reply(self, path: str, *replies: Reply) -> None:
        with self.lock:
            self.script.setdefault(path, deque()).extend(replies)

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    async def wait_for(self, path: str, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.at(path)
            if len(got) >= count:
                return got
            await asyncio.sleep(0.05)
        raise AssertionError(f"{path}: {len(self.at(path))} requests, wanted {count}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate and key for 127.0.0.1 / localhost."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp.crt", directory / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Mailbox:
    """aiosmtpd handler: stores messages; can refuse the next ones with a scripted reply."""

    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, Message]] = []
        self.refuse: deque[str] = deque()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            return self.refuse.popleft()
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        self.messages.append((envelope, message_from_bytes(content)))
        return "250 OK"

    async def wait_for(self, count: int, timeout: float = 30.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return [m for _, m in self.messages]
            await asyncio.sleep(0.05)
        raise AssertionError(f"{len(self.messages)} mails, wanted {count}")


def authenticator(user: str, password: str) -> Any:
    """Accept exactly one login."""

    def check(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            user.encode(),
            password.encode(),
        )
        # handled=False: aiosmtpd answers 535 itself (handled=True would answer nothing).
        return AuthResult(success=ok, handled=False)

    return check


def smtp_server(
    tmp: Path, *, mode: str, user: str | None = None, password: str | None = None
) -> tuple[Controller, Mailbox]:
    """An SMTP server: mode plain, starttls or ssl (implicit TLS); optional login."""
    cert, key = self_signed(tmp)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    box = Mailbox()
    kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": free_port()}
    if mode == "starttls":
        kwargs.update(tls_context=ctx, require_starttls=True)
    if mode == "ssl":
        kwargs.update(ssl_context=ctx)
    if user is not None and password is not None:
        kwargs.update(authenticator=authenticator(user, password), auth_require_tls=mode != "plain")
    controller = Controller(box, **kwargs)
    controller.start()
    return controller, box
