"""Typed FastAPI dependencies: services, database session, principal, permission checks."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
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
from console.auth.policy import Decision, Principal, Resource, Role, authorize
from console.errors import ProblemError
from console.services import Services
from console.store.models import User, utcnow

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"


def get_services(conn: HTTPConnection) -> Services:
    """The app's services."""
    services: Services = conn.app.state.services
    return services


async def _services(conn: HTTPConnection) -> Services:
    # An async dependency: FastAPI runs a plain `def` one in a worker thread, a thread hop
    # on every request for an attribute lookup.
    return get_services(conn)


ServicesDep = Annotated[Services, Depends(_services)]


async def get_db(services: ServicesDep) -> AsyncIterator[AsyncSession]:
    """An ORM session for one request."""
    async with services.store.session() as db:
        yield db


DbDep = Annotated[AsyncSession, Depends(get_db)]


def _trusted(
    address: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_ip(conn: HTTPConnection) -> str:
    """The caller's address: the peer, or X-Forwarded-For when the peer is a trusted proxy.

    The header is read right to left, skipping trusted proxies, so a client cannot pick its
    own address by sending the header itself.
    """
    peer = conn.client.host if conn.client else "unknown"
    services: Services = conn.app.state.services
    networks = services.settings.security.trusted_proxy_networks
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in ",".join(conn.headers.getlist("x-forwarded-for")).split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a malformed hop: trust nothing the proxy chain said
    return peer


def principal_of(user: User, services: Services, ip: str, **extra: Any) -> Principal:
    """The principal for a user row as it is now (roles, unit and unit scope)."""
    return Principal(
        user_id=user.id,
        username=user.username,
        unit_id=user.unit_id,
        unit_scope=services.units.scope(user.unit_id),
        roles=frozenset(Role(r) for r in user.roles if r in Role.__members__),
        ip=ip,
        top_level=services.units.is_top_level(user.unit_id),
        **extra,
    )


async def resolve_principal(
    services: Services, headers: Mapping[str, str], cookies: Mapping[str, str], ip: str
) -> Principal | None:
    """Authenticate a bearer token or a session cookie; None when neither is valid."""
    auth = headers.get("authorization", "")
    raw = auth.partition(" ")[2].strip() if auth else cookies.get(SESSION_COOKIE, "")
    key = ("t:" if auth else "s:") + keyed_hash(services.secret, raw) if raw else ""
    # Several nodes: another node's logout, revocation or role change never reaches this
    # process's cache, so every request asks the database (the one source of truth).
    use_cache = bool(key) and not services.clustered
    cached = CACHE.get(key, ip) if use_cache else None
    if cached is not None:
        return cached
    async with services.store.session() as db:
        if auth:
            scheme = auth.partition(" ")[0]
            if scheme.lower() != "bearer" or not raw.startswith(TOKEN_PREFIX):
                return None
            found = await find_token(
                db, services.secret, raw, services.settings.security.token_max_days
            )
            if found is None:
                return None
            principal = principal_of(found[1], services, ip, via="token")
            if use_cache:
                CACHE.put(key, principal, _seconds_left(found[0].expires_at))
            return principal
        if not raw:
            return None
        sess = await find_session(db, services.secret, raw, services.settings.security)
        if sess is None:
            return None
        row, user = sess
        principal = principal_of(user, services, ip, session_id=row.id, csrf_token=row.csrf_token)
        if use_cache:
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


def not_found(label: str, obj_id: str | int) -> ProblemError:
    """The one 404 for an object that does not exist or that the caller may not see."""
    return ProblemError(404, f"{label} {obj_id} not found", code="not-found")


async def absent(
    services: Services,
    principal: Principal,
    permission: str,
    kind: str,
    obj_id: str | int,
    label: str | None = None,
) -> ProblemError:
    """Audit a request for a missing or hidden object (alike, so the log is no oracle either)."""
    await services.audit.record(
        Actor.of(principal),
        permission,
        outcome="denied",
        target_type=kind,
        target_id=obj_id,
        detail={"reason": "not found or not visible to the caller"},
    )
    return not_found(label or kind.replace("_", " "), obj_id)


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
    services: Services,
    principal: Principal,
    permission: str,
    resource: Resource,
    *,
    label: str | None = None,
) -> None:
    """Authorize against a resource (role + relation); audited 403, or 404 when it is hidden."""
    await check_any(services, principal, permission, [resource], label=label)


async def check_any(
    services: Services,
    principal: Principal,
    permission: str,
    resources: Sequence[Resource],
    *,
    label: str | None = None,
) -> Decision:
    """Allow when `permission` holds on any of the resources (the first is what is reported)."""
    decisions = [authorize(principal, permission, r) for r in resources]
    for decision in decisions:
        if decision.allowed:
            return decision
    if all(d.hidden for d in decisions):
        res = resources[0]
        raise await absent(services, principal, permission, res.kind, res.id, label)
    seen = next(i for i, d in enumerate(decisions) if not d.hidden)
    res = resources[seen]
    raise await deny(
        services, principal, permission, f"{res.kind}:{res.id}", decisions[seen].reason
    )
