"""PostgreSQL advisory locks: migrations once, one embedded node per database, leaderships.

Each lock is a 64-bit key derived from a name. Session locks live on a connection this module
holds open, so a node that dies (or loses the database) lets them go by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from console.errors import StartupError

log = logging.getLogger(__name__)
Job = Callable[[], Awaitable[None]]


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for `name`."""
    digest = hashlib.blake2b(f"eoc-console:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


MIGRATIONS_KEY = lock_key("migrations")
NODES_KEY = lock_key("nodes")


async def drop_connection(conn: AsyncConnection) -> None:
    """Close a lock-holding connection for good: a pooled one would keep its session locks."""
    with contextlib.suppress(Exception):
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()


class DatabaseGuard:
    """Holds the node lock: exclusive for a single node (bus = memory), shared for a cluster.

    A second embedded node on one database would miss the first one's events and caches, so it
    is refused at start, as the data-dir lock refuses a second server on one SQLite file.
    """

    def __init__(self, engine: AsyncEngine, clustered: bool) -> None:
        self.engine, self.clustered = engine, clustered
        self._conn: AsyncConnection | None = None

    async def acquire(self) -> None:
        """Take the node lock or raise StartupError saying who holds it."""
        conn = await self.engine.connect()
        fn = "pg_try_advisory_lock_shared" if self.clustered else "pg_try_advisory_lock"
        got = (await conn.exec_driver_sql(f"SELECT {fn}({NODES_KEY})")).scalar()
        await conn.commit()
        if not got:
            await conn.close()
            if self.clustered:
                raise StartupError(
                    "a single-node console ([cluster] bus = 'memory') is running on this "
                    "database; stop it, or set bus = 'nats' on it too"
                )
            raise StartupError(
                "another EOC console node is running on this database; to run several nodes "
                "set [cluster] bus = 'nats' (and EOC_SECRET_KEY) on every node"
            )
        self._conn = conn

    async def release(self) -> None:
        """Let the lock go (closing its connection)."""
        if self._conn is not None:
            await drop_connection(self._conn)
            self._conn = None


class Leadership:
    """Named leaderships: each name is held by one node at a time, taken over when it dies.

    Embedded (SQLite): this node leads everything. On PostgreSQL a dedicated connection holds
    `pg_try_advisory_lock(name)`; if that connection fails, every leadership and its jobs stop
    until the lock is taken again.
    """

    def __init__(self, engine: AsyncEngine, enabled: bool, interval_s: float = 5.0) -> None:
        self.engine, self.enabled, self.interval_s = engine, enabled, interval_s
        self._wanted: dict[str, Job | None] = {}
        self._held: set[str] = set()
        self._jobs: dict[str, asyncio.Task[None]] = {}
        self._conn: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    def leads(self, name: str) -> bool:
        """Whether this node holds the leadership `name` right now."""
        if not self.enabled:
            return True
        self._want(name, None)
        return name in self._held

    async def claim(self, name: str) -> bool:
        """Try to take `name` now (rather than at the next round); whether this node leads it."""
        self._want(name, self._wanted.get(name))
        if self.enabled and name not in self._held:
            await self._round()
        return self.leads(name)

    def run(self, name: str, job: Job) -> None:
        """Run `job` while this node leads `name` (cancelled when it stops leading)."""
        self._want(name, job)
        if not self.enabled:
            self._start_job(name, job)

    def _want(self, name: str, job: Job | None) -> None:
        if name not in self._wanted or job is not None:
            self._wanted[name] = job
            self._changed.set()

    def _start_job(self, name: str, job: Job) -> None:
        if name not in self._jobs or self._jobs[name].done():
            self._jobs[name] = asyncio.create_task(self._guarded(name, job), name=f"lead-{name}")

    async def _guarded(self, name: str, job: Job) -> None:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job %s failed", name)

    async def start(self) -> None:
        """Begin taking leaderships (a no-op when embedded)."""
        if self.enabled:
            await self._round()
            self._task = asyncio.create_task(self._loop(), name="leadership")

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), self.interval_s)
            self._changed.clear()
            await self._round()

    async def _round(self) -> None:
        try:
            if self._conn is None:
                self._conn = await self.engine.connect()
            conn = self._conn
            await conn.exec_driver_sql("SELECT 1")
            for name, job in list(self._wanted.items()):
                if name not in self._held:
                    row = await conn.exec_driver_sql(
                        f"SELECT pg_try_advisory_lock({lock_key(name)})"
                    )
                    if row.scalar():
                        self._held.add(name)
                        log.info("this node now leads %s", name)
                if name in self._held and job is not None:
                    self._start_job(name, job)
            await conn.commit()
        except Exception as exc:
            log.warning("lost the leadership connection (%s); stopping led jobs", exc)
            await self._lose_all()

    async def _lose_all(self) -> None:
        self._held.clear()
        await self._cancel_jobs()
        if self._conn is not None:
            await drop_connection(self._conn)
            self._conn = None

    async def _cancel_jobs(self) -> None:
        jobs = list(self._jobs.values())
        self._jobs.clear()
        for task in jobs:
            task.cancel()
        for task in jobs:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def stop(self) -> None:
        """Stop led jobs and give every leadership up."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._lose_all()

    def status(self) -> dict[str, Any]:
        """Leaderships held by this node (for the meta endpoint)."""
        return {"held": sorted(self._held) if self.enabled else sorted(self._wanted)}
