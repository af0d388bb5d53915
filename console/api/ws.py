"""The /ws endpoint: typed events filtered per user, slow clients dropped, resume by id.

Every node filters events for its own clients with the audience carried by each event; an id
seen on one node resumes on any other (see console.events.bus).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from console.auth.policy import Principal, authorize, visible_to
from console.cluster.caches import INVALIDATE
from console.deps import client_ip, get_services, resolve_principal
from console.events import Event

log = logging.getLogger(__name__)
router = APIRouter()

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_SLOW = 4008
RECHECK_S = 30.0


def may_see(principal: Principal, event: Event) -> bool:
    """Whether an event's audience includes this user."""
    aud = event.audience
    if aud.permission and not authorize(principal, aud.permission).allowed:
        return False
    if aud.user_ids is not None and principal.user_id not in aud.user_ids:
        return False
    return visible_to(principal, aud.unit_ids)


def _same_origin(ws: WebSocket) -> bool:
    origin = ws.headers.get("origin")
    if origin is None:
        return True  # not a browser
    host = ws.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


@router.websocket("/ws")
async def events_ws(ws: WebSocket) -> None:
    """Push events the user may see; `?since=<id>` resumes after a reconnect."""
    services = get_services(ws)
    principal = await resolve_principal(services, ws.headers, ws.cookies, client_ip(ws))
    # Accept before refusing: browsers only see close codes, never the handshake status.
    await ws.accept()
    if principal is None or not _same_origin(ws):
        await ws.close(code=CLOSE_UNAUTHENTICATED, reason="sign in first")
        return
    if not authorize(principal, "events.subscribe").allowed:
        await ws.close(code=CLOSE_FORBIDDEN, reason="not allowed")
        return
    since_raw = ws.query_params.get("since")
    since = int(since_raw) if since_raw and since_raw.isdigit() else None
    # Resuming may read back from the cluster's event log: ids are the same on every node.
    sub, complete = await services.bus.resume(since, services.settings.events.client_queue)
    services.metrics.ws_clients.inc()
    loop = asyncio.get_running_loop()
    reader = asyncio.create_task(_read(ws), name=f"ws-read-{principal.username}")
    try:
        hello: dict[str, Any] = {"user": principal.username, "resumed": since is not None}
        await ws.send_json(
            {"type": "hello", "v": 1, "id": services.bus.last_id, "ts": None, "data": hello}
        )
        if not complete:
            await ws.send_json(
                {
                    "type": "resync",
                    "v": 1,
                    "id": services.bus.last_id,
                    "ts": None,
                    "data": {"reason": "events since your last id are gone"},
                }
            )
        recheck_at = loop.time() + RECHECK_S
        while True:
            getter = asyncio.ensure_future(sub.get())
            done, _ = await asyncio.wait(
                {getter, reader},
                timeout=max(0.0, recheck_at - loop.time()),
                return_when=asyncio.FIRST_COMPLETED,
            )
            if reader in done:
                getter.cancel()
                break
            if not done:
                getter.cancel()
                # A session revoked or a user disabled while connected loses the stream too.
                if await resolve_principal(services, ws.headers, ws.cookies, client_ip(ws)) is None:
                    await ws.close(code=CLOSE_UNAUTHENTICATED, reason="session ended")
                    break
                recheck_at = loop.time() + RECHECK_S
                continue
            event = getter.result()
            if event is None:
                services.metrics.ws_dropped.inc()
                log.info("dropping slow websocket client %s", principal.username)
                await ws.close(code=CLOSE_TOO_SLOW, reason="too slow; reconnect with ?since=")
                break
            if event.type == INVALIDATE:
                # Later events may depend on the reloaded cache (a unit created on another node).
                await services.caches.settled(event.id)
                continue
            if not may_see(principal, event):
                continue
            # A client whose socket does not drain within the timeout is as slow as a full queue.
            await asyncio.wait_for(ws.send_json(event.wire()), timeout=10)
    except (WebSocketDisconnect, TimeoutError, RuntimeError):
        pass
    finally:
        services.bus.unsubscribe(sub)
        services.metrics.ws_clients.dec()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader


async def _read(ws: WebSocket) -> None:
    while True:
        msg = await ws.receive_json()
        if isinstance(msg, dict) and msg.get("type") == "ping":
            await ws.send_json({"type": "pong", "v": 1, "id": None, "ts": None, "data": {}})
