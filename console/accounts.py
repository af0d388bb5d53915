"""Creating units and users outside HTTP (CLI, demo) with the same rules and audit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console.audit import CLI_ACTOR, Actor, AuditLog
from console.auth.credentials import close_user_sessions, revoke_user_tokens
from console.auth.password_policy import PasswordPolicy
from console.auth.passwords import hash_password_async
from console.auth.policy import Role
from console.store.models import Unit, User


class AccountError(ValueError):
    """A CLI-level problem with a user or unit (message names what is wrong)."""


async def unit_by_code(db: AsyncSession, code: str) -> Unit:
    """The unit with this code, or AccountError listing the known codes."""
    unit = await db.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        codes = ", ".join((await db.scalars(select(Unit.code).order_by(Unit.code))).all())
        raise AccountError(f"no unit with code {code!r} (known: {codes or 'none yet'})")
    return unit


async def add_unit(
    db: AsyncSession,
    code: str,
    name: str,
    *,
    name_en: str = "",
    kind: str = "department",
    parent: str | None = None,
    actor: Actor = CLI_ACTOR,
) -> Unit:
    """Create a unit (parent by code); audited."""
    if await db.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise AccountError(f"unit code {code!r} is taken")
    parent_id = (await unit_by_code(db, parent)).id if parent else None
    unit = Unit(code=code, name=name, name_en=name_en, kind=kind, parent_id=parent_id)
    db.add(unit)
    await db.flush()
    AuditLog.add(
        db,
        actor,
        "unit.create",
        target_type="unit",
        target_id=unit.id,
        detail={"code": code, "name": name},
    )
    return unit


async def add_user(
    db: AsyncSession,
    username: str,
    password: str,
    unit_code: str,
    roles: list[str],
    *,
    display_name: str = "",
    policy: PasswordPolicy | None = None,
    actor: Actor = CLI_ACTOR,
) -> User:
    """Create a user; audited."""
    bad = [r for r in roles if r not in Role.__members__]
    if bad or not roles:
        raise AccountError(
            f"unknown role(s) {', '.join(bad) or '(none given)'}; choose from "
            + ", ".join(r.value for r in Role)
        )
    if await db.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"user name {username!r} is taken")
    unit = await unit_by_code(db, unit_code)
    await _check_password(policy, password, username)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=await hash_password_async(password),
        unit_id=unit.id,
        roles=sorted(set(roles)),
    )
    db.add(user)
    await db.flush()
    AuditLog.add(
        db,
        actor,
        "user.create",
        target_type="user",
        target_id=user.id,
        detail={"username": username, "unit": unit_code, "roles": user.roles},
    )
    return user


async def set_password(
    db: AsyncSession,
    username: str,
    password: str,
    *,
    policy: PasswordPolicy | None = None,
    actor: Actor = CLI_ACTOR,
) -> User:
    """Change a user's password, signing out their sessions and revoking their tokens; audited."""
    user = await db.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"no user named {username!r}")
    await _check_password(policy, password, username)
    user.password_hash = await hash_password_async(password)
    await close_user_sessions(db, user.id)
    await revoke_user_tokens(db, user.id)
    AuditLog.add(db, actor, "user.password", target_type="user", target_id=user.id)
    return user


async def _check_password(policy: PasswordPolicy | None, password: str, username: str) -> None:
    refusal = await (policy or PasswordPolicy()).check(password, username=username)
    if refusal is not None:
        raise AccountError(f"password {refusal.message}")
