"""A short-lived cache of who a bearer token or session cookie belongs to.

Looking the caller up costs a database session and two queries on every request, more than
most reads themselves. An entry lives a few seconds at most, and any change to users,
sessions, tokens or units made through this process (an ORM flush or a bulk UPDATE/DELETE
on those tables) empties the cache at once, so a revoked token, a password reset, a disabled
user or a new role takes effect on the next request. Changes made by another process (the
CLI) take effect within the time-to-live.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session

from console.auth.policy import Principal
from console.store.models import ApiToken, Unit, User
from console.store.models import Session as LoginSession

TTL_S = 5.0
MAX_ENTRIES = 10_000
_WATCHED = (User, LoginSession, ApiToken, Unit)
_WATCHED_TABLES = frozenset(m.__tablename__ for m in _WATCHED)


@dataclass(frozen=True, slots=True)
class _Entry:
    principal: Principal
    until: float
    epoch: int


class PrincipalCache:
    """Principals by the keyed hash of their credential."""

    def __init__(self, ttl_s: float = TTL_S) -> None:
        self.ttl_s = ttl_s
        self.epoch = 0
        self._entries: dict[str, _Entry] = {}

    def get(self, key: str, ip: str) -> Principal | None:
        """The cached principal for `key`, seen from `ip`, or None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.epoch != self.epoch or entry.until <= time.monotonic():
            self._entries.pop(key, None)
            return None
        p = entry.principal
        return p if p.ip == ip else replace(p, ip=ip)

    def put(self, key: str, principal: Principal, expires_in_s: float | None = None) -> None:
        """Remember a principal (never beyond its credential's own expiry)."""
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        ttl = self.ttl_s if expires_in_s is None else min(self.ttl_s, expires_in_s)
        if ttl > 0:
            self._entries[key] = _Entry(principal, time.monotonic() + ttl, self.epoch)

    def invalidate(self) -> None:
        """Forget everything (an account, session, token or unit changed)."""
        self.epoch += 1
        self._entries.clear()


CACHE = PrincipalCache()


# Touching a session or token's "last seen" is bookkeeping, not a change of rights.
_BOOKKEEPING = frozenset({"last_seen_at", "last_used_at"})


def _matters(session: Session, obj: object) -> bool:
    if not isinstance(obj, _WATCHED):
        return False
    if obj in session.dirty and isinstance(obj, LoginSession | ApiToken):
        changed = {a.key for a in cast(Any, inspect(obj)).attrs if a.history.has_changes()}
        return not changed <= _BOOKKEEPING
    return True


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _ctx: Any) -> None:
    if any(_matters(session, obj) for obj in (*session.new, *session.dirty, *session.deleted)):
        CACHE.invalidate()


@event.listens_for(Session, "do_orm_execute")
def _bulk(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in _WATCHED_TABLES or table is None:
        CACHE.invalidate()
