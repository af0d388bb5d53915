"""The app with its lifespan running on an event loop in a thread, for synchronous drivers
(schemathesis, hypothesis) that must talk to it in-process through ASGI."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
from asgi_lifespan import LifespanManager

from console.app import create_app
from console.demo import DEMO_PASSWORD, seed_demo
from console.modules import installed_modules
from console.services import Services
from console.settings import Settings

T = TypeVar("T")


async def seed_full_demo(settings: Settings) -> None:
    """The demo district with every module's sample data (cameras, drills, GIS)."""
    services = Services.build(settings)
    await services.store.upgrade()
    await seed_demo(services, installed_modules())
    await services.store.close()


class AppHost:
    """Runs the app in a background loop; `call()` runs a coroutine there and waits."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="apphost", daemon=True)
        self.app: Any = None
        self._stop: asyncio.Event | None = None
        self._main: Any = None
        self.client: httpx.AsyncClient | None = None

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        """Run `coro` on the app's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> None:
        """Start the loop, the app's lifespan and an in-process client."""
        self.thread.start()
        ready = threading.Event()

        async def main() -> None:
            self.app = create_app(self.settings)
            self._stop = asyncio.Event()
            async with LifespanManager(self.app, startup_timeout=120, shutdown_timeout=60):
                transport = httpx.ASGITransport(app=self.app, client=("10.9.9.9", 4000))
                self.client = httpx.AsyncClient(
                    transport=transport, base_url="http://testserver", timeout=60
                )
                ready.set()
                await self._stop.wait()
                await self.client.aclose()

        self._main = asyncio.run_coroutine_threadsafe(main(), self.loop)
        if not ready.wait(120):
            self._main.result(1)
            raise RuntimeError("app did not start")

    def stop(self) -> None:
        """Stop the lifespan, then the loop."""
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
            self._main.result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        """One request through the in-process client."""
        client = self.client
        assert client is not None
        request = client.build_request(method, url, **kw)
        # Multipart bodies are streams: load them first so checks can show what was sent.
        request.read()
        return self.call(client.send(request))

    def token(self, username: str) -> str:
        """A bearer token for a demo user, made by the admin through the API."""

        async def make() -> str:
            transport = httpx.ASGITransport(app=self.app, client=("10.9.9.8", 4001))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                r = await c.post(
                    "/api/auth/login", json={"username": "admin", "password": DEMO_PASSWORD}
                )
                r.raise_for_status()
                c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
                users = (await c.get("/api/users")).json()["items"]
                uid = next(u["id"] for u in users if u["username"] == username)
                r = await c.post("/api/tokens", json={"name": f"t-{username}", "user_id": uid})
                r.raise_for_status()
                return str(r.json()["token"])

        return self.call(make())
