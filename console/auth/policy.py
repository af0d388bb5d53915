"""Roles, relations, the rights table and `authorize`, the one function every endpoint goes through.

A right is granted by the pair (role, relation): the caller's roles say what kind of work they
do; their relation to the object says whose object it is. `RIGHTS` is the whole table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """What a user may do; a user may hold several."""

    admin = "admin"
    operator = "operator"
    coordinator = "coordinator"
    maintenance = "maintenance"
    viewer = "viewer"


class Relation(StrEnum):
    """How the caller stands to an object, strongest first."""

    self = "self"  # the caller's own account, wall, feed or live view
    owner = "owner"  # the caller's unit owns it (a drill's organising unit)
    ancestor = "ancestor"  # the caller's unit is above the owner unit
    sharer = "sharer"  # shared with the caller's unit or a unit below it (drill participants)
    none = "none"  # none of the above


ALL_ROLES = frozenset(Role)
_R = Role
_ADMIN = frozenset({_R.admin})
_CAM_WRITE = frozenset({_R.admin, _R.maintenance})
_HEALTH = frozenset({_R.admin, _R.maintenance, _R.operator})
_DRILL = frozenset({_R.admin, _R.coordinator})
_SHARERS = frozenset({_R.admin, _R.operator, _R.coordinator})
_RESPONDERS = _SHARERS

SELF, OWNER, ANCESTOR, SHARER, NONE = (
    Relation.self,
    Relation.owner,
    Relation.ancestor,
    Relation.sharer,
    Relation.none,
)
OWNING = (OWNER, ANCESTOR)
VIEWING = (OWNER, ANCESTOR, SHARER)
ANYONE = (SELF, OWNER, ANCESTOR, SHARER, NONE)

Right = Mapping[Relation, frozenset[Role]]


def grant(roles: Iterable[Role], *relations: Relation) -> dict[Relation, frozenset[Role]]:
    """One row fragment: these roles, in each of these relations."""
    held = frozenset(roles)
    return dict.fromkeys(relations, held)


# Permission -> relation -> roles. A route without an object checks the role alone (any column);
# with an object, the caller needs a listed role in one of the relations they hold to it.
# Sharing grants viewing only: no right that changes an object has a `sharer` column.
RIGHTS: dict[str, Right] = {
    # Core
    "session.read": grant(ALL_ROLES, *ANYONE),
    "events.subscribe": grant(ALL_ROLES, *ANYONE),
    "account.password": grant(ALL_ROLES, SELF),
    # One's own saved layouts and preferences (the operations view).
    "prefs.own": grant(ALL_ROLES, *ANYONE),
    "units.read": grant(ALL_ROLES, *ANYONE),
    # Display names of the people in the caller's organisation (timelines, audit, alerts).
    "people.read": grant(ALL_ROLES, *ANYONE),
    "units.write": grant(_ADMIN, *OWNING),
    "users.read": grant(_ADMIN, *OWNING),
    "users.write": grant(_ADMIN, *OWNING),
    "tokens.manage": grant(_ADMIN, *OWNING),
    "audit.read": grant(_ADMIN, *OWNING),
    "metrics.read": grant({_R.admin, _R.maintenance}, *ANYONE),
    # Cameras, health, live view
    "cameras.read": grant(ALL_ROLES, *VIEWING),
    "cameras.write": grant(_CAM_WRITE, *OWNING),
    # Status only (no metrics or alerts), for the wall's tile badges.
    "cameras.status": grant(ALL_ROLES, *VIEWING),
    "health.read": grant(_HEALTH, *VIEWING),
    "health.manage": grant(_CAM_WRITE, *OWNING),
    "live.view": grant(ALL_ROLES, *VIEWING),
    # A live view belongs to the user who opened it; admins above that user's unit may stop it.
    "live.list": grant(ALL_ROLES, SELF) | grant(_ADMIN, *OWNING),
    "live.manage": grant(ALL_ROLES, SELF) | grant(_ADMIN, *OWNING),
    # Walls and tours: the creator's own; once shared with the unit, its admins manage them.
    "walls.read": grant(ALL_ROLES, SELF, *OWNING),
    "walls.write": grant(ALL_ROLES, SELF) | grant(_ADMIN, *OWNING),
    "walls.share": grant(_SHARERS, SELF, *OWNING),
    "walls.push": grant({_R.admin, _R.operator}, *OWNING),
    # Drills: the organising unit plans and moves the workflow; participants follow and log.
    "drills.read": grant(ALL_ROLES, *VIEWING),
    "drills.write": grant(_DRILL, *OWNING),
    # Running a drill live (start, complete, abort) is also the EOC duty officer's; the
    # transition table (drills.workflow) limits operators to those steps.
    "drills.run": grant(_DRILL | {_R.operator}, *OWNING),
    "drills.approve": grant(_DRILL, *OWNING),
    "drills.timeline": grant(_DRILL | {_R.operator}, *VIEWING),
    "drills.observe": grant(ALL_ROLES, *VIEWING),
    "drills.feed.create": grant(ALL_ROLES, *OWNING),
    "drills.feed.revoke": grant(ALL_ROLES, SELF) | grant(_ADMIN, *OWNING),
    # GIS: reference data every unit reads; a feature is edited by its owning unit (and above).
    "gis.read": grant(ALL_ROLES, *ANYONE),
    "gis.write": grant(_DRILL, *OWNING),
    "readiness.read": grant(ALL_ROLES, *ANYONE),
    "readiness.recompute": grant(_DRILL, *ANYONE),
    # Earthquake incidents: the district owns one and the EOC's departments run it with the
    # district. The one exception to "sharers only watch": an incident's write resource lists
    # the responder departments as its sharers (console.incidents.views.resource), while the
    # street offices of affected communities share only its read resource and watch it.
    "incidents.read": grant(ALL_ROLES, *VIEWING),
    "incidents.write": grant(_RESPONDERS, *VIEWING),
    "incidents.manage": grant(_DRILL, *VIEWING),
    "quakes.ingest": grant(_RESPONDERS, *ANYONE),
    # Notification channels and rules: a unit's admins (and those above) manage its channels.
    "notify.manage": grant(_ADMIN, *OWNING),
}

# The permission that makes an object of a kind visible. A caller who may not read an object is
# answered as if it did not exist (same 404), so ids cannot be probed.
READ_PERMISSION: dict[str, str] = {
    "camera": "cameras.read",
    "alert": "health.read",
    "drill": "drills.read",
    "drill_feed": "drills.feed.revoke",
    "user": "users.read",
    "token": "tokens.manage",
    "unit": "units.read",
    "wall": "walls.read",
    "tour": "walls.read",
    "live_view": "live.list",
    "live_group": "live.list",
    "gis_feature": "gis.read",
    "incident": "incidents.read",
    "notify_channel": "notify.manage",
}

# Rights where the user who asked for a step may not also grant it (separation of duties).
SEPARATED: frozenset[str] = frozenset({"drills.approve"})


def roles_for(permission: str) -> frozenset[Role]:
    """Every role that holds `permission` in some relation (the route-level gate)."""
    right = RIGHTS.get(permission, {})
    return frozenset().union(*right.values()) if right else frozenset()


def register_permission(
    name: str, roles: Iterable[Role], relations: Iterable[Relation] = OWNING
) -> None:
    """Let a feature module add a new permission (owner and ancestor units by default)."""
    if name in RIGHTS:
        raise ValueError(f"permission {name} is already in console.auth.policy.RIGHTS")
    RIGHTS[name] = grant(roles, *relations)


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
    top_level: bool = False  # the caller's unit has no parent (the district)

    def has_role(self, *roles: Role) -> bool:
        """Whether the principal holds any of these roles."""
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True, slots=True)
class Resource:
    """Something owned by a unit (or a user), possibly shared with other units."""

    kind: str
    id: str
    owner_unit_id: int | None = None
    shared_unit_ids: frozenset[int] = field(default_factory=frozenset)
    owner_user_id: int | None = None
    # Who asked for the step being decided (separation of duties), when it matters.
    author_user_id: int | None = None

    @classmethod
    def unit(cls, unit_id: int) -> Resource:
        """A unit as the target of an action (creating something in it, administering it)."""
        return cls("unit", str(unit_id), unit_id)

    @classmethod
    def user(cls, user_id: int, unit_id: int) -> Resource:
        """A user account: its own user, and its unit (administered from there and above)."""
        return cls("user", str(user_id), unit_id, owner_user_id=user_id)


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of an authorization check: the reason when denied, and whether the object
    is hidden from the caller (then it is answered as not found)."""

    allowed: bool
    reason: str = ""
    relation: Relation = NONE
    hidden: bool = False


def relations(principal: Principal, resource: Resource) -> frozenset[Relation]:
    """Every relation the principal holds to the resource (`none` when it holds no other)."""
    out: set[Relation] = set()
    if resource.owner_user_id is not None and resource.owner_user_id == principal.user_id:
        out.add(SELF)
    owner = resource.owner_unit_id
    if owner is not None:
        if owner == principal.unit_id:
            out.add(OWNER)
        elif owner in principal.unit_scope:
            out.add(ANCESTOR)
    if not out & {OWNER, ANCESTOR} and principal.unit_scope & resource.shared_unit_ids:
        out.add(SHARER)
    return frozenset(out) if out else frozenset({NONE})


def _strongest(held: frozenset[Relation]) -> Relation:
    return next(r for r in Relation if r in held)


def _may(right: Right, principal: Principal, held: frozenset[Relation]) -> Relation | None:
    for rel in Relation:
        if rel in held and principal.roles & right.get(rel, frozenset()):
            return rel
    return None


def authorize(principal: Principal, permission: str, resource: Resource | None = None) -> Decision:
    """Decide whether `principal` may do `permission` (on `resource`): role, then relation."""
    right = RIGHTS.get(permission)
    if right is None:
        # An unknown permission is a programming error; deny rather than guess.
        return Decision(False, f"unknown permission {permission}")
    roles = roles_for(permission)
    if not principal.roles & roles:
        needed = ", ".join(sorted(roles))
        return Decision(False, f"{permission} needs one of the roles: {needed}")
    if resource is None:
        return Decision(True)
    held = relations(principal, resource)
    granted = _may(right, principal, held)
    if granted is not None:
        if (
            permission in SEPARATED
            and resource.author_user_id is not None
            and resource.author_user_id == principal.user_id
        ):
            return Decision(
                False,
                f"{permission}: separation of duties - the user who asked for this step "
                f"may not also grant it on {resource.kind} {resource.id}",
                granted,
            )
        return Decision(True, relation=granted)
    strongest = _strongest(held)
    read = READ_PERMISSION.get(resource.kind)
    hidden = read is not None and _may(RIGHTS.get(read, {}), principal, held) is None
    wanted = sorted(r.value for r, rs in right.items() if principal.roles & rs)
    return Decision(
        False,
        f"{permission} on {resource.kind} {resource.id} needs the relation "
        f"{' or '.join(wanted)}; the caller's is {strongest.value}",
        strongest,
        hidden,
    )


def visible_to(principal: Principal, unit_ids: Iterable[int] | None) -> bool:
    """Whether something scoped to `unit_ids` (None: everyone) is visible to the principal."""
    if unit_ids is None:
        return True
    return bool(principal.unit_scope.intersection(unit_ids))


def permissions_of(roles: Iterable[str]) -> list[str]:
    """Permissions the roles hold in some relation (so the UI shows only what may be done)."""
    held = set(roles)
    return sorted(p for p in RIGHTS if held & {r.value for r in roles_for(p)})
