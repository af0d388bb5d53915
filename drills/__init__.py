"""Drills domain: plans, workflow, scheduling, iCalendar, compliance, live timeline, AAR."""

from drills.errors import DrillError

__all__ = ["DrillError"]
