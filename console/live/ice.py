"""STUN/TURN servers from settings, for the browsers and for the server's own peers.

A fixed TURN password goes to signed-in viewers only; with a TURN REST secret (coturn's
use-auth-secret) each viewer gets a user name and password that expire. Neither is logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from aiortc import RTCIceServer

from console.settings import IceServer


def rest_credentials(secret: str, user: str, ttl_s: int, now: float) -> tuple[str, str]:
    """TURN REST API credentials: "<expiry>:<user>" and base64(HMAC-SHA1(secret, that))."""
    username = f"{int(now) + ttl_s}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def _entry(server: IceServer, user: str, now: float) -> tuple[list[str], str | None, str | None]:
    if server.secret is not None:
        name, password = rest_credentials(server.secret.get_secret_value(), user, server.ttl_s, now)
        return list(server.urls), name, password
    fixed = server.credential.get_secret_value() if server.credential else None
    return list(server.urls), server.username, fixed


def for_browser(
    servers: list[IceServer], user: str, now: float | None = None
) -> list[dict[str, Any]]:
    """RTCConfiguration.iceServers for a signed-in viewer."""
    out: list[dict[str, Any]] = []
    for server in servers:
        urls, username, credential = _entry(server, user, time.time() if now is None else now)
        item: dict[str, Any] = {"urls": urls}
        if username is not None and credential is not None:
            item.update(username=username, credential=credential)
        out.append(item)
    return out


def for_server(servers: list[IceServer]) -> list[RTCIceServer]:
    """The same servers for aiortc (TURN REST credentials made for the server itself)."""
    out = []
    for server in servers:
        urls, username, credential = _entry(server, "eoc-server", time.time())
        out.append(RTCIceServer(urls=urls, username=username, credential=credential))
    return out
