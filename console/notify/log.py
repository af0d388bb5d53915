"""The delivery log: one row per message and channel, published live to the unit's admins."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update

from console.events import Audience, EventBus
from console.notify.models import NotifyDelivery
from console.notify.render import Message
from console.store.engine import Store
from console.store.models import utcnow

STATUSES = ("pending", "sent", "retrying", "failed", "suppressed")
OPEN_STATUSES = ("pending", "retrying")


def delivery_dict(row: NotifyDelivery) -> dict[str, Any]:
    """API and event form of a log row."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": row.id,
        "channel_id": row.channel_id,
        "unit_id": row.unit_id,
        "created_at": row.created_at.isoformat(),
        "updated_at": iso(row.updated_at),
        "kind": row.kind,
        "severity": row.severity,
        "title": row.title,
        "is_exercise": row.is_exercise,
        "is_test": row.is_test,
        "status": row.status,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "response_code": row.response_code,
        "digest_count": row.digest_count,
        "digest_id": row.digest_id,
        "sent_at": iso(row.sent_at),
    }


class DeliveryLog:
    """Writes log rows in their own short transactions and announces changes."""

    def __init__(self, store: Store, bus: EventBus) -> None:
        self.store = store
        self.bus = bus

    async def _announce(self, row: NotifyDelivery) -> None:
        await self.bus.publish(
            "notify.delivery",
            delivery_dict(row),
            audience=Audience("notify.manage", frozenset({row.unit_id})),
        )

    async def open(
        self,
        channel_id: int,
        unit_id: int,
        m: Message,
        *,
        status: str = "pending",
        is_test: bool = False,
        created_at: datetime | None = None,
        digest_count: int | None = None,
    ) -> NotifyDelivery:
        """Add a row for a message about to be sent."""
        now = utcnow()
        row = NotifyDelivery(
            channel_id=channel_id,
            unit_id=unit_id,
            created_at=created_at or now,
            updated_at=now,
            kind=m.kind[:64],
            severity=m.severity,
            title=m.title[:300],
            is_exercise=m.is_exercise,
            is_test=is_test,
            status=status,
            attempts=0,
            last_error="",
            digest_count=digest_count,
        )
        async with self.store.session() as db, db.begin():
            db.add(row)
        await self._announce(row)
        return row

    async def update(self, row: NotifyDelivery, **values: Any) -> None:
        """Change a row (status, attempts, error ...) and announce it."""
        values["updated_at"] = utcnow()
        if "last_error" in values:
            values["last_error"] = str(values["last_error"])[:500]
        for key, value in values.items():
            setattr(row, key, value)
        async with self.store.session() as db, db.begin():
            await db.execute(
                update(NotifyDelivery).where(NotifyDelivery.id == row.id).values(values)
            )
        await self._announce(row)

    async def suppressed(
        self,
        channel_id: int,
        unit_id: int,
        items: list[tuple[Message, datetime]],
        digest_id: int | None,
        reason: str,
    ) -> None:
        """Log messages folded into a digest (or dropped) in one transaction."""
        if not items:
            return
        now = utcnow()
        async with self.store.session() as db, db.begin():
            db.add_all(
                NotifyDelivery(
                    channel_id=channel_id,
                    unit_id=unit_id,
                    created_at=at,
                    updated_at=now,
                    kind=m.kind[:64],
                    severity=m.severity,
                    title=m.title[:300],
                    is_exercise=m.is_exercise,
                    is_test=False,
                    status="suppressed",
                    attempts=0,
                    last_error=reason[:500],
                    digest_id=digest_id,
                )
                for m, at in items
            )

    async def abandon_open(self, reason: str) -> int:
        """Mark rows left pending or retrying by a stopped server as failed."""
        async with self.store.session() as db, db.begin():
            result = await db.execute(
                update(NotifyDelivery)
                .where(NotifyDelivery.status.in_(OPEN_STATUSES))
                .values(status="failed", last_error=reason, updated_at=utcnow())
            )
        return int(getattr(result, "rowcount", 0) or 0)

    async def prune(self, days: int) -> int:
        """Delete rows older than `days`."""
        cutoff = utcnow() - timedelta(days=days)
        async with self.store.session() as db, db.begin():
            result = await db.execute(
                delete(NotifyDelivery).where(NotifyDelivery.created_at < cutoff)
            )
        return int(getattr(result, "rowcount", 0) or 0)
