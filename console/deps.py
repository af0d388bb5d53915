"""Typed FastAPI dependencies: services, database session, principal, permission checks."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from console.audit import Actor
from console.auth.cache import CACHE
from console.auth.credentials import (
    SESSION_COOKIE,
    TOKEN_PREFIX,
    find_session,
    find_token,
    keyed_hash,
)
from console.auth.policy import Principal, Resource, Role, authorize
from console.errors import ProblemError
from console.services import Services
from console.store.models import User, utcnow

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"


def get_services(conn: HTTPConnection) -> Services:
    """The app's services."""
    services: Services = conn.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_db(services: ServicesDep) -> AsyncIterator[AsyncSession]:
    """An ORM session for one request."""
    async with services.store.session() as db:
        yield db


DbDep = Annotated[AsyncSession, Depends(get_db)]


def client_ip(conn: HTTPConnection) -> str:
    """The caller's address as seen by the server."""
    return conn.client.host if conn.client else "unknown"


def _principal(user: User, services: Services, ip: str, **extra: Any) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        unit_id=user.unit_id,
        unit_scope=services.units.scope(user.unit_id),
        roles=frozenset(Role(r) for r in user.roles if r in Role.__members__),
        ip=ip,
        **extra,
    )


async def resolve_principal(
    services: Services, headers: Mapping[str, str], cookies: Mapping[str, str], ip: str
) -> Principal | None:
    """Authenticate a bearer token or a session cookie; None when neither is valid."""
    auth = headers.get("authorization", "")
    raw = auth.partition(" ")[2].strip() if auth else cookies.get(SESSION_COOKIE, "")
    key = ("t:" if auth else "s:") + keyed_hash(services.secret, raw) if raw else ""
    cached = CACHE.get(key, ip) if key else None
    if cached is not None:
        return cached
    async with services.store.session() as db:
        if auth:
            scheme = auth.partition(" ")[0]
            if scheme.lower() != "bearer" or not raw.startswith(TOKEN_PREFIX):
                return None
            found = await find_token(db, services.secret, raw)
            if found is None:
                return None
            principal = _principal(found[1], services, ip, via="token")
            CACHE.put(key, principal, _seconds_left(found[0].expires_at))
            return principal
        if not raw:
            return None
        sess = await find_session(db, services.secret, raw, services.settings.security)
        if sess is None:
            return None
        row, user = sess
        principal = _principal(user, services, ip, session_id=row.id, csrf_token=row.csrf_token)
        CACHE.put(key, principal, _seconds_left(row.expires_at))
        return principal


def _seconds_left(expires_at: datetime | None) -> float | None:
    return None if expires_at is None else (expires_at - utcnow()).total_seconds()


async def current_principal(request: Request, services: ServicesDep) -> Principal:
    """The authenticated caller (401 otherwise); checks CSRF for cookie sessions."""
    principal = await resolve_principal(
        services, request.headers, request.cookies, client_ip(request)
    )
    if principal is None:
        raise ProblemError(
            401,
            "sign in, or send a valid bearer token",
            code="unauthenticated",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if principal.via == "session" and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not principal.csrf_token or not hmac.compare_digest(sent, principal.csrf_token):
            await services.audit.record(
                Actor.of(principal),
                "csrf.rejected",
                outcome="denied",
                target_type="route",
                target_id=request.url.path,
            )
            raise ProblemError(403, "missing or wrong X-CSRF-Token header", code="csrf")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


async def deny(
    services: Services, principal: Principal, permission: str, target: str, reason: str
) -> ProblemError:
    """Audit a refusal and build the 403 to raise."""
    await services.audit.record(
        Actor.of(principal),
        permission,
        outcome="denied",
        target_type="route" if target.startswith("/") else target.partition(":")[0],
        target_id=target if target.startswith("/") else target.partition(":")[2],
        detail={"reason": reason},
    )
    return ProblemError(403, reason, code="forbidden")


def require(permission: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency that lets the call through only with `permission` (role check)."""

    async def dependency(
        request: Request, services: ServicesDep, principal: PrincipalDep
    ) -> Principal:
        decision = authorize(principal, permission)
        if not decision.allowed:
            raise await deny(services, principal, permission, request.url.path, decision.reason)
        return principal

    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


async def check(
    services: Services, principal: Principal, permission: str, resource: Resource
) -> None:
    """Authorize against a resource (role + unit); audit and raise 403 when denied."""
    decision = authorize(principal, permission, resource)
    if not decision.allowed:
        raise await deny(
            services, principal, permission, f"{resource.kind}:{resource.id}", decision.reason
        )
