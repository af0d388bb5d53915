"""Encoded operations-view bodies kept until what they were built from changes.

Every console of the centre loads the same 3,000 community outlines, 5,000 shelters and
20,000 cameras; each body is rebuilt only when a cheap stamp of its source rows (row count,
version sum, last change) differs from the one it was built at. One cache per app.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable

from console.services import Services

SIZE = 64  # (view, zoom or unit scope) entries


class ViewCache:
    """A small LRU of (key) -> (stamp, body)."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._d: OrderedDict[Hashable, tuple[Hashable, str]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    async def get(self, key: Hashable, stamp: Hashable, build: Callable[[], Awaitable[str]]) -> str:
        """The body for key at stamp, built by `build()` when missing or stale."""
        held = self._d.get(key)
        if held is not None and held[0] == stamp:
            self._d.move_to_end(key)
            self.hits += 1
            return held[1]
        self.misses += 1
        body = await build()
        self._d[key] = (stamp, body)
        self._d.move_to_end(key)
        while len(self._d) > self.size:
            self._d.popitem(last=False)
        return body


def cache_of(services: Services) -> ViewCache:
    """This app's cache."""
    cache = services.extensions.get("ops.views")
    if not isinstance(cache, ViewCache):
        cache = ViewCache()
        services.extensions["ops.views"] = cache
    return cache
