"""Availability per camera and per unit over a window, from status intervals."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from console.health.models import StatusInterval


@dataclass
class Tally:
    """Seconds spent in each status within the window."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, status: str, secs: float) -> None:
        """Count `secs` in `status`."""
        self.seconds[status] += secs

    def merge(self, other: Tally) -> None:
        """Add another tally."""
        for k, v in other.seconds.items():
            self.seconds[k] += v

    @property
    def observed(self) -> float:
        """Seconds with a known status (unknown time is not held against the camera)."""
        return sum(v for k, v in self.seconds.items() if k != "unknown")

    def as_dict(self) -> dict[str, float | None]:
        """Online % (ok, learning or degraded), healthy % (ok or learning), observed hours."""
        obs = self.observed
        # A camera learning its view is online and shows no known fault.
        healthy = self.seconds["ok"] + self.seconds["learning"]
        online = healthy + self.seconds["degraded"]
        return {
            "online_pct": round(100 * online / obs, 2) if obs else None,
            "healthy_pct": round(100 * healthy / obs, 2) if obs else None,
            "observed_h": round(obs / 3600, 3),
            "offline_h": round(self.seconds["offline"] / 3600, 3),
        }


def tally(intervals: Iterable[StatusInterval], start: datetime, end: datetime) -> dict[str, Tally]:
    """Per-camera tallies of the intervals clipped to [start, end)."""
    out: dict[str, Tally] = defaultdict(Tally)
    for iv in intervals:
        a = max(iv.started_at, start)
        b = min(iv.ended_at or end, end)
        if b > a:
            out[iv.camera_id].add(iv.status, (b - a).total_seconds())
    return out
