"""Encoded response bodies kept until what they were built from changes, with ETags.

One small LRU per app of key -> (stamp, body, etag). The key names the view and everything
about the caller the body depends on (unit scope, user); the stamp is whatever changes when
the body's sources change (row stamps read from the database, `console.store.changes` table
stamps, a computed state's identity). A body is served again only under the same stamp and
within `max_age_s` (the bound for writes this process cannot see).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel

from console.services import Services

SIZE = 256  # (view, scope, query) entries
EXTENSION = "ops.views"  # the name the operations view introduced; one cache per app
MAX_AGE_S = 5.0  # same bound as the principal cache for writes made by other processes


@dataclass(frozen=True, slots=True)
class Held:
    """One cached body."""

    stamp: Hashable
    body: str
    etag: str
    until: float


def etag_of(body: str) -> str:
    """A strong validator of a body."""
    return '"' + hashlib.blake2b(body.encode(), digest_size=12).hexdigest() + '"'


class ViewCache:
    """A small LRU of (key) -> (stamp, body, etag)."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._d: OrderedDict[Hashable, Held] = OrderedDict()
        self._flights: dict[tuple[Hashable, Hashable], asyncio.Future[Held]] = {}
        self.hits = 0
        self.misses = 0

    async def held(
        self,
        key: Hashable,
        stamp: Hashable,
        build: Callable[[], Awaitable[str]],
        max_age_s: float | None = None,
    ) -> Held:
        """The entry for key at stamp, built by `build()` when missing, stale or too old."""
        now = time.monotonic()
        held = self._d.get(key)
        if held is not None and held.stamp == stamp and held.until > now:
            self._d.move_to_end(key)
            self.hits += 1
            return held
        # One build per (key, stamp) at a time: under many clients a change used to start a
        # build in every request that arrived before the first one finished.
        while (flight := self._flights.get((key, stamp))) is not None:
            await asyncio.wait([flight])  # our own cancellation still propagates
            if not flight.cancelled():
                self.hits += 1
                return flight.result()
            # The building request failed or went away: the first to wake builds instead.
        self.misses += 1
        mine: asyncio.Future[Held] = asyncio.get_running_loop().create_future()
        self._flights[(key, stamp)] = mine
        try:
            body = await build()
        except BaseException:
            mine.cancel()
            raise
        finally:
            if self._flights.get((key, stamp)) is mine:
                del self._flights[(key, stamp)]
        until = now + max_age_s if max_age_s is not None else float("inf")
        held = Held(stamp, body, etag_of(body), until)
        mine.set_result(held)
        self._d[key] = held
        self._d.move_to_end(key)
        while len(self._d) > self.size:
            self._d.popitem(last=False)
        return held

    async def get(self, key: Hashable, stamp: Hashable, build: Callable[[], Awaitable[str]]) -> str:
        """The body for key at stamp, built by `build()` when missing or stale."""
        return (await self.held(key, stamp, build)).body

    def clear(self) -> None:
        """Forget every body."""
        self._d.clear()


def cache_of(services: Services) -> ViewCache:
    """This app's cache."""
    cache = services.extensions.get(EXTENSION)
    if not isinstance(cache, ViewCache):
        cache = ViewCache()
        services.extensions[EXTENSION] = cache
    return cache


def encode(value: Any) -> str:
    """JSON as FastAPI would send it (pydantic models, datetimes), compact."""
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    try:  # plain JSON types (most views) skip the slow generic encoder
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except TypeError:
        return json.dumps(
            jsonable_encoder(value), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        )


def respond(request: Request, held: Held) -> Response:
    """The body, or 304 when the caller already has it (If-None-Match)."""
    headers = {"ETag": held.etag, "Cache-Control": "private, no-cache"}
    inm = request.headers.get("if-none-match")
    if inm is not None and held.etag in {t.strip().removeprefix("W/") for t in inm.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(held.body, media_type="application/json", headers=headers)


async def cached_json(
    request: Request,
    services: Services,
    key: Hashable,
    stamp: Hashable,
    build: Callable[[], Awaitable[Any]],
    max_age_s: float | None = MAX_AGE_S,
) -> Response:
    """A JSON view served from this app's cache; `build()` returns the value to encode."""

    async def body() -> str:
        return encode(await build())

    held = await cache_of(services).held(key, stamp, body, max_age_s)
    return respond(request, held)
