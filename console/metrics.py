"""Prometheus metrics on a per-app registry (route templates, never raw paths, as labels)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    """The console's own metrics; domain services add theirs to `registry`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "eoc_http_requests_total",
            "HTTP requests by route template, method and status class.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "eoc_http_request_seconds",
            "HTTP request latency by route template.",
            ["route"],
            registry=self.registry,
        )
        self.ws_clients = Gauge(
            "eoc_ws_clients", "Connected websocket clients.", registry=self.registry
        )
        self.ws_dropped = Counter(
            "eoc_ws_dropped_total", "Websocket clients dropped as too slow.", registry=self.registry
        )
        self.events = Counter(
            "eoc_events_published_total", "Events published on the bus.", registry=self.registry
        )
        self.logins = Counter(
            "eoc_logins_total", "Login attempts by outcome.", ["outcome"], registry=self.registry
        )
