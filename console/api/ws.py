"""The /ws endpoint: typed events filtered per user, slow clients dropped, resume by id.

Close codes: 4401 signed out (session ended, user disabled, password changed or reset, token
revoked), 4403 no longer allowed to subscribe, 4008 too slow (reconnect with ?since=). When the
user's roles, unit or unit scope change, the connection stays open, is re-scoped at once and
receives a `session.changed` message carrying the new roles, unit and permissions.
Every node filters events for its own clients with the audience carried by each event; an id
seen on one node resumes on any other (see console.events.bus).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from console.auth.cache import CACHE
from console.auth.policy import Principal, authorize, permissions_of, visible_to
from console.cluster.caches import INVALIDATE
from console.deps import client_ip, get_services, resolve_principal
from console.events import Event
from console.services import Services

log = logging.getLogger(__name__)
router = APIRouter()

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_SLOW = 4008
RECHECK_S = 30.0
# Events after which a connection's principal is looked at again.
USER_EVENTS = frozenset({"user.updated", "user.credentials.revoked", "token.revoked"})
UNIT_EVENTS = frozenset({"unit.created", "unit.updated"})


def may_see(principal: Principal, event: Event) -> bool:
    """Whether an event's audience includes this user."""
    aud = event.audience
    if aud.permission and not authorize(principal, aud.permission).allowed:
        return False
    if aud.user_ids is not None and principal.user_id not in aud.user_ids:
        return False
    if aud.except_unit_ids is not None and visible_to(principal, aud.except_unit_ids):
        return False
    return visible_to(principal, aud.unit_ids)


def _scope_key(p: Principal) -> tuple[object, ...]:
    return (p.unit_id, p.unit_scope, p.roles, p.top_level)


def _changed_message(principal: Principal, event_id: int) -> dict[str, Any]:
    return {
        "type": "session.changed",
        "v": 1,
        "id": event_id,
        "ts": None,
        "data": {
            "user_id": principal.user_id,
            "unit_id": principal.unit_id,
            "roles": sorted(r.value for r in principal.roles),
            "permissions": permissions_of(r.value for r in principal.roles),
        },
    }


async def _fresh(
    services: Services, ws: WebSocket, principal: Principal, event: Event | None
) -> Principal | None:
    """The principal after `event` (None: signed out); itself when the event is not about it."""
    if event is not None and event.type in UNIT_EVENTS:
        return dataclasses.replace(
            principal,
            unit_scope=services.units.scope(principal.unit_id),
            top_level=services.units.is_top_level(principal.unit_id),
        )
    if event is not None and event.type in USER_EVENTS:
        about = event.data.get("user_id", event.data.get("id"))
        if about != principal.user_id:
            return principal
        # The change may come from another node, whose writes never touched this node's cache.
        CACHE.invalidate()
    return await resolve_principal(services, ws.headers, ws.cookies, client_ip(ws))


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
            event = getter.result() if done else None
            if not done:
                getter.cancel()
            elif event is None:
                services.metrics.ws_dropped.inc()
                log.info("dropping slow websocket client %s", principal.username)
                await ws.close(code=CLOSE_TOO_SLOW, reason="too slow; reconnect with ?since=")
                break
            if event is not None and event.type == INVALIDATE:
                # Later events may depend on the reloaded cache (a unit created on another node).
                await services.caches.settled(event.id)
                continue
            if event is None or event.type in USER_EVENTS | UNIT_EVENTS:
                # Roles, unit or sessions changed (or the periodic look): re-scope or close.
                fresh = await _fresh(services, ws, principal, event)
                if fresh is None:
                    await ws.close(code=CLOSE_UNAUTHENTICATED, reason="session ended")
                    break
                if not authorize(fresh, "events.subscribe").allowed:
                    await ws.close(code=CLOSE_FORBIDDEN, reason="no longer allowed")
                    break
                if _scope_key(fresh) != _scope_key(principal):
                    principal = fresh
                    await ws.send_json(_changed_message(principal, services.bus.last_id))
                if event is None:
                    recheck_at = loop.time() + RECHECK_S
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
