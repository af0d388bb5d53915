"""The append-only audit log: who, when, from where, action, target, outcome."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from console.audit_writer import AuditWriter
from console.auth.policy import Principal
from console.events import Audience, EventBus
from console.store.engine import Store
from console.store.models import AuditEntry, utcnow
from console.units import UnitTree

ADMIN_AUDIENCE = Audience(permission="audit.read")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something when there may be no principal (failed logins, CLI)."""

    id: int | None
    name: str
    unit_id: int | None
    ip: str

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        """The actor behind an authenticated principal."""
        return cls(principal.user_id, principal.username, principal.unit_id, principal.ip)


CLI_ACTOR = Actor(None, "cli", None, "local")


def entry_dict(entry: AuditEntry) -> dict[str, Any]:
    """The API/CSV form of an audit row."""
    return {
        "id": entry.id,
        "ts": entry.ts.isoformat(),
        "actor_id": entry.actor_id,
        "actor": entry.actor,
        "unit_id": entry.unit_id,
        "ip": entry.ip,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "outcome": entry.outcome,
        "detail": entry.detail,
    }


class AuditLog:
    """Writes audit rows: inside a caller's transaction, or queued for the audit writer."""

    def __init__(self, store: Store, bus: EventBus, units: UnitTree | None = None) -> None:
        self.store = store
        self.bus = bus
        self.units = units
        self.writer: AuditWriter | None = None

    @staticmethod
    def add(
        db: AsyncSession,
        actor: Actor,
        action: str,
        *,
        outcome: str = "success",
        target_type: str = "",
        target_id: str | int = "",
        detail: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Add a row to the caller's transaction so it commits (or not) with the change."""
        entry = _entry(actor, action, outcome, target_type, target_id, detail)
        db.add(entry)
        return entry

    async def announce(self, *entries: AuditEntry) -> None:
        """Publish committed rows to admins' consoles."""
        for entry in entries:
            await self.bus.publish(
                "audit.appended", entry_dict(entry), audience=self.audience(entry.unit_id)
            )

    def audience(self, unit_id: int | None) -> Audience:
        """Admins whose units include the acting user's unit; unit-less rows go to the top."""
        if self.units is None:
            return ADMIN_AUDIENCE
        if unit_id is None:
            return Audience("audit.read", self.units.top_level())
        return Audience("audit.read", frozenset({unit_id}))

    async def _announce_batch(self, entries: Sequence[AuditEntry]) -> None:
        await self.announce(*entries)

    def start(self) -> None:
        """Start the writer that stores recorded rows on its own connection."""
        self.writer = AuditWriter(self.store.dedicated_engine(), self._announce_batch)
        self.writer.start()

    async def close(self) -> None:
        """Store every queued row, then stop the writer (shutdown)."""
        if self.writer is not None:
            await self.writer.close()
            self.writer = None

    async def flush(self) -> None:
        """Wait until rows recorded so far are stored (before reading the log)."""
        if self.writer is not None:
            await self.writer.flush()

    async def record(
        self,
        actor: Actor,
        action: str,
        *,
        outcome: str = "success",
        target_type: str = "",
        target_id: str | int = "",
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Record a row outside any request transaction (denials, logins, live views).

        With the writer running this never waits for a database connection, so a burst of
        refusals cannot exhaust the pool; without it (CLI, tests of parts) it writes at once.
        """
        entry = _entry(actor, action, outcome, target_type, target_id, detail)
        if self.writer is not None and self.writer.running:
            await self.writer.put(entry)
            return
        async with self.store.session() as db, db.begin():
            db.add(entry)
        await self.announce(entry)


def _entry(
    actor: Actor,
    action: str,
    outcome: str,
    target_type: str,
    target_id: str | int,
    detail: dict[str, Any] | None,
) -> AuditEntry:
    return AuditEntry(
        ts=utcnow(),
        actor_id=actor.id,
        actor=actor.name[:64],
        unit_id=actor.unit_id,
        ip=actor.ip[:64],
        action=action,
        target_type=target_type,
        target_id=str(target_id)[:64],
        outcome=outcome,
        detail=detail or {},
    )


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters for reading the audit log."""

    actor: str | None = None
    action: str | None = None
    outcome: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None

    def select(self) -> Select[AuditEntry]:
        """The SELECT for these filters, newest first."""
        stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
        if self.actor:
            stmt = stmt.where(AuditEntry.actor == self.actor)
        if self.action:
            # A trailing dot selects a family, e.g. "user." for every user change.
            if self.action.endswith("."):
                stmt = stmt.where(AuditEntry.action.startswith(self.action))
            else:
                stmt = stmt.where(AuditEntry.action == self.action)
        if self.outcome:
            stmt = stmt.where(AuditEntry.outcome == self.outcome)
        if self.target_type:
            stmt = stmt.where(AuditEntry.target_type == self.target_type)
        if self.target_id:
            stmt = stmt.where(AuditEntry.target_id == self.target_id)
        if self.since:
            stmt = stmt.where(AuditEntry.ts >= self.since)
        if self.until:
            stmt = stmt.where(AuditEntry.ts < self.until)
        if self.before_id:
            stmt = stmt.where(AuditEntry.id < self.before_id)
        return stmt


async def query_audit(db: AsyncSession, q: AuditQuery, limit: int) -> Sequence[AuditEntry]:
    """Rows matching `q`, newest first."""
    return (await db.scalars(q.select().limit(limit))).all()
