"""Drills API fixtures: the app with the GIS reference features the plans use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgi_lifespan import LifespanManager

from console.app import create_app
from console.settings import Settings
from tests.drills.api import seed_reference


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    """The app with its lifespan running and communities/shelters/routes/teams seeded."""
    application = create_app(settings)
    async with LifespanManager(application):
        await seed_reference(application)
        yield application
