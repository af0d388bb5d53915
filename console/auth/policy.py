"""Roles, permissions and `authorize`, the one function every endpoint goes through."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """What a user may do; a user may hold several."""

    admin = "admin"
    operator = "operator"
    coordinator = "coordinator"
    maintenance = "maintenance"
    viewer = "viewer"


ALL_ROLES = frozenset(Role)
_R = Role

# Permission -> roles that hold it. Unit scoping is checked separately against the resource.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "session.read": ALL_ROLES,
    "events.subscribe": ALL_ROLES,
    "units.read": ALL_ROLES,
    "units.write": frozenset({_R.admin}),
    "users.read": frozenset({_R.admin}),
    "users.write": frozenset({_R.admin}),
    "tokens.manage": frozenset({_R.admin}),
    "audit.read": frozenset({_R.admin}),
    "metrics.read": frozenset({_R.admin, _R.maintenance}),
}


def register_permission(name: str, roles: Iterable[Role]) -> None:
    """Let a domain module add its permissions (e.g. cameras.view) at import time."""
    PERMISSIONS[name] = frozenset(roles)


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller."""

    user_id: int
    username: str
    unit_id: int
    unit_scope: frozenset[int]
    roles: frozenset[Role]
    via: str = "session"
    session_id: str | None = None
    csrf_token: str | None = None
    ip: str = ""

    def has_role(self, *roles: Role) -> bool:
        """Whether the principal holds any of these roles."""
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True, slots=True)
class Resource:
    """Something owned by a unit and possibly shared with other units."""

    kind: str
    id: str
    owner_unit_id: int | None = None
    shared_unit_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of an authorization check, with the reason when denied."""

    allowed: bool
    reason: str = ""


def authorize(principal: Principal, permission: str, resource: Resource | None = None) -> Decision:
    """Decide whether `principal` may do `permission` on `resource` (role, then unit)."""
    roles = PERMISSIONS.get(permission)
    if roles is None:
        # An unknown permission is a programming error; deny rather than guess.
        return Decision(False, f"unknown permission {permission}")
    if not principal.roles.intersection(roles):
        needed = ", ".join(sorted(roles))
        return Decision(False, f"{permission} needs one of the roles: {needed}")
    if resource is not None and resource.owner_unit_id is not None:
        units = {resource.owner_unit_id, *resource.shared_unit_ids}
        if not principal.unit_scope.intersection(units):
            return Decision(
                False,
                f"{resource.kind} {resource.id} belongs to a unit outside the caller's units",
            )
    return Decision(True)


def visible_to(principal: Principal, unit_ids: Iterable[int] | None) -> bool:
    """Whether something scoped to `unit_ids` (None: everyone) is visible to the principal."""
    if unit_ids is None:
        return True
    return bool(principal.unit_scope.intersection(unit_ids))
