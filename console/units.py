"""The unit tree and each unit's scope (itself and the units below it)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console.store.models import Unit


class UnitTree:
    """A cached parent->children map; reloaded whenever a unit changes."""

    def __init__(self) -> None:
        self._children: dict[int | None, list[int]] = defaultdict(list)
        self._parent: dict[int, int | None] = {}

    async def load(self, db: AsyncSession) -> None:
        """(Re)load the tree from the database."""
        rows = (await db.execute(select(Unit.id, Unit.parent_id))).all()
        children: dict[int | None, list[int]] = defaultdict(list)
        parent: dict[int, int | None] = {}
        for uid, pid in rows:
            children[pid].append(uid)
            parent[uid] = pid
        self._children, self._parent = children, parent

    def scope(self, unit_id: int) -> frozenset[int]:
        """The unit and all its descendants."""
        out: set[int] = set()
        stack = [unit_id]
        while stack:
            uid = stack.pop()
            if uid in out:
                continue
            out.add(uid)
            stack.extend(self._children.get(uid, ()))
        return frozenset(out)

    def root_of(self, unit_id: int) -> int:
        """The top-level unit above `unit_id` (itself when it has no parent)."""
        seen = {unit_id}
        parent = self._parent.get(unit_id)
        while parent is not None and parent not in seen:
            seen.add(parent)
            unit_id = parent
            parent = self._parent.get(parent)
        return unit_id

    def would_cycle(self, unit_id: int, new_parent: int | None) -> bool:
        """Whether making `new_parent` the parent of `unit_id` creates a loop."""
        return new_parent is not None and new_parent in self.scope(unit_id)
