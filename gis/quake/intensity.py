"""Intensity from attenuation relations (coefficients in data/relations.json), and the ensemble.

Elliptical relations: with a fault strike, a site at along-strike offset a and across-strike
offset b (km) has the intensity I of the ellipse through it, (a/Ra(I))^2 + (b/Rb(I))^2 = 1,
where Ra, Rb invert the long- and short-axis relations; it is found by bisection between
the short- and long-axis intensities at the site's distance (vectorised). Without a strike
the field is circular: the mean of the long- and short-axis intensities at that distance.

Allen, Wald & Worden (2012) uses the hypocentral distance and is circular; its MMI is taken
as the Chinese degree (see data/relations.json "mmi_to_chinese").

The ensemble is the median of the relations used, with their minimum and maximum as spread.
Deeper than 70 km the Chinese (shallow crustal) relations are left out and the notes say so.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from gis.quake.model import SHALLOW_KM

FloatArray = npt.NDArray[np.float64]
DATA = Path(__file__).resolve().parent / "data"
EARTH_KM = 6371.0088
BISECT_STEPS = 16
GRID_KM = 0.25
ROMAN = ("", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


@dataclass(frozen=True)
class Axis:
    """I = A + B*M + C*lg(R + R0) along one axis."""

    A: float
    B: float
    C: float
    R0: float

    def intensity(self, mag: float, r_km: FloatArray) -> FloatArray:
        """Intensity at distance r along this axis."""
        out: FloatArray = self.A + self.B * mag + self.C * np.log10(r_km + self.R0)
        return out

    def radius(self, mag: float, intensity: FloatArray) -> FloatArray:
        """Distance at which this axis reaches `intensity` (<= 0: not reached anywhere)."""
        out: FloatArray = 10.0 ** ((intensity - self.A - self.B * mag) / self.C) - self.R0
        return out


@dataclass(frozen=True)
class Relation:
    """One attenuation relation with its citation."""

    id: str
    name: str
    name_zh: str
    kind: str
    scale: str
    citation: str
    checked: str
    sigma: float | None = None
    long: Axis | None = None
    short: Axis | None = None
    coeffs: dict[str, float] = field(default_factory=dict)

    @property
    def elliptical(self) -> bool:
        """Whether the relation has long and short axes."""
        return self.kind == "elliptical"

    def info(self) -> dict[str, Any]:
        """JSON-ready description (the figures' inputs)."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "name_zh": self.name_zh,
            "kind": self.kind,
            "scale": self.scale,
            "sigma": self.sigma,
            "citation": self.citation,
            "checked": self.checked,
        }
        if self.long and self.short:
            out["long"] = vars(self.long)
            out["short"] = vars(self.short)
        if self.coeffs:
            out["coefficients"] = self.coeffs
        return out


def _relation(d: dict[str, Any]) -> Relation:
    kw = {k: d[k] for k in ("id", "name", "name_zh", "kind", "scale", "citation", "checked")}
    if d["kind"] == "elliptical":
        return Relation(
            **kw, sigma=d.get("sigma"), long=Axis(**d["long"]), short=Axis(**d["short"])
        )
    if d["kind"] == "aww2012_rhypo":
        return Relation(**kw, coeffs={k: float(v) for k, v in d["coefficients"].items()})
    raise ValueError(f"relation {d.get('id')}: unknown kind {d['kind']!r}")


@cache
def relations(path: Path | None = None) -> dict[str, Relation]:
    """Every relation in the data file, by id."""
    doc = json.loads((path or DATA / "relations.json").read_text(encoding="utf-8"))
    return {r["id"]: _relation(r) for r in doc["relations"]}


def mmi_rule() -> dict[str, str]:
    """How MMI maps onto the Chinese scale (from the data file)."""
    doc = json.loads((DATA / "relations.json").read_text(encoding="utf-8"))
    return dict(doc["mmi_to_chinese"])


def offsets(
    lat0: float, lon0: float, lat: FloatArray, lon: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Great-circle distance (km) and azimuth (degrees from north) from the epicentre."""
    p1, p2 = math.radians(lat0), np.radians(lat)
    dl = np.radians(lon - lon0)
    h = np.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    dist = 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    y = np.sin(dl) * np.cos(p2)
    x = math.cos(p1) * np.sin(p2) - math.sin(p1) * np.cos(p2) * np.cos(dl)
    return dist, np.degrees(np.arctan2(y, x)) % 360.0


def destination(
    lat0: float, lon0: float, az_deg: FloatArray, dist_km: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Points at a distance and azimuth from the epicentre (lat, lon)."""
    p1, l1 = math.radians(lat0), math.radians(lon0)
    th, d = np.radians(az_deg), dist_km / EARTH_KM
    p2 = np.arcsin(math.sin(p1) * np.cos(d) + math.cos(p1) * np.sin(d) * np.cos(th))
    l2 = l1 + np.arctan2(
        np.sin(th) * np.sin(d) * math.cos(p1), np.cos(d) - math.sin(p1) * np.sin(p2)
    )
    return np.degrees(p2), (np.degrees(l2) + 540.0) % 360.0 - 180.0


def evaluate(
    rel: Relation,
    mag: float,
    depth_km: float,
    dist: FloatArray,
    az: FloatArray,
    strike: float | None,
) -> FloatArray:
    """Intensity of one relation at sites given by distance and azimuth from the epicentre."""
    if not rel.elliptical:
        return _aww(rel.coeffs, mag, np.hypot(dist, max(depth_km, 0.0)))
    assert rel.long is not None and rel.short is not None
    lo = rel.short.intensity(mag, dist)
    hi = rel.long.intensity(mag, dist)
    if strike is None:
        out: FloatArray = (lo + hi) / 2.0
        return out
    t = np.radians(az - strike)
    a, b = np.abs(dist * np.cos(t)), np.abs(dist * np.sin(t))
    lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    for _ in range(BISECT_STEPS):
        mid = (lo + hi) / 2.0
        ra = rel.long.radius(mag, mid)
        rb = rel.short.radius(mag, mid)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where((ra > 0) & (rb > 0), (a / ra) ** 2 + (b / rb) ** 2, np.inf)
        outside = g > 1.0
        hi = np.where(outside, mid, hi)
        lo = np.where(outside, lo, mid)
    res: FloatArray = (lo + hi) / 2.0
    return res


def _aww(c: dict[str, float], mag: float, rhyp: FloatArray) -> FloatArray:
    rm = c["m1"] + c["m2"] * math.exp(mag - 5.0)
    out = c["c0"] + c["c1"] * mag + c["c2"] * np.log(np.sqrt(rhyp**2 + rm**2))
    far = rhyp > 50.0
    out = np.where(far, out + c["c4"] * np.log(np.maximum(rhyp, 50.0) / 50.0), out)
    res: FloatArray = np.asarray(out, dtype=float)
    return res


@dataclass
class Ensemble:
    """Intensity per site: each relation, the median and the spread."""

    used: list[str]
    values: FloatArray  # (relations, sites)
    median: FloatArray
    low: FloatArray
    high: FloatArray
    notes: list[str]


def choose(ids: list[str], depth_km: float) -> tuple[list[Relation], list[str]]:
    """The relations to use for this depth, with notes on the ones left out."""
    table = relations()
    unknown = [i for i in ids if i not in table]
    if unknown:
        raise ValueError(f"unknown attenuation relation(s): {', '.join(unknown)}")
    chosen = [table[i] for i in ids]
    notes: list[str] = []
    if depth_km > SHALLOW_KM:
        kept = [r for r in chosen if not r.elliptical]
        if kept and len(kept) < len(chosen):
            notes.append(
                f"depth {depth_km:g} km is deeper than {SHALLOW_KM:g} km: the Chinese "
                "elliptical relations (shallow crustal) are left out"
            )
            chosen = kept
        elif not kept:
            notes.append(
                f"depth {depth_km:g} km is deeper than {SHALLOW_KM:g} km: the elliptical "
                "relations are fitted on shallow events and likely overestimate"
            )
    return chosen, notes


def ensemble(
    ids: list[str],
    mag: float,
    depth_km: float,
    lat0: float,
    lon0: float,
    lat: FloatArray,
    lon: FloatArray,
    strike: float | None,
) -> Ensemble:
    """Every chosen relation at every site, their median and spread."""
    chosen, notes = choose(ids, depth_km)
    dist, az = offsets(lat0, lon0, lat, lon)
    vals = np.stack([evaluate(r, mag, depth_km, dist, az, strike) for r in chosen])
    return Ensemble(
        used=[r.id for r in chosen],
        values=vals,
        median=np.median(vals, axis=0),
        low=vals.min(axis=0),
        high=vals.max(axis=0),
        notes=notes,
    )


def median_at(
    ids: list[str],
    mag: float,
    depth_km: float,
    lat0: float,
    lon0: float,
    lat: FloatArray,
    lon: FloatArray,
    strike: float | None,
    cell_km: float = GRID_KM,
) -> FloatArray:
    """Ensemble median at many sites (buildings): evaluated on a grid of cell_km over their
    extent and interpolated bilinearly when that is fewer evaluations, else directly.

    The intensity gradient is under 0.1 degree per km beyond the first kilometre of any
    relation here, so a 250 m grid changes a building's intensity by a few hundredths."""
    if len(lat) == 0:
        return np.zeros(0)
    y0, y1 = float(lat.min()), float(lat.max())
    x0, x1 = float(lon.min()), float(lon.max())
    dy = cell_km / (math.pi * EARTH_KM / 180.0)
    dx = dy / max(math.cos(math.radians((y0 + y1) / 2)), 0.01)
    ny, nx = int((y1 - y0) / dy) + 2, int((x1 - x0) / dx) + 2
    if ny * nx * 2 >= len(lat):
        return ensemble(ids, mag, depth_km, lat0, lon0, lat, lon, strike).median
    gy, gx = y0 + np.arange(ny) * dy, x0 + np.arange(nx) * dx
    glat, glon = np.meshgrid(gy, gx, indexing="ij")
    grid = ensemble(ids, mag, depth_km, lat0, lon0, glat.ravel(), glon.ravel(), strike)
    g = grid.median.reshape(ny, nx)
    fy, fx = (lat - y0) / dy, (lon - x0) / dx
    iy = np.clip(fy.astype(np.int64), 0, ny - 2)
    ix = np.clip(fx.astype(np.int64), 0, nx - 2)
    wy, wx = fy - iy, fx - ix
    top = g[iy, ix] * (1 - wx) + g[iy, ix + 1] * wx
    bot = g[iy + 1, ix] * (1 - wx) + g[iy + 1, ix + 1] * wx
    out: FloatArray = top * (1 - wy) + bot * wy
    return out


def degree(intensity: FloatArray) -> npt.NDArray[np.int64]:
    """Whole degree I..XII (rounded, clipped)."""
    out: npt.NDArray[np.int64] = np.clip(np.rint(intensity), 1, 12).astype(np.int64)
    return out
