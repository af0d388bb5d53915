"""The services an app holds on `app.state.services`, reached through typed dependencies."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from console.audit import AuditLog
from console.auth.cache import CACHE as PRINCIPALS
from console.auth.ratelimit import LoginThrottle
from console.cluster.caches import Caches
from console.cluster.locks import Leadership
from console.events import EventBus, InProcessBus
from console.metrics import Metrics
from console.settings import Settings
from console.store.engine import Store, prepare_data_dir
from console.units import UnitTree

log = logging.getLogger(__name__)

Hook = Callable[["Services"], Awaitable[None]]


def load_secret(settings: Settings) -> bytes:
    """The server secret: configured, or generated once into the data dir (development)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    prepare_data_dir(settings.data_dir)
    path: Path = settings.data_dir / "secret_key"
    if path.exists():
        return path.read_bytes().strip()
    value = secrets.token_urlsafe(48).encode()
    path.write_bytes(value)
    path.chmod(0o600)
    log.info("generated a new secret key in %s", path)
    return value


def node_name(settings: Settings) -> str:
    """This process's name among the nodes: configured, or host name and pid."""
    return settings.cluster.node_name or f"{socket.gethostname()}-{os.getpid()}"


def make_bus(settings: Settings, node: str) -> EventBus:
    """The configured bus: in-process (one node) or NATS JetStream (several)."""
    if settings.cluster.bus == "nats":
        from console.cluster.nats_bus import NatsBus

        return NatsBus(settings.cluster, node, replay=settings.events.replay_buffer)
    # Ids start at the current time in microseconds so they keep rising across restarts
    # and a reconnecting client's ?since= never points into a new server's future.
    return InProcessBus(replay=settings.events.replay_buffer, start_id=time.time_ns() // 1000)


@dataclass
class Services:
    """Everything long-lived that request handlers need."""

    settings: Settings
    store: Store
    bus: EventBus
    audit: AuditLog
    throttle: LoginThrottle
    metrics: Metrics
    units: UnitTree
    secret: bytes
    node: str
    caches: Caches
    leader: Leadership
    features: set[str] = field(default_factory=set)
    # Feature modules publish their long-lived objects here for typed accessors to fetch.
    extensions: dict[str, object] = field(default_factory=dict)
    on_stop: list[Hook] = field(default_factory=list)

    @property
    def clustered(self) -> bool:
        """Whether several nodes may share this database and bus."""
        return self.settings.cluster.bus == "nats"

    @classmethod
    def build(cls, settings: Settings) -> Services:
        """Create (not start) the services for these settings."""
        store = Store(settings)
        node = node_name(settings)
        bus = make_bus(settings, node)
        sec = settings.security
        units = UnitTree()
        services = cls(
            settings=settings,
            store=store,
            bus=bus,
            audit=AuditLog(store, bus, units),
            throttle=LoginThrottle(
                sec.login_failures_per_account,
                sec.login_failures_per_address,
                sec.login_window_seconds,
                sec.login_delay_seconds,
                sec.login_max_delay_seconds,
            ),
            metrics=Metrics(),
            units=units,
            secret=load_secret(settings),
            node=node,
            caches=Caches(bus, node),
            leader=Leadership(
                store.engine, enabled=settings.cluster.bus == "nats" and not settings.is_sqlite
            ),
        )
        services.caches.register("units", services.reload_units)
        return services

    async def reload_units(self) -> None:
        """Reload the unit tree from the database."""
        async with self.store.session() as db:
            await self.units.load(db)
        # Cached principals carry unit scopes computed from the old tree (a unit made on
        # another node would stay outside its admins' scope until the cache expired).
        PRINCIPALS.invalidate()
