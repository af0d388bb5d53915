"""The store on SQLite and PostgreSQL: migrations, round trips, the append-only audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from console.accounts import add_unit, add_user
from console.audit import CLI_ACTOR, AuditLog
from console.services import Services
from console.store.engine import head_revision
from console.store.models import AuditEntry, User
from tests.conftest import make_settings


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_settings(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return make_settings(tmp_path / "data")
    url = request.getfixturevalue("pg_url")
    return make_settings(tmp_path / "data", database_url=url)


@pytest.mark.asyncio
async def test_migrate_roundtrip_and_append_only_audit(backend_settings) -> None:  # type: ignore[no-untyped-def]
    services = Services.build(backend_settings)
    try:
        assert await services.store.upgrade() == head_revision()
        # Applying again is a no-op.
        assert await services.store.upgrade() == head_revision()
        async with services.store.session() as db, db.begin():
            await add_unit(db, "district", "区", kind="district")
            await add_unit(db, "psb", "公安分局", kind="police", parent="district")
            await add_user(db, "alice", "long-enough-pw", "psb", ["operator", "viewer"])
        async with services.store.session() as db:
            alice = await db.scalar(select(User).where(User.username == "alice"))
            assert alice is not None and alice.roles == ["operator", "viewer"]
            assert alice.unit.code == "psb" and alice.created_at.tzinfo is not None
            rows = list(await db.scalars(select(AuditEntry).order_by(AuditEntry.id)))
            assert [r.action for r in rows] == ["unit.create", "unit.create", "user.create"]
        async with services.store.session() as db:
            for stmt in (update(AuditEntry).values(outcome="tampered"), delete(AuditEntry)):
                with pytest.raises(DBAPIError, match="append-only"):
                    await db.execute(stmt)
                await db.rollback()
        async with services.store.session() as db, db.begin():
            AuditLog.add(db, CLI_ACTOR, "extra", detail={"中文": "可以"})
        async with services.store.session() as db:
            last = await db.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
            assert last is not None and last.detail == {"中文": "可以"}
    finally:
        await services.store.close()


@pytest.mark.asyncio
async def test_sqlite_uses_wal(tmp_path: Path) -> None:
    services = Services.build(make_settings(tmp_path / "d"))
    try:
        await services.store.upgrade()
        async with services.store.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await services.store.close()
