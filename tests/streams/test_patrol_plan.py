"""Patrol sized for a district: concurrency from the target cycle, within the CPU budget."""

from __future__ import annotations

from streams.watch import PatrolProgress, WatchSettings, plan_patrol


def test_target_cycle_sets_concurrency() -> None:
    # 2,000 cameras, 2.2 s per visit (two keyframes at GOP 2 s), 13 ms decode and judge.
    slow = plan_patrol(2000, WatchSettings(patrol_target_cycle_s=0), 2.2, 0.013)
    assert slow.concurrency == 4 and slow.expected_cycle_s is not None
    assert slow.expected_cycle_s > 1000  # the 4-at-a-time default: about 18 minutes
    ten = plan_patrol(2000, WatchSettings(patrol_target_cycle_s=600), 2.2, 0.013)
    assert ten.concurrency == 8 and ten.expected_cycle_s is not None
    assert ten.expected_cycle_s <= 600 and not ten.cpu_limited
    assert ten.cpu_share is not None and ten.cpu_share < 0.5


def test_cpu_budget_limits_and_says_so() -> None:
    plan = plan_patrol(
        2000, WatchSettings(patrol_target_cycle_s=120, patrol_cpu_budget=0.2), 2.2, 0.013
    )
    assert plan.cpu_limited
    assert plan.cpu_share is not None and plan.cpu_share <= 0.2
    assert plan.expected_cycle_s is not None and plan.expected_cycle_s > 120
    # Never above the ceiling, never below the configured floor, never more than cameras.
    capped = plan_patrol(
        5000, WatchSettings(patrol_target_cycle_s=60, patrol_max_concurrency=16), 2.0, 0.001
    )
    assert capped.concurrency == 16
    few = plan_patrol(3, WatchSettings(patrol_target_cycle_s=60, patrol_concurrency=4), 2.0, 0.01)
    assert few.concurrency == 3


def test_visit_costs_are_averaged() -> None:
    p = PatrolProgress()
    p.observe(4.0, 0.02)
    p.observe(2.0, 0.04)
    assert p.visit_s is not None and 3.7 < p.visit_s < 4.0
    assert p.cpu_per_visit_s is not None and 0.02 < p.cpu_per_visit_s < 0.03
