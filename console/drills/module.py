"""The drills feature module: routes, permissions and the reminder task.

Permissions (console.auth.policy.RIGHTS): drills.read for every role; drills.write (plan and
report editing) for admin and coordinator of the organising unit and the units above it;
drills.run (workflow transitions, live control) for them and the operator, whose transitions
drills.workflow.TRANSITIONS limits to running a drill live (start, complete, abort);
participating units read, add observer notes and (admin, coordinator) timeline entries while
the drill runs.
"""

from __future__ import annotations

from fastapi import APIRouter

from console.services import Services


class DrillsModule:
    """Drill plans, scheduling, live mode, after-action reports and compliance."""

    name = "drills"

    def routers(self) -> list[APIRouter]:
        """Drill routes; fixed paths first so /api/drills/{id} does not shadow them."""
        from console.drills.actions_router import router as actions
        from console.drills.compliance_router import router as compliance
        from console.drills.feeds_router import router as feeds
        from console.drills.live_router import router as live
        from console.drills.report_router import router as report
        from console.drills.router import router as plans
        from console.drills.schedule_router import router as schedule

        return [feeds, schedule, compliance, actions, report, live, plans]

    async def start(self, services: Services) -> None:
        """Load the configuration and start the reminder task."""
        from console.drills.config import config
        from console.drills.reminders import run
        from console.drills.service import backfill_bounds

        config(services)
        await backfill_bounds(services)
        # One node sends reminders (the leader); the sent-reminder rows keep them to one each.
        services.leader.run("drill-reminders", lambda: run(services))

    async def stop(self) -> None:
        """Nothing of its own: the reminder job stops with the node's leaderships."""

    async def seed_demo(self, services: Services) -> None:
        """Demo drills in the demo district."""
        from console.drills.demo import seed

        await seed(services)
