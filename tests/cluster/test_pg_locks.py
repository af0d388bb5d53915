"""PostgreSQL advisory locks: migrations once, the node lock, leaderships that move."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from sqlalchemy import text

from console.cluster.locks import DatabaseGuard, Leadership
from console.errors import StartupError
from console.settings import Settings
from console.store.engine import Store, head_revision
from tests.conftest import make_settings

pytestmark = pytest.mark.postgres


def pg_settings(tmp_path: Path, url: str, name: str) -> Settings:
    """Settings of one node on the shared test database."""
    return make_settings(tmp_path / name, database_url=url)


async def test_nodes_starting_together_migrate_once(
    tmp_path: Path, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    stores = [Store(pg_settings(tmp_path, pg_url, f"n{i}")) for i in range(3)]
    caplog.set_level(logging.INFO, logger="console.store.engine")
    try:
        revisions = await asyncio.gather(*(s.upgrade() for s in stores))
        assert revisions == [head_revision()] * 3
        migrated = [r for r in caplog.records if "database migrated" in r.getMessage()]
        assert len(migrated) == 1, [r.getMessage() for r in migrated]
        async with stores[0].engine.connect() as conn:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert [r[0] for r in rows] == [head_revision()]
    finally:
        for s in stores:
            await s.close()


async def test_node_lock_keeps_one_embedded_node_per_database(tmp_path: Path, pg_url: str) -> None:
    store = Store(pg_settings(tmp_path, pg_url, "n"))
    try:
        single = DatabaseGuard(store.engine, clustered=False)
        await single.acquire()
        with pytest.raises(StartupError, match="another EOC console node"):
            await DatabaseGuard(store.engine, clustered=False).acquire()
        with pytest.raises(StartupError, match="single-node console"):
            await DatabaseGuard(store.engine, clustered=True).acquire()
        await single.release()
        cluster = [DatabaseGuard(store.engine, clustered=True) for _ in range(2)]
        for guard in cluster:
            await guard.acquire()  # clustered nodes share the database
        with pytest.raises(StartupError, match="another EOC console node"):
            await DatabaseGuard(store.engine, clustered=False).acquire()
        for guard in cluster:
            await guard.release()
    finally:
        await store.close()


async def test_leadership_runs_a_job_on_one_node_and_moves_when_it_stops(
    tmp_path: Path, pg_url: str
) -> None:
    stores = [Store(pg_settings(tmp_path, pg_url, f"n{i}")) for i in range(2)]
    running: dict[str, int] = {}

    def job(node: str) -> object:
        async def run() -> None:
            running[node] = running.get(node, 0) + 1
            try:
                await asyncio.Event().wait()
            finally:
                running[node] -= 1

        return run

    leaders = [Leadership(s.engine, enabled=True, interval_s=0.2) for s in stores]
    try:
        for i, lead in enumerate(leaders):
            await lead.start()
            lead.run("feeds", job(f"n{i}"))  # type: ignore[arg-type]
        await asyncio.sleep(1.0)
        assert sum(running.values()) == 1  # one node runs it, never two
        first = next(n for n, c in running.items() if c)
        other = leaders[1 - int(first[1:])]
        assert not other.leads("feeds")
        await leaders[int(first[1:])].stop()
        for _ in range(50):
            if running.get(f"n{1 - int(first[1:])}"):
                break
            await asyncio.sleep(0.1)
        assert running[first] == 0 and running[f"n{1 - int(first[1:])}"] == 1
        assert other.leads("feeds")
    finally:
        for lead in leaders:
            await lead.stop()
        for s in stores:
            await s.close()
