"""The operations view's server side: per-user preferences, compact camera and readiness
views for the map, and the cameras covering a map selection.

Permissions: prefs.own (every role; a user reads and writes only their own preferences).
The map views reuse cameras.read and readiness.read.
"""

from __future__ import annotations

from fastapi import APIRouter

from console.services import Services


class OpsModule:
    """The operations view (landing page of operators and command)."""

    name = "ops"

    def routers(self) -> list[APIRouter]:
        """Preference and operations-view routes."""
        from console.ops.layers_router import router as layers
        from console.ops.prefs_router import router as prefs
        from console.ops.router import router as ops
        from console.ops.selection_router import router as selection

        return [prefs, ops, layers, selection]

    async def start(self, services: Services) -> None:
        """Nothing runs in the background."""

    async def stop(self) -> None:
        """Nothing to stop."""

    async def seed_demo(self, services: Services) -> None:
        """No demo data: a user's layout starts from the built-in default."""
