"""What keeps one node from stepping on another at start-up."""

from __future__ import annotations

import logging

from console.cluster.locks import DatabaseGuard
from console.settings import Settings
from console.store.engine import DataDirLock, Store

log = logging.getLogger(__name__)


class NodeGuard:
    """The data-dir lock (embedded SQLite) or the database node lock (PostgreSQL)."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self._dir: DataDirLock | None = None
        self._db: DatabaseGuard | None = None
        if settings.is_sqlite:
            self._dir = DataDirLock(settings.data_dir)
            if settings.cluster.bus == "nats":
                log.warning(
                    "cluster.bus = 'nats' with the embedded SQLite file: events go over NATS, "
                    "but no other node can share this data; run several nodes on PostgreSQL"
                )
        else:
            # The data dir holds only this node's media then; the database says who runs.
            self._db = DatabaseGuard(store.engine, clustered=settings.cluster.bus == "nats")

    async def acquire(self) -> None:
        """Take the lock or raise StartupError naming the holder."""
        if self._dir is not None:
            self._dir.acquire()
        if self._db is not None:
            await self._db.acquire()

    async def release(self) -> None:
        """Release whatever was taken."""
        if self._dir is not None:
            self._dir.release()
        if self._db is not None:
            await self._db.release()
