"""Drill status machine with per-transition role requirements expressed as data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from drills.errors import DrillError


class Status(StrEnum):
    """Drill workflow states."""

    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    scheduled = "scheduled"
    in_progress = "in_progress"
    completed = "completed"
    reviewed = "reviewed"
    cancelled = "cancelled"


@dataclass(frozen=True)
class RoleRequirement:
    """Who may perform a transition: any of `roles`, scoped to the organising unit if set."""

    roles: frozenset[str]
    of_organising_unit: bool = True


COORD = RoleRequirement(frozenset({"coordinator", "admin"}))
OPERATOR = RoleRequirement(frozenset({"coordinator", "operator", "admin"}))

# (from, to) -> requirement; the console's authorization function reads this table.
TRANSITIONS: dict[tuple[Status, Status], RoleRequirement] = {
    (Status.draft, Status.submitted): OPERATOR,
    (Status.submitted, Status.draft): OPERATOR,
    (Status.submitted, Status.approved): COORD,
    (Status.approved, Status.scheduled): COORD,
    (Status.scheduled, Status.in_progress): COORD,
    (Status.in_progress, Status.completed): COORD,
    (Status.completed, Status.reviewed): COORD,
}
for _s in (Status.draft, Status.submitted, Status.approved, Status.scheduled):
    TRANSITIONS[(_s, Status.cancelled)] = COORD


def allowed_from(current: Status) -> list[Status]:
    """States reachable from `current` in one step."""
    return [to for (frm, to) in TRANSITIONS if frm == current]


def check_transition(current: Status | str, target: Status | str) -> RoleRequirement:
    """Return the role requirement for the move, or raise DrillError naming allowed targets."""
    cur, tgt = Status(current), Status(target)
    req = TRANSITIONS.get((cur, tgt))
    if req is None:
        raise DrillError(
            "forbidden_transition",
            ("status",),
            current=cur.value,
            target=tgt.value,
            allowed=[s.value for s in allowed_from(cur)],
        )
    return req


def may_transition(
    current: Status | str, target: Status | str, roles: set[str], unit_ids: set[str], organiser: str
) -> bool:
    """True when a user with `roles` in `unit_ids` may move the drill (admin is global)."""
    req = check_transition(current, target)
    if "admin" in roles:
        return True
    if not roles & req.roles:
        return False
    return not req.of_organising_unit or organiser in unit_ids
