"""ASGI middleware: body size limit, security headers, request metrics."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console.metrics import Metrics


class _TooLarge(Exception):
    pass


def limit_text(limit: int) -> str:
    """A byte limit as people read it: "50 MiB (52,428,800 bytes)"."""
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB ({limit:,} bytes)"
    return f"{limit:,} bytes"


def too_large(limit: int) -> dict[str, Any]:
    """The 413 problem document (middleware and upload readers send the same one)."""
    msg = f"request body is larger than the limit of {limit_text(limit)}"
    return {
        "type": "https://eoc-console.invalid/problems/too-large",
        "title": "Request body too large",
        "status": 413,
        "detail": msg,
        "limit": limit,
        "errors": [{"loc": "body", "msg": msg, "type": "too_large", "params": {"limit": limit}}],
    }


async def _send_413(send: Send, limit: int) -> None:
    body = json.dumps(too_large(limit)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse bodies over `limit` bytes with 413, by header or while streaming.

    `routes` gives other limits to paths matching a pattern (uploads: GIS imports), so one
    setting governs each route rather than a router limit hidden behind this one.
    """

    def __init__(self, app: ASGIApp, limit: int, routes: Sequence[tuple[str, int]] = ()) -> None:
        self.app = app
        self.default = limit
        self.routes = [(re.compile(p), n) for p, n in routes]

    def limit_for(self, path: str) -> int:
        """The body limit of a request path."""
        return next((n for p, n in self.routes if p.match(path)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_413(send, limit)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send_413(send, limit)


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        b"style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; frame-ancestors 'none'; "
        b"form-action 'self'",
    ),
]


class SecurityHeaders:
    """Add conservative security headers to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    h for h in SECURITY_HEADERS if h[0] not in names
                ]
            await send(message)

        await self.app(scope, receive, add_headers)


class RequestMetrics:
    """Count and time requests by route template (bounded label cardinality)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route: Any = scope.get("route")
            template = getattr(route, "path", None) or "static"
            self.metrics.requests.labels(template, scope["method"], f"{status[0] // 100}xx").inc()
            self.metrics.latency.labels(template).observe(time.perf_counter() - start)
