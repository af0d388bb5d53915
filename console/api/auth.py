"""Login, logout, the current session and changing one's own password."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select

from console.api.passwords import check_new_password, publish_password_change
from console.api.schemas import LoginIn, OwnPasswordIn, SessionOut, UserOut
from console.audit import Actor
from console.auth.credentials import (
    DEVICE_COOKIE,
    SESSION_COOKIE,
    close_session,
    close_user_sessions,
    device_cookie,
    device_id,
    open_session,
    revoke_user_tokens,
)
from console.auth.passwords import hash_password_async, verify_password_async
from console.auth.policy import Principal, Resource, permissions_of
from console.auth.ratelimit import Attempt
from console.deps import DbDep, ServicesDep, check, client_ip, require
from console.errors import ProblemError
from console.services import Services
from console.store.models import Session, User, utcnow

router = APIRouter(prefix="/api/auth", tags=["auth"])

SessionPrincipal = Annotated[Principal, Depends(require("session.read"))]
AccountPrincipal = Annotated[Principal, Depends(require("account.password"))]


async def _reserve(services: Services, request: Request, username: str, action: str) -> Attempt:
    """A throttled try for `username` from this caller, or the audited 429."""
    ip = client_ip(request)
    device = device_id(services.secret, request.cookies.get(DEVICE_COOKIE), username)
    attempt = services.throttle.begin(username, ip, device)
    if isinstance(attempt, Attempt):
        return attempt
    wait = math.ceil(attempt)
    services.metrics.logins.labels("throttled").inc()
    await services.audit.record(
        Actor(None, username, None, ip),
        action,
        outcome="denied",
        target_type="user",
        target_id=username,
        detail={"reason": "too many failed attempts", "retry_after": wait},
    )
    raise ProblemError(
        429,
        f"too many failed tries; try again in {wait} s",
        code="login-throttled",
        headers={"Retry-After": str(wait)},
        extra={"retry_after": wait},
    )


def _set_cookies(
    services: Services, request: Request, response: Response, raw: str, username: str
) -> None:
    sec = services.settings.security
    secure = (
        services.settings.mode == "production" if sec.cookie_secure is None else sec.cookie_secure
    )
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        max_age=sec.session_max_hours * 3600,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )
    if device_id(services.secret, request.cookies.get(DEVICE_COOKIE), username) is None:
        response.set_cookie(
            DEVICE_COOKIE,
            device_cookie(services.secret, username),
            max_age=sec.login_device_days * 86400,
            httponly=True,
            samesite="strict",
            secure=secure,
            path="/api/auth",
        )


async def _new_session(
    services: Services, db: DbDep, request: Request, response: Response, user: User
) -> Session:
    raw, sess = await open_session(
        db,
        services.secret,
        user,
        services.settings.security,
        client_ip(request),
        request.headers.get("user-agent", ""),
    )
    _set_cookies(services, request, response, raw, user.username)
    return sess


@router.post("/login", response_model=SessionOut)
async def login(
    body: LoginIn, request: Request, response: Response, services: ServicesDep, db: DbDep
) -> SessionOut:
    """Sign in with user name and password; sets the session cookie."""
    ip = client_ip(request)
    attempt = await _reserve(services, request, body.username, "auth.login")
    try:
        user = await db.scalar(select(User).where(User.username == body.username))
        # Give the connection back while the hash is checked: a burst of logins must not hold
        # the pool through argon2 (expire_on_commit is off, so `user` keeps its fields).
        await db.commit()
        ok = await verify_password_async(user.password_hash if user else None, body.password)
        if user is None or not ok or user.disabled:
            services.throttle.failed(attempt)
            services.metrics.logins.labels("failure").inc()
            reason = "disabled" if (user is not None and ok) else "bad credentials"
            await services.audit.record(
                Actor(user.id if user else None, body.username, user.unit_id if user else None, ip),
                "auth.login",
                outcome="failure",
                target_type="user",
                target_id=body.username,
                detail={"reason": reason},
            )
            raise ProblemError(401, "wrong user name or password", code="bad-credentials")
        services.throttle.succeeded(attempt)
    finally:
        services.throttle.release(attempt)
    sess = await _new_session(services, db, request, response, user)
    user.last_login_at = utcnow()
    entry = services.audit.add(
        db,
        Actor(user.id, user.username, user.unit_id, ip),
        "auth.login",
        target_type="user",
        target_id=user.id,
    )
    await db.commit()
    await services.audit.announce(entry)
    services.metrics.logins.labels("success").inc()
    return SessionOut(
        user=UserOut.of(user), csrf_token=sess.csrf_token, permissions=permissions_of(user.roles)
    )


@router.post("/logout", status_code=204)
async def logout(
    request: Request, principal: SessionPrincipal, services: ServicesDep, db: DbDep
) -> Response:
    """Sign out: deletes the session and its cookie."""
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        await close_session(db, services.secret, raw)
    entry = services.audit.add(
        db, Actor.of(principal), "auth.logout", target_type="user", target_id=principal.user_id
    )
    await db.commit()
    await services.audit.announce(entry)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/session", response_model=SessionOut)
async def session(principal: SessionPrincipal, db: DbDep) -> SessionOut:
    """The signed-in user and the CSRF token to send on state-changing requests."""
    user = await db.get(User, principal.user_id)
    if user is None:
        raise ProblemError(401, "session user no longer exists", code="unauthenticated")
    return SessionOut(
        user=UserOut.of(user),
        csrf_token=principal.csrf_token,
        permissions=permissions_of(user.roles),
    )


@router.post("/password", response_model=SessionOut)
async def change_own_password(
    body: OwnPasswordIn,
    request: Request,
    principal: AccountPrincipal,
    services: ServicesDep,
    db: DbDep,
) -> SessionOut:
    """Change your own password (the current one is required). Every other session and every
    API token of yours is revoked; the session that made the change stays signed in."""
    user = await db.get(User, principal.user_id)
    if user is None:
        raise ProblemError(401, "session user no longer exists", code="unauthenticated")
    await check(services, principal, "account.password", Resource.user(user.id, user.unit_id))
    attempt = await _reserve(services, request, user.username, "account.password")
    try:
        if not await verify_password_async(user.password_hash, body.current_password):
            services.throttle.failed(attempt)
            await services.audit.record(
                Actor.of(principal),
                "account.password",
                outcome="failure",
                target_type="user",
                target_id=user.id,
                detail={"reason": "wrong current password"},
            )
            raise ProblemError(
                422,
                "body.current_password: wrong password",
                code="validation",
                errors=[
                    {
                        "loc": "body.current_password",
                        "msg": "wrong password",
                        "type": "wrong_password",
                    }
                ],
            )
        services.throttle.succeeded(attempt)
    finally:
        services.throttle.release(attempt)
    await check_new_password(services, body.new_password, user, loc="body.new_password")
    if body.new_password == body.current_password:
        raise ProblemError(
            422,
            "body.new_password: must differ from the current password",
            code="validation",
            errors=[{"loc": "body.new_password", "msg": "unchanged", "type": "unchanged"}],
        )
    user.password_hash = await hash_password_async(body.new_password)
    user.password_changed_at = utcnow()
    await close_user_sessions(db, user.id, keep=principal.session_id)
    await revoke_user_tokens(db, user.id)
    entry = services.audit.add(
        db, Actor.of(principal), "account.password", target_type="user", target_id=user.id
    )
    await db.commit()
    await db.refresh(user, ["unit"])
    await services.audit.announce(entry)
    await publish_password_change(services, user, by_admin=False)
    return SessionOut(
        user=UserOut.of(user),
        csrf_token=principal.csrf_token,
        permissions=permissions_of(user.roles),
    )
