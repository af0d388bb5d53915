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
    aborted = "aborted"


@dataclass(frozen=True)
class RoleRequirement:
    """Who may perform a transition: any of `roles`, scoped to the organising unit if set."""

    roles: frozenset[str]
    of_organising_unit: bool = True


# Planning and approval are the coordinators'; the EOC duty officer (operator) may also run a
# drill live: start it, complete it or abort it.
COORD = RoleRequirement(frozenset({"coordinator", "admin"}))
OPERATOR = RoleRequirement(frozenset({"coordinator", "operator", "admin"}))

# (from, to) -> requirement; the console's transition endpoint reads this table.
TRANSITIONS: dict[tuple[Status, Status], RoleRequirement] = {
    (Status.draft, Status.submitted): COORD,
    (Status.submitted, Status.draft): COORD,
    (Status.submitted, Status.approved): COORD,
    (Status.approved, Status.scheduled): COORD,
    (Status.scheduled, Status.in_progress): OPERATOR,
    (Status.in_progress, Status.completed): OPERATOR,
    (Status.in_progress, Status.aborted): OPERATOR,
    (Status.completed, Status.reviewed): COORD,
}
for _s in (Status.draft, Status.submitted, Status.approved, Status.scheduled):
    TRANSITIONS[(_s, Status.cancelled)] = COORD
# Moves that must say why (kept with the drill and in the audit log).
NEEDS_REASON = frozenset({Status.aborted})
# Plan fields whose change sends an approved or scheduled drill back for approval.
REAPPROVAL_FIELDS = (
    "start",
    "end",
    "timezone",
    "rrule",
    "exdates",
    "working_days_only",
    "venue_shelter_id",
    "community_ids",
)
NEEDS_REAPPROVAL = frozenset({Status.approved, Status.scheduled})
# A drill may be deleted only before it was ever approved to run, or once cancelled.
DELETABLE = frozenset({Status.draft, Status.cancelled})


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


def role_allowed(current: Status | str, target: Status | str, roles: set[str]) -> bool:
    """The role part of `may_transition` (the unit part is the console's authorization)."""
    return "admin" in roles or bool(roles & check_transition(current, target).roles)


def may_transition(
    current: Status | str, target: Status | str, roles: set[str], unit_ids: set[str], organiser: str
) -> bool:
    """True when a user with `roles` in `unit_ids` may move the drill (admin is global)."""
    req = check_transition(current, target)
    if "admin" in roles:
        return True
    if not role_allowed(current, target, roles):
        return False
    return not req.of_organising_unit or organiser in unit_ids


def changed_for_approval(before: dict[str, object], after: dict[str, object]) -> list[str]:
    """Plan fields (time, venue, communities) that differ between two stored plans."""
    return [f for f in REAPPROVAL_FIELDS if before.get(f) != after.get(f)]
