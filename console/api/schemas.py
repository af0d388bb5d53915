"""Request and response models shared by the core routers."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from console.auth.policy import Role
from console.bounds import INT64_MAX
from console.store.models import Unit, User

UnitKind = Literal[
    "district", "police", "earthquake_office", "street_office", "department", "other"
]
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$"


class Strict(BaseModel):
    """Request bodies refuse unknown fields."""

    model_config = ConfigDict(extra="forbid")


class UnitOut(BaseModel):
    """A unit as returned by the API."""

    id: int
    code: str
    name: str
    name_en: str
    kind: str
    parent_id: int | None

    @classmethod
    def of(cls, unit: Unit) -> UnitOut:
        """From a row."""
        return cls(
            id=unit.id,
            code=unit.code,
            name=unit.name,
            name_en=unit.name_en,
            kind=unit.kind,
            parent_id=unit.parent_id,
        )


class UserOut(BaseModel):
    """A user as returned by the API (never the password hash)."""

    id: int
    username: str
    display_name: str
    unit: UnitOut
    roles: list[str]
    disabled: bool
    locale: str | None
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        """From a row (its unit loaded)."""
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            unit=UnitOut.of(user.unit),
            roles=sorted(user.roles),
            disabled=user.disabled,
            locale=user.locale,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
        )


class SessionOut(BaseModel):
    """The signed-in user, what they may do, and the CSRF token for state-changing requests."""

    user: UserOut
    csrf_token: str | None
    permissions: list[str] = []


class LoginIn(Strict):
    """Credentials."""

    username: str = Field(min_length=1, max_length=64, description="User name.")
    password: str = Field(min_length=1, max_length=1024, description="Password.")


class UserCreate(Strict):
    """A new user."""

    username: str = Field(
        pattern=USERNAME_PATTERN, description="Login name (letters, digits, ._-)."
    )
    display_name: str = Field("", max_length=200, description="Name shown in the console.")
    password: str = Field(max_length=1024, description="Initial password.")
    unit_id: int = Field(ge=1, le=INT64_MAX, description="The user's unit.")
    roles: list[Role] = Field(min_length=1, max_length=5, description="One or more roles.")
    locale: Literal["zh-CN", "en"] | None = Field(None, description="Preferred UI language.")


class UserPatch(Strict):
    """Changes to a user; absent fields stay as they are."""

    display_name: str | None = Field(None, max_length=200, description="Name shown.")
    unit_id: int | None = Field(None, ge=1, le=INT64_MAX, description="Move to another unit.")
    roles: list[Role] | None = Field(None, min_length=1, max_length=5, description="New roles.")
    disabled: bool | None = Field(None, description="Disable (signs the user out) or enable.")
    locale: Literal["zh-CN", "en"] | None = Field(None, description="Preferred UI language.")


class PasswordIn(Strict):
    """A new password."""

    password: str = Field(max_length=1024, description="The new password.")


class OwnPasswordIn(Strict):
    """Changing one's own password."""

    current_password: str = Field(
        min_length=1, max_length=1024, description="The password in use now."
    )
    new_password: str = Field(max_length=1024, description="The new password.")


class UnitCreate(Strict):
    """A new unit."""

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Short unique code.")
    name: str = Field(min_length=1, max_length=200, description="Name (zh-CN).")
    name_en: str = Field("", max_length=200, description="Name (English).")
    kind: UnitKind = Field("department", description="What kind of unit.")
    parent_id: int | None = Field(
        None, ge=1, le=INT64_MAX, description="Parent unit; None for a top-level unit."
    )


class UnitPatch(Strict):
    """Changes to a unit."""

    name: str | None = Field(None, min_length=1, max_length=200, description="Name (zh-CN).")
    name_en: str | None = Field(None, max_length=200, description="Name (English).")
    kind: UnitKind | None = Field(None, description="What kind of unit.")
    parent_id: int | None = Field(None, ge=1, le=INT64_MAX, description="New parent unit.")


class TokenCreate(Strict):
    """A new API token."""

    name: str = Field(min_length=1, max_length=100, description="What the token is for.")
    user_id: int | None = Field(
        None, ge=1, le=INT64_MAX, description="Token acts as this user (default: caller)."
    )
    expires_days: int | None = Field(
        None,
        ge=1,
        le=3650,
        description="Lifetime in days (default: the security.token_days setting; at most "
        "security.token_max_days).",
    )


class TokenOut(BaseModel):
    """A token's metadata (the secret is only shown once, at creation)."""

    id: int
    name: str
    user_id: int
    username: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenOut):
    """A created token including its secret."""

    token: str


T = TypeVar("T")


class Items(BaseModel, Generic[T]):
    """A list response."""

    items: list[T]
