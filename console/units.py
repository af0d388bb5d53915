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

    def is_top_level(self, unit_id: int) -> bool:
        """Whether the unit has no parent (a district)."""
        return unit_id in self._parent and self._parent[unit_id] is None

    def top_level(self) -> frozenset[int]:
        """Every unit without a parent."""
        return frozenset(u for u, p in self._parent.items() if p is None)

    def root_of(self, unit_id: int) -> int:
        """The top-level unit above (or equal to) `unit_id`."""
        seen: set[int] = set()
        while (parent := self._parent.get(unit_id)) is not None and unit_id not in seen:
            seen.add(unit_id)
            unit_id = parent
        return unit_id

    def district(self) -> int | None:
        """The first top-level unit: it owns district-wide data such as the GIS layers."""
        tops = self.top_level()
        return min(tops) if tops else None

    def would_cycle(self, unit_id: int, new_parent: int | None) -> bool:
        """Whether making `new_parent` the parent of `unit_id` creates a loop."""
        return new_parent is not None and new_parent in self.scope(unit_id)
