"""Login, logout and the current session."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select

from console.api.schemas import LoginIn, SessionOut, UserOut
from console.audit import Actor
from console.auth.credentials import SESSION_COOKIE, close_session, open_session
from console.auth.passwords import verify_password_async
from console.auth.policy import PERMISSIONS, Principal
from console.deps import DbDep, ServicesDep, client_ip, require
from console.errors import ProblemError
from console.store.models import User, utcnow

router = APIRouter(prefix="/api/auth", tags=["auth"])


def permissions_of(roles: list[str]) -> list[str]:
    """Permissions the roles grant (so the UI shows only what the user may do)."""
    held = set(roles)
    return sorted(p for p, allowed in PERMISSIONS.items() if held & {r.value for r in allowed})


SessionPrincipal = Annotated[Principal, Depends(require("session.read"))]


@router.post("/login", response_model=SessionOut)
async def login(
    body: LoginIn, request: Request, response: Response, services: ServicesDep, db: DbDep
) -> SessionOut:
    """Sign in with user name and password; sets the session cookie."""
    ip = client_ip(request)
    wait = services.throttle.retry_after(body.username, ip)
    if wait > 0:
        services.metrics.logins.labels("throttled").inc()
        await services.audit.record(
            Actor(None, body.username, None, ip),
            "auth.login",
            outcome="denied",
            target_type="user",
            target_id=body.username,
            detail={"reason": "too many failed attempts"},
        )
        raise ProblemError(
            429,
            f"too many failed sign-ins; try again in {math.ceil(wait)} s",
            code="login-throttled",
            headers={"Retry-After": str(math.ceil(wait))},
            extra={"retry_after": math.ceil(wait)},
        )
    user = await db.scalar(select(User).where(User.username == body.username))
    # Give the connection back while the hash is checked: a burst of logins must not hold
    # the pool through argon2 (expire_on_commit is off, so `user` keeps its fields).
    await db.commit()
    ok = await verify_password_async(user.password_hash if user else None, body.password)
    if user is None or not ok or user.disabled:
        services.throttle.failed(body.username, ip)
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
    services.throttle.succeeded(body.username)
    raw, sess = await open_session(
        db,
        services.secret,
        user,
        services.settings.security,
        ip,
        request.headers.get("user-agent", ""),
    )
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
    settings = services.settings
    secure = settings.security.cookie_secure
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        max_age=settings.security.session_max_hours * 3600,
        httponly=True,
        samesite="strict",
        secure=settings.mode == "production" if secure is None else secure,
        path="/",
    )
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
