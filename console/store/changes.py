"""Per-table change stamps of this process, for caches of bodies built from those tables.

Every INSERT, UPDATE or DELETE run through SQLAlchemy here gives its table a new stamp twice:
when the statement runs and when its connection goes back to the pool, that is after the
commit or rollback. A reader takes the stamp before it queries; a body built from a snapshot
older than a commit therefore carries a stamp older than the one given at check-in and is
never served again. Deletes and statements whose table cannot be told (raw SQL, REPLACE,
CTEs) stamp every table, since cascades and triggers reach further than the statement names.
Writes by other processes (the CLI, other nodes) are not seen: caches bound their age.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

ALL = "*"
_DIRTY = "eoc_dirty_tables"
# next() on itertools.count is atomic under the GIL: stamps are unique and increasing even
# when a worker thread's engine writes.
_counter = itertools.count(1)
_versions: dict[str, int] = {ALL: 0}

_FIRST = re.compile(r"\s*(\w+)")
_TABLE = re.compile(
    r"^\s*(?:INSERT\s+(?:OR\s+(?:ABORT|FAIL|IGNORE|ROLLBACK)\s+)?INTO|UPDATE(?:\s+OR\s+\w+)?)"
    r"\s+[\"`\[]?(\w+)[\"`\]]?(?:\.[\"`\[]?(\w+))?",
    re.IGNORECASE,
)
_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "WITH", "CREATE", "DROP", "ALTER"})


def tables_written(statement: str) -> frozenset[str] | None:
    """Tables a statement may change: empty for a read, ALL when it cannot be told."""
    first = _FIRST.match(statement)
    verb = first.group(1).upper() if first else ""
    if verb not in _WRITES:
        return (
            frozenset() if verb in {"SELECT", "PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE"} else None
        )
    if verb in {"INSERT", "UPDATE"} and "REPLACE" not in statement[:40].upper():
        m = _TABLE.match(statement)
        if m:  # schema.table names the table last
            return frozenset({(m.group(2) or m.group(1)).lower()})
    return frozenset({ALL})


def bump(tables: Iterable[str]) -> None:
    """Give each table (or every table, for ALL) a new stamp."""
    for t in tables:
        _versions[t] = next(_counter)


def stamp(tables: Iterable[str]) -> tuple[int, ...]:
    """The current stamps of `tables` (and of the every-table stamp); changes on any write."""
    return (_versions[ALL], *(_versions.get(t, 0) for t in tables))


@event.listens_for(Engine, "after_cursor_execute")
def _after_execute(
    conn: Any, _cursor: Any, statement: str, _params: Any, _ctx: Any, _many: bool
) -> None:
    written = tables_written(statement)
    if written is None:
        written = frozenset({ALL})
    if not written:
        return
    bump(written)
    dirty = conn.info.setdefault(_DIRTY, set())
    dirty.update(written)


@event.listens_for(Pool, "checkin")
def _checkin(_dbapi_conn: Any, record: Any) -> None:
    # After the commit or rollback: a reader that took its stamp before now is invalidated.
    if record is None:
        bump([ALL])
        return
    dirty = record.info.pop(_DIRTY, None)
    if dirty:
        bump(dirty)
