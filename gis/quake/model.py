"""A normalised earthquake report and its validation (ranges documented here).

Accepted ranges:

- latitude -90..90, longitude -180..180 (degrees, WGS84); anything else names the field.
- depth -10..800 km: events above sea level have small negative depths in some catalogues,
  a depth of 0 means "fixed at the surface" and is accepted, and the deepest recorded
  earthquakes are about 750 km, so 700 km is accepted too. The Chinese attenuation
  relations are fitted on shallow crustal events: deeper than 70 km they are left out of
  the ensemble (see gis.quake.intensity), which the assessment says.
- magnitude -2..10: above 10 is physically implausible, below -2 is noise.
- origin time: aware, and no later than now plus a minute of clock skew.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

LAT_RANGE = (-90.0, 90.0)
LON_RANGE = (-180.0, 180.0)
DEPTH_RANGE = (-10.0, 800.0)
MAG_RANGE = (-2.0, 10.0)
FUTURE_SLACK = timedelta(minutes=1)
SHALLOW_KM = 70.0


class QuakeError(ValueError):
    """Bad earthquake input; `errors` holds {loc, msg, type} for each problem."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        first = errors[0] if errors else {"loc": "", "msg": "bad input"}
        super().__init__(f"{first['loc']}: {first['msg']}" if first["loc"] else first["msg"])
        self.errors = errors


def problem(loc: str, msg: str, type_: str) -> dict[str, str]:
    """One error entry."""
    return {"loc": loc, "msg": msg, "type": type_}


@dataclass(frozen=True)
class QuakeReport:
    """One solution of one event from one source (a revision when the source updates it)."""

    source: str
    source_id: str
    origin_time: datetime
    lat: float
    lon: float
    depth_km: float
    magnitude: float
    mag_type: str = "M"
    place: str = ""
    status: str = "automatic"
    updated: datetime | None = None
    alt_ids: tuple[str, ...] = ()
    strike_deg: float | None = None
    is_exercise: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def revised_at(self) -> datetime:
        """When the source produced this revision (origin time when it does not say)."""
        return self.updated or self.origin_time

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "source": self.source,
            "source_id": self.source_id,
            "origin_time": self.origin_time.isoformat(),
            "lat": self.lat,
            "lon": self.lon,
            "depth_km": self.depth_km,
            "magnitude": self.magnitude,
            "mag_type": self.mag_type,
            "place": self.place,
            "status": self.status,
            "updated": self.updated.isoformat() if self.updated else None,
            "alt_ids": list(self.alt_ids),
            "strike_deg": self.strike_deg,
            "is_exercise": self.is_exercise,
        }

    def with_(self, **changes: Any) -> QuakeReport:
        """A copy with some fields changed."""
        return replace(self, **changes)


def check(
    report: QuakeReport,
    now: datetime | None = None,
    names: dict[str, str] | None = None,
    prefix: str = "",
) -> QuakeReport:
    """Validate ranges; errors name the source's own field (via `names`) under `prefix`."""
    now = now or datetime.now(UTC)
    names = names or {}

    def loc(key: str) -> str:
        return prefix + names.get(key, key)

    errors: list[dict[str, str]] = []

    def rng(key: str, value: float, bounds: tuple[float, float], unit: str) -> None:
        lo, hi = bounds
        if not (lo <= value <= hi):  # also catches NaN
            errors.append(
                problem(loc(key), f"{value:g} is outside {lo:g}..{hi:g}{unit}", "out_of_range")
            )

    rng("lat", report.lat, LAT_RANGE, " degrees")
    rng("lon", report.lon, LON_RANGE, " degrees")
    rng("depth_km", report.depth_km, DEPTH_RANGE, " km")
    rng("magnitude", report.magnitude, MAG_RANGE, "")
    if report.strike_deg is not None and not (0.0 <= report.strike_deg <= 360.0):
        errors.append(problem(loc("strike_deg"), "strike must be 0..360 degrees", "out_of_range"))
    if report.origin_time.tzinfo is None:
        errors.append(problem(loc("origin_time"), "time needs a UTC offset", "naive_datetime"))
    elif report.origin_time > now + FUTURE_SLACK:
        errors.append(
            problem(
                loc("origin_time"),
                f"origin time {report.origin_time.isoformat()} is in the future",
                "future",
            )
        )
    if not report.source_id:
        errors.append(problem(loc("source_id"), "an event id is required", "missing"))
    if errors:
        raise QuakeError(errors)
    return report.with_(origin_time=report.origin_time.astimezone(UTC))
