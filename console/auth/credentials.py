"""Browser sessions and API bearer tokens: issue, look up, revoke."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from console.settings import SecuritySettings
from console.store.models import ApiToken, Session, User, utcnow

SESSION_COOKIE = "eoc_session"
DEVICE_COOKIE = "eoc_device"
TOKEN_PREFIX = "eoc_"


def keyed_hash(secret: bytes, raw: str) -> str:
    """HMAC-SHA256 of a bearer secret; only this is stored."""
    return hmac.new(secret, raw.encode(), hashlib.sha256).hexdigest()


async def open_session(
    db: AsyncSession, secret: bytes, user: User, sec: SecuritySettings, ip: str, agent: str
) -> tuple[str, Session]:
    """Create a session; return the raw cookie value and the row."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    row = Session(
        id=keyed_hash(secret, raw),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(24),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=sec.session_max_hours),
        ip=ip[:64],
        user_agent=agent[:300],
    )
    db.add(row)
    return raw, row


async def find_session(
    db: AsyncSession, secret: bytes, raw: str, sec: SecuritySettings
) -> tuple[Session, User] | None:
    """The live session and user for a cookie value, or None when invalid or expired."""
    row = await db.get(Session, keyed_hash(secret, raw))
    if row is None:
        return None
    now = utcnow()
    idle = timedelta(minutes=sec.session_idle_minutes)
    if row.expires_at <= now or row.last_seen_at + idle <= now:
        await db.delete(row)
        await db.commit()
        return None
    user = await db.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    # Touch at most once a minute so reads do not become writes.
    if now - row.last_seen_at > timedelta(seconds=60):
        row.last_seen_at = now
        await db.commit()
    return row, user


async def close_session(db: AsyncSession, secret: bytes, raw: str) -> None:
    """Delete a session (logout)."""
    await db.execute(delete(Session).where(Session.id == keyed_hash(secret, raw)))


async def close_user_sessions(db: AsyncSession, user_id: int, keep: str | None = None) -> None:
    """Delete every session of a user (disabled, password reset), except `keep` if given."""
    stmt = delete(Session).where(Session.user_id == user_id)
    if keep is not None:
        stmt = stmt.where(Session.id != keep)
    await db.execute(stmt)


async def revoke_user_tokens(db: AsyncSession, user_id: int) -> None:
    """Revoke every live API token of a user (password change or reset)."""
    await db.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def device_cookie(secret: bytes, username: str) -> str:
    """A cookie marking this browser as one that signed in to `username` (for throttling)."""
    nonce = secrets.token_urlsafe(12)
    return f"{nonce}.{_device_mac(secret, username, nonce)}"


def device_id(secret: bytes, cookie: str | None, username: str) -> str | None:
    """The browser's id when its device cookie is genuine and names this account."""
    nonce, _, mac = (cookie or "").partition(".")
    if not nonce or not mac:
        return None
    if not hmac.compare_digest(mac, _device_mac(secret, username, nonce)):
        return None
    return nonce


def _device_mac(secret: bytes, username: str, nonce: str) -> str:
    return keyed_hash(secret, f"device|{username.lower()}|{nonce}")[:32]


def new_token() -> str:
    """A fresh bearer token secret."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


async def find_token(
    db: AsyncSession, secret: bytes, raw: str, max_days: int
) -> tuple[ApiToken, User] | None:
    """The live token and user for a bearer secret, or None (a token without an expiry, from
    before tokens expired by default, lasts `max_days`)."""
    row = await db.scalar(select(ApiToken).where(ApiToken.token_hash == keyed_hash(secret, raw)))
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    expires = row.expires_at or row.created_at + timedelta(days=max_days)
    if expires <= now:
        return None
    user = row.user
    if user.disabled:
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(seconds=60):
        row.last_used_at = now
        await db.commit()
    return row, user


def expires_in(days: int) -> datetime:
    """An expiry `days` from now."""
    return utcnow() + timedelta(days=days)
