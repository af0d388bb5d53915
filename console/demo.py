"""The demo district: units, a user per role, and each module's demo data."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from console.accounts import add_unit, add_user
from console.modules import ConsoleModule
from console.services import Services
from console.store.models import ServerState, User

DEMO_PASSWORD = "demo-pass-2026"

DEMO_UNITS: list[tuple[str, str, str, str, str | None]] = [
    (
        "district",
        "示范区科技和信息化局",
        "District Science, Technology & Informatization Bureau",
        "district",
        None,
    ),
    ("psb", "示范区公安分局", "District Public Security Sub-bureau", "police", "district"),
    ("eqo", "示范区地震局", "District Earthquake Office", "earthquake_office", "district"),
    ("street-a", "东山街道办事处", "Dongshan Street Office", "street_office", "district"),
    ("street-b", "西湖街道办事处", "Xihu Street Office", "street_office", "district"),
]

DEMO_USERS: list[tuple[str, str, str, list[str]]] = [
    ("admin", "系统管理员", "district", ["admin"]),
    ("operator", "指挥中心值班员", "psb", ["operator"]),
    ("coordinator", "演练协调员", "eqo", ["coordinator"]),
    ("maintenance", "运维工程师", "district", ["maintenance"]),
    ("viewer", "街道观察员", "street-a", ["viewer"]),
    ("operator2", "西湖街道值班员", "street-b", ["operator"]),
]


async def seed_demo(
    services: Services,
    modules: list[ConsoleModule],
    step: Callable[[str], None] = lambda _: None,
) -> list[tuple[str, str, str, list[str]]]:
    """Create the demo district once (idempotent); return the demo logins."""
    async with services.store.session() as db, db.begin():
        seeded = await db.get(ServerState, "demo")
        if seeded is None:
            step("units")
            for code, name, name_en, kind, parent in DEMO_UNITS:
                await add_unit(db, code, name, name_en=name_en, kind=kind, parent=parent)
            step("users")
            for username, display, unit, roles in DEMO_USERS:
                await add_user(db, username, DEMO_PASSWORD, unit, roles, display_name=display)
            db.add(ServerState(key="demo", value="1"))
    async with services.store.session() as db:
        await services.units.load(db)
    for module in modules:
        step(module.name)
        await module.seed_demo(services)
    async with services.store.session() as db:
        names = set((await db.scalars(select(User.username))).all())
    return [u for u in DEMO_USERS if u[0] in names]
