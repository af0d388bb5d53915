"""Per-user preferences: each signed-in user reads and writes only their own.

Values are small JSON documents (the operations view keeps its pane layout per screen size
and its pinned cameras here), so a layout follows the user from desk to video-wall PC.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from console.auth.policy import Principal
from console.deps import DbDep, require
from console.errors import ProblemError
from console.ops.models import UserPreference

router = APIRouter(prefix="/api/me/preferences", tags=["preferences"])
Owner = Annotated[Principal, Depends(require("prefs.own"))]
KEY = r"^[a-z][a-z0-9_.-]{0,63}$"
Key = Annotated[str, Path(pattern=KEY, description="Preference name, e.g. ops.layout.")]
MAX_BYTES = 32 * 1024
MAX_KEYS = 100


class PrefIn(BaseModel):
    """A preference value: any JSON document up to 32 KiB."""

    model_config = ConfigDict(extra="forbid")

    value: Any = Field(description="Any JSON value (object, array, string, number, boolean).")


def _out(p: UserPreference) -> dict[str, Any]:
    return {"key": p.key, "value": p.value, "updated_at": p.updated_at.isoformat()}


def _bad(loc: str, msg: str, type_: str, status: int = 422) -> ProblemError:
    return ProblemError(
        status, f"{loc}: {msg}", code="validation", errors=[{"loc": loc, "msg": msg, "type": type_}]
    )


@router.get("")
async def list_prefs(principal: Owner, db: DbDep) -> dict[str, Any]:
    """Every preference of the caller, by key."""
    rows = await db.scalars(
        select(UserPreference)
        .where(UserPreference.user_id == principal.user_id)
        .order_by(UserPreference.key)
    )
    return {"items": {p.key: p.value for p in rows}}


@router.get("/{key}")
async def get_pref(key: Key, principal: Owner, db: DbDep) -> dict[str, Any]:
    """One preference (404 when never saved: the client uses its default)."""
    row = await db.scalar(
        select(UserPreference).where(
            UserPreference.user_id == principal.user_id, UserPreference.key == key
        )
    )
    if row is None:
        raise ProblemError(404, f"no preference {key}", code="not-found")
    return _out(row)


@router.put("/{key}")
async def put_pref(key: Key, body: PrefIn, principal: Owner, db: DbDep) -> dict[str, Any]:
    """Save a preference (replaces the value)."""
    if body.value is None:
        raise _bad("body.value", "give a value (DELETE forgets a preference)", "missing")
    size = len(json.dumps(body.value, ensure_ascii=False).encode())
    if size > MAX_BYTES:
        raise _bad("body.value", f"value is {size} bytes (limit {MAX_BYTES})", "too_large", 413)
    where = (UserPreference.user_id == principal.user_id, UserPreference.key == key)
    for attempt in range(2):
        row = await db.scalar(select(UserPreference).where(*where))
        if row is None:
            count = await db.scalar(
                select(func.count())
                .select_from(UserPreference)
                .where(UserPreference.user_id == principal.user_id)
            )
            if (count or 0) >= MAX_KEYS:
                raise _bad("path.key", f"at most {MAX_KEYS} preferences per user", "too_many", 409)
            row = UserPreference(user_id=principal.user_id, key=key, value=body.value)
            db.add(row)
        else:
            row.value = body.value
        try:
            await db.commit()
        except IntegrityError:
            # Another tab saved the same new key at the same moment: update theirs.
            await db.rollback()
            if attempt:
                raise
            continue
        await db.refresh(row)
        return _out(row)
    raise AssertionError("unreachable")


@router.delete("/{key}", status_code=204)
async def delete_pref(key: Key, principal: Owner, db: DbDep) -> Response:
    """Forget a preference (the client falls back to its default)."""
    await db.execute(
        delete(UserPreference).where(
            UserPreference.user_id == principal.user_id, UserPreference.key == key
        )
    )
    await db.commit()
    return Response(status_code=204)
