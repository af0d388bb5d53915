"""Engine set-up, start-up checks and migrations for SQLite (WAL) and PostgreSQL."""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from console.cluster.locks import MIGRATIONS_KEY
from console.errors import StartupError
from console.settings import Settings
from console.store import changes  # noqa: F401  (registers the change stamps)

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_POOL = 16


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str | None:
    """The newest migration revision shipped with this code."""
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def prepare_data_dir(data_dir: Path) -> None:
    """Create the data dir and check it is a writable folder, with a clear error if not."""
    if data_dir.exists() and not data_dir.is_dir():
        raise StartupError(f"data dir {data_dir} exists but is not a folder")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / ".write-test"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise StartupError(
            f"data dir {data_dir} is not writable ({exc.strerror or exc}); "
            "choose another --data-dir or fix its permissions"
        ) from exc


class DataDirLock:
    """An advisory lock so two servers never share one data dir (the embedded SQLite mode)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "eoc.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise StartupError naming the holder."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StartupError(
                f"data dir {self.path.parent} is in use by another EOC server (pid {holder}); "
                "stop it or use another --data-dir"
            ) from exc
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        """Release the lock."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: an acknowledged write survives kill -9 and power loss, at a small cost per commit.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def create_engine(settings: Settings, *, connections: int | None = None) -> AsyncEngine:
    """Create the async engine for the configured database (`connections`: a fixed pool)."""
    url = settings.effective_database_url
    kwargs: dict[str, Any] = {"pool_pre_ping": not url.startswith("sqlite")}
    if connections is not None:
        kwargs.update(pool_size=connections, max_overflow=0)
    elif url.startswith("sqlite"):
        # A fixed pool: under many clients the default overflow opened and closed a connection
        # (a thread and four PRAGMAs) per request; waiting for a kept one is cheaper, and more
        # connections than this do not read faster through one GIL.
        kwargs.update(pool_size=SQLITE_POOL, max_overflow=0)
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 5}
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _upgrade(connection: Connection) -> None:
    cfg = _alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def explain_db_error(exc: BaseException, settings: Settings) -> str:
    """Turn a driver error at start-up into a sentence a person can act on."""
    text = str(getattr(exc, "orig", exc) or exc)
    where = (
        f"database file {settings.data_dir / 'eoc.db'}"
        if settings.is_sqlite
        else "the configured database"
    )
    lowered = text.lower()
    if "locked" in lowered:
        return f"{where} is locked by another process; close it and start again"
    if "not a database" in lowered or "malformed" in lowered:
        return f"{where} is corrupt or not an EOC database ({text}); restore it from a backup"
    if "readonly" in lowered or "read-only" in lowered:
        return f"{where} is read-only; fix its permissions"
    return f"cannot open {where}: {text}"


class Store:
    """The database: engine, session factory, migrations."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = create_engine(settings)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> AsyncSession:
        """A new ORM session (use as an async context manager)."""
        return self.sessions()

    def dedicated_engine(self) -> AsyncEngine:
        """An engine with one connection of its own, outside the request pool."""
        return create_engine(self.settings, connections=1)

    async def upgrade(self) -> str | None:
        """Apply pending migrations; return the revision now in force.

        On PostgreSQL the migration runs under a transaction-level advisory lock: nodes
        starting together queue on it, the first migrates, the others find the head in force.
        """
        try:
            async with self.engine.begin() as conn:
                if not self.settings.is_sqlite:
                    await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATIONS_KEY})")
                before = await conn.run_sync(_current)
                await conn.run_sync(_upgrade)
                after = await conn.run_sync(_current)
            if self.settings.is_sqlite:
                # Fail now, not on the first write, when another process holds the write lock.
                async with self.engine.connect() as probe:
                    await probe.exec_driver_sql("BEGIN IMMEDIATE")
                    await probe.exec_driver_sql("ROLLBACK")
        except (OperationalError, DBAPIError, OSError) as exc:
            raise StartupError(explain_db_error(exc, self.settings)) from exc
        if before != after:
            log.info("database migrated from %s to %s", before or "empty", after)
        return after

    async def close(self) -> None:
        """Dispose of the engine and its pool."""
        await self.engine.dispose()
