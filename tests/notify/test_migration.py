"""The notification migration on SQLite and PostgreSQL: up, a round trip, down, up again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection

from console.accounts import add_unit
from console.notify.models import NotifyChannel, NotifyDelivery, NotifyRule
from console.services import Services
from console.store.engine import _alembic_config, head_revision
from tests.conftest import make_settings

TABLES = {"notify_channels", "notify_rules", "notify_deliveries"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        return make_settings(tmp_path / "data")
    return make_settings(tmp_path / "data", database_url=request.getfixturevalue("pg_url"))


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def _downgrade(conn: Connection) -> None:
    cfg = _alembic_config()
    cfg.attributes["connection"] = conn
    command.downgrade(cfg, "0009_incidents")


async def test_migration_up_down_up(backend: Any) -> None:
    services = Services.build(backend)
    try:
        assert await services.store.upgrade() == head_revision()
        async with services.store.engine.connect() as conn:
            assert await conn.run_sync(_tables) >= TABLES
        async with services.store.session() as db, db.begin():
            unit = await add_unit(db, "u1", "单位")
            channel = NotifyChannel(
                name="群机器人",
                unit_id=unit.id,
                kind="wecom",
                config={"format": "markdown"},
                secrets_enc="",
                rate_per_minute=20,
            )
            db.add(channel)
            await db.flush()
            db.add(
                NotifyRule(channel_id=channel.id, name="r", kinds=["camera.*"], unit_ids=[unit.id])
            )
            db.add(
                NotifyDelivery(
                    channel_id=channel.id,
                    unit_id=unit.id,
                    kind="camera.fault",
                    severity="major",
                    title="告警",
                    status="sent",
                )
            )
        async with services.store.session() as db:
            rule = await db.scalar(select(NotifyRule))
            assert rule is not None and rule.kinds == ["camera.*"] and rule.exercise == "include"
            row = await db.scalar(select(NotifyDelivery))
            assert row is not None and row.created_at.tzinfo is not None
        async with services.store.engine.begin() as conn:
            await conn.run_sync(_downgrade)
        async with services.store.engine.connect() as conn:
            assert not TABLES & await conn.run_sync(_tables)
        assert await services.store.upgrade() == head_revision()
    finally:
        await services.store.close()
