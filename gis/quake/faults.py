"""Which way the long axis runs: operator's strike, the nearest mapped fault, or none (circle)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from gis.quake.intensity import EARTH_KM, FloatArray

GeomArray = npt.NDArray[np.object_]

KM_PER_DEG = math.pi * EARTH_KM / 180.0
DEFAULT_MAX_KM = 50.0


@dataclass(frozen=True)
class Strike:
    """The strike used and where it came from: operator, fault, or circular (none)."""

    strike_deg: float | None
    source: str
    fault_id: str | None = None
    fault_name: str | None = None
    distance_km: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON form, with a sentence saying which."""
        if self.source == "operator":
            text = {
                "en": f"strike {self.strike_deg:g}° entered by the operator",
                "zh-CN": f"走向 {self.strike_deg:g}°（值班员输入）",
            }
        elif self.source == "fault":
            text = {
                "en": f"strike {self.strike_deg:g}° of fault {self.fault_name or self.fault_id} "
                f"{self.distance_km:.1f} km from the epicentre",
                "zh-CN": f"取距震中 {self.distance_km:.1f} 公里的断层"
                f"{self.fault_name or self.fault_id}走向 {self.strike_deg:g}°",
            }
        else:
            text = {
                "en": "no strike known: circular intensity field (mean of long and short axes)",
                "zh-CN": "无断层走向：按圆形烈度场估算（长短轴平均）",
            }
        return {
            "strike_deg": self.strike_deg,
            "source": self.source,
            "fault_id": self.fault_id,
            "fault_name": self.fault_name,
            "distance_km": None if self.distance_km is None else round(self.distance_km, 2),
            "text": text,
        }


def nearest_fault(
    lat0: float,
    lon0: float,
    geoms: GeomArray,
    ids: list[str],
    names: list[str | None],
    strikes: list[float | None],
    max_km: float = DEFAULT_MAX_KM,
) -> Strike:
    """The strike of the fault nearest the epicentre within max_km (its stated strike, else
    the azimuth of its nearest segment, 0..180), or a circular field when none is near."""
    if len(geoms) == 0:
        return Strike(None, "circular")
    xy, owner = shapely.get_coordinates(geoms, return_index=True)
    k = math.cos(math.radians(lat0)) * KM_PER_DEG
    x = (xy[:, 0] - lon0) * k
    y = (xy[:, 1] - lat0) * KM_PER_DEG
    seg = np.flatnonzero(owner[1:] == owner[:-1])
    if len(seg) == 0:
        return Strike(None, "circular")
    ax, ay, bx, by = x[seg], y[seg], x[seg + 1], y[seg + 1]
    dx, dy = bx - ax, by - ay
    ll = np.maximum(dx * dx + dy * dy, 1e-12)
    t = np.clip(-(ax * dx + ay * dy) / ll, 0.0, 1.0)
    dist: FloatArray = np.hypot(ax + t * dx, ay + t * dy)
    best = int(np.argmin(dist))
    if dist[best] > max_km:
        return Strike(None, "circular")
    f = int(owner[seg[best]])
    stated = strikes[f]
    strike = (
        float(stated) % 360.0
        if stated is not None
        else round(math.degrees(math.atan2(dx[best], dy[best])) % 180.0, 1)
    )
    return Strike(strike, "fault", ids[f], names[f], float(dist[best]))
