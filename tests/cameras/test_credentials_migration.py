"""Cameras stored before credentials had fields: their URLs are split at start-up."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from console.app import create_app
from console.cameras.models import Camera
from console.cameras.secrets import UrlVault
from console.services import Services
from tests.conftest import login, make_settings


@pytest.mark.asyncio
async def test_stored_urls_split_on_start(data_dir: Path) -> None:
    settings = make_settings(data_dir)
    services = Services.build(settings)
    await services.store.upgrade()
    vault = UrlVault(services.secret)
    old = "http://10.0.0.7/snap.cgi?user=admin&psw=Old#Pw/1&ch=1"
    async with services.store.session() as db, db.begin():
        db.add(
            Camera(
                id="legacy-1",
                name="legacy",
                owner_unit_id=1,
                main_url_enc=vault.seal(old),
                main_url_masked="http://10.0.0.7/snap.cgi?user=admin&psw=Old#Pw/1&ch=1",
                credentials_split=False,
                tags=[],
            )
        )
    await services.store.close()
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            await login(c, "admin")
            cam = (await c.get("/api/cameras/legacy-1")).json()
        async with app.state.services.store.session() as db:
            row = await db.get(Camera, "legacy-1")
            assert row is not None and row.credentials_split
            assert vault.open(row.password_enc or "") == "Old#Pw/1"
            assert vault.open(row.username_enc or "") == "admin"
            assert "Old" not in vault.open(row.main_url_enc)
    assert cam["main_url"] == "http://10.0.0.7/snap.cgi?user=***&psw=***&ch=1"
    assert cam["has_credentials"] is True
