from __future__ import annotations

import itertools

import pytest

from drills.errors import DrillError
from drills.workflow import (
    TRANSITIONS,
    Status,
    changed_for_approval,
    check_transition,
    may_transition,
)

ALLOWED = {
    ("draft", "submitted"),
    ("submitted", "draft"),
    ("submitted", "approved"),
    ("approved", "scheduled"),
    ("scheduled", "in_progress"),
    ("in_progress", "completed"),
    ("in_progress", "aborted"),
    ("completed", "reviewed"),
    ("draft", "cancelled"),
    ("submitted", "cancelled"),
    ("approved", "cancelled"),
    ("scheduled", "cancelled"),
}


@pytest.mark.parametrize("frm,to", sorted(ALLOWED))
def test_allowed(frm: str, to: str) -> None:
    assert check_transition(frm, to).roles


FORBIDDEN = sorted(
    (a.value, b.value)
    for a, b in itertools.product(Status, Status)
    if (a.value, b.value) not in ALLOWED
)


@pytest.mark.parametrize("frm,to", FORBIDDEN)
def test_forbidden_names_allowed(frm: str, to: str) -> None:
    with pytest.raises(DrillError) as e:
        check_transition(frm, to)
    assert e.value.code == "forbidden_transition"
    assert set(e.value.params["allowed"]) == {b for a, b in ALLOWED if a == frm}


def test_table_matches_expectation() -> None:
    assert {(a.value, b.value) for a, b in TRANSITIONS} == ALLOWED


def test_roles() -> None:
    assert may_transition("submitted", "approved", {"coordinator"}, {"u-eq"}, "u-eq")
    assert not may_transition("submitted", "approved", {"coordinator"}, {"u-other"}, "u-eq")
    assert not may_transition("submitted", "approved", {"operator"}, {"u-eq"}, "u-eq")
    assert may_transition("submitted", "approved", {"admin"}, set(), "u-eq")
    # The duty officer runs a drill live but does not plan or approve it.
    assert not may_transition("draft", "submitted", {"operator"}, {"u-eq"}, "u-eq")
    assert may_transition("scheduled", "in_progress", {"operator"}, {"u-eq"}, "u-eq")
    assert may_transition("in_progress", "aborted", {"operator"}, {"u-eq"}, "u-eq")
    assert not may_transition("completed", "reviewed", {"operator"}, {"u-eq"}, "u-eq")
    assert not may_transition("draft", "submitted", {"viewer"}, {"u-eq"}, "u-eq")


def test_send_back_fields() -> None:
    before = {"start": "a", "title": "t", "community_ids": ["c1"], "venue_shelter_id": "S1"}
    assert changed_for_approval(before, {**before, "title": "new"}) == []
    assert changed_for_approval(before, {**before, "start": "b", "community_ids": ["c2"]}) == [
        "start",
        "community_ids",
    ]
    assert changed_for_approval(before, {**before, "venue_shelter_id": "S2"}) == [
        "venue_shelter_id"
    ]
