"""API bearer tokens: created and revoked by admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from sqlalchemy import select

from console.api.schemas import Items, TokenCreate, TokenCreated, TokenOut
from console.audit import Actor
from console.auth.credentials import expires_in, keyed_hash, new_token
from console.auth.policy import Principal, Resource
from console.bounds import IdPath
from console.deps import DbDep, ServicesDep, absent, check, require
from console.errors import ProblemError
from console.events import Audience
from console.store.models import ApiToken, User, utcnow

router = APIRouter(prefix="/api/tokens", tags=["tokens"])
Manager = Annotated[Principal, Depends(require("tokens.manage"))]


def _out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.id,
        name=token.name,
        user_id=token.user_id,
        username=token.user.username,
        prefix=token.prefix,
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        last_used_at=token.last_used_at,
    )


@router.get("", response_model=Items[TokenOut])
async def list_tokens(principal: Manager, db: DbDep) -> Items[TokenOut]:
    """Tokens of users in the caller's units."""
    rows = await db.scalars(
        select(ApiToken)
        .join(User, ApiToken.user_id == User.id)
        .where(User.unit_id.in_(principal.unit_scope))
        .order_by(ApiToken.id.desc())
    )
    return Items[TokenOut](items=[_out(t) for t in rows])


@router.post("", status_code=201, response_model=TokenCreated)
async def create_token(
    body: TokenCreate, principal: Manager, services: ServicesDep, db: DbDep
) -> TokenCreated:
    """Create a token; its secret is returned once and stored only as a keyed hash."""
    user_id = body.user_id or principal.user_id
    user = await db.get(User, user_id)
    if user is None:
        raise ProblemError(
            422,
            f"body.user_id: user {user_id} does not exist",
            code="validation",
            errors=[{"loc": "body.user_id", "msg": "unknown user", "type": "unknown_reference"}],
        )
    await check(services, principal, "tokens.manage", Resource.user(user.id, user.unit_id))
    sec = services.settings.security
    days = body.expires_days or sec.token_days
    if days > sec.token_max_days:
        raise ProblemError(
            422,
            f"body.expires_days: at most {sec.token_max_days} days (security.token_max_days)",
            code="validation",
            errors=[{"loc": "body.expires_days", "msg": "longer than allowed", "type": "too_long"}],
        )
    raw = new_token()
    token = ApiToken(
        name=body.name,
        user_id=user.id,
        token_hash=keyed_hash(services.secret, raw),
        prefix=raw[:10],
        created_by=principal.user_id,
        expires_at=expires_in(days),
    )
    db.add(token)
    await db.flush()
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "token.create",
        target_type="token",
        target_id=token.id,
        detail={"name": body.name, "user_id": user.id},
    )
    await db.commit()
    await db.refresh(token, ["user"])
    await services.audit.announce(entry)
    out = _out(token)
    await services.bus.publish(
        "token.created",
        out.model_dump(mode="json"),
        audience=Audience("tokens.manage", frozenset({user.unit_id})),
    )
    return TokenCreated(token=raw, **out.model_dump())


@router.delete("/{token_id}", status_code=204)
async def revoke_token(
    token_id: IdPath, principal: Manager, services: ServicesDep, db: DbDep
) -> Response:
    """Revoke a token at once."""
    token = await db.get(ApiToken, token_id)
    if token is None:
        raise await absent(services, principal, "tokens.manage", "token", token_id)
    await check(
        services,
        principal,
        "tokens.manage",
        Resource("token", str(token.id), token.user.unit_id, owner_user_id=token.user_id),
    )
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        entry = services.audit.add(
            db, Actor.of(principal), "token.revoke", target_type="token", target_id=token.id
        )
        await db.commit()
        await services.audit.announce(entry)
        await services.bus.publish(
            "token.revoked",
            _out(token).model_dump(mode="json"),
            audience=Audience("tokens.manage", frozenset({token.user.unit_id})),
        )
    return Response(status_code=204)
