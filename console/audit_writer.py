"""One writer task that stores queued audit rows on its own database connection.

Refusals, failed logins and live views are audited while their request may still hold a
pooled connection. Writing those rows through a second pooled connection let a burst of
such requests exhaust the pool and stall every user; here a request only appends to a
queue, and one task commits the queue in batches on a connection reserved for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from console.store.models import AuditEntry

log = logging.getLogger(__name__)

Announce = Callable[[Sequence[AuditEntry]], Awaitable[None]]


class AuditWriter:
    """A bounded in-memory queue of rows drained by one task; nothing is dropped."""

    def __init__(
        self,
        engine: AsyncEngine,
        announce: Announce,
        *,
        max_pending: int = 20_000,
        batch: int = 500,
        room_wait_s: float = 2.0,
    ) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._announce = announce
        self.max_pending = max_pending
        self.batch = batch
        self.room_wait_s = room_wait_s
        self._pending: list[AuditEntry] = []
        self._queued = 0  # rows ever queued
        self._stored = 0  # rows ever committed (the queue is FIFO)
        self._wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.failures = 0

    @property
    def running(self) -> bool:
        """Whether the writer task is alive and accepting rows."""
        return self._task is not None and not self._task.done() and not self._closing

    @property
    def pending(self) -> int:
        """Rows queued but not yet committed."""
        return self._queued - self._stored

    def start(self) -> None:
        """Start the writer task (inside the running loop)."""
        self._task = asyncio.create_task(self._run(), name="audit-writer")

    async def put(self, entry: AuditEntry) -> None:
        """Queue a row; waits briefly (never indefinitely) only when the queue is full."""
        if self.pending >= self.max_pending:
            # Back-pressure slows a flood without a deadlock: after the wait the row is
            # queued regardless, since an audit row must not be dropped.
            async with self._progress:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._progress.wait_for(lambda: self.pending < self.max_pending),
                        self.room_wait_s,
                    )
        self._pending.append(entry)
        self._queued += 1
        self._wake.set()

    async def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every row queued before this call is committed; False on timeout."""
        target = self._queued
        if self._stored >= target:
            return True
        self._wake.set()
        async with self._progress:
            try:
                await asyncio.wait_for(
                    self._progress.wait_for(lambda: self._stored >= target), timeout_s
                )
            except TimeoutError:
                return False
        return True

    async def _write(self, rows: list[AuditEntry]) -> None:
        async with self._sessions() as db, db.begin():
            db.add_all(rows)

    async def _run(self) -> None:
        delay = 0.2
        while True:
            if not self._pending:
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            rows = self._pending[: self.batch]
            try:
                await self._write(rows)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Keep the rows and try again: the database may be locked or restarting.
                self.failures += 1
                log.exception("audit rows not stored yet (%d queued); retrying", self.pending)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.2
            del self._pending[: len(rows)]
            self._stored += len(rows)
            async with self._progress:
                self._progress.notify_all()
            try:
                await self._announce(rows)
            except Exception:
                log.exception("audit rows stored but not announced")

    async def close(self, timeout_s: float = 15.0) -> None:
        """Store what is queued (shutdown), then stop; rows that cannot be stored are logged."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout_s)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            except Exception:
                log.exception("audit writer failed")
        for row in self._pending:
            # Last resort, so the fact survives in the server log.
            log.error("audit row not stored: %s", json.dumps(_row_dict(row), default=str))
        self._pending.clear()
        await self.engine.dispose()


def _row_dict(row: AuditEntry) -> dict[str, Any]:
    return {
        "ts": row.ts,
        "actor_id": row.actor_id,
        "actor": row.actor,
        "unit_id": row.unit_id,
        "ip": row.ip,
        "action": row.action,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "outcome": row.outcome,
        "detail": row.detail,
    }
