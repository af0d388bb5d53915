"""Drills API fixtures: the app with the GIS reference features the plans use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from asgi_lifespan import LifespanManager

from console.app import create_app
from console.settings import Settings
from tests.conftest import make_settings
from tests.drills.api import seed_reference


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """These tests walk workflows as one user, so separation of duties (the submitter may not
    approve) is off here; tests/core/test_relations.py tests it on, as it is by default."""
    return make_settings(data_dir, drills={"separate_approval": False})


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    """The app with its lifespan running and communities/shelters/routes/teams seeded."""
    application = create_app(settings)
    async with LifespanManager(application):
        await seed_reference(application)
        yield application
