"""Drills feature module: plans, workflow, conflicts and the live timeline."""
