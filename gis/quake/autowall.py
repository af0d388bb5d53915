"""Auto-wall: cameras on the shelters and evacuation routes of the hardest-hit communities.

The hardest-hit communities are the top N by displaced residents, then intensity (those
below degree VI are left out). Each camera scores, over what it sees, the weight of the
community concerned (its share of the displaced plus its intensity above V) times 2 for a
shelter in that community's reach and 1 for the community's evacuation route. Cameras that
are offline or degraded are listed with usable=false: they cover a place that matters but
cannot show it; the operator sees the gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gis.quake.exposure import Exposure, IntArray
from gis.quake.intensity import FloatArray

SHELTER_WEIGHT = 2.0
ROUTE_WEIGHT = 1.0
MIN_DEGREE = 6.0


@dataclass
class Suggestion:
    """One suggested camera."""

    camera: int
    score: float
    usable: bool
    shelters: list[int]
    routes: list[int]
    communities: list[int]


def hardest_hit(displaced: FloatArray, intensity: FloatArray, top: int) -> IntArray:
    """Indices of the top communities (intensity >= VI), most displaced first."""
    cand = np.flatnonzero(intensity >= MIN_DEGREE - 0.5)
    order = np.lexsort((-intensity[cand], -displaced[cand]))
    out: IntArray = cand[order][:top].astype(np.int64)
    return out


def suggest(
    ex: Exposure, displaced: FloatArray, intensity: FloatArray, communities: int, cameras: int
) -> tuple[IntArray, list[Suggestion]]:
    """The hardest-hit communities and the ranked cameras for them."""
    hit = hardest_hit(displaced, intensity, communities)
    n = len(ex.community_codes)
    weight = np.zeros(n)
    total = float(displaced[hit].sum()) or 1.0
    weight[hit] = displaced[hit] / total + np.maximum(intensity[hit] - 5.0, 0.0)
    # shelters in reach of hit communities, weighted by the community
    sel = np.isin(ex.pair_community, hit)
    pc, ps = ex.pair_community[sel], ex.pair_shelter[sel]
    s_weight = np.zeros(len(ex.shelter_ids))
    np.maximum.at(s_weight, ps, weight[pc])
    s_owner: dict[int, int] = {}
    for c, s in zip(pc.tolist(), ps.tolist(), strict=True):
        if s not in s_owner or weight[c] > weight[s_owner[s]]:
            s_owner[s] = c
    ncam = len(ex.camera_ids)
    score = np.zeros(ncam)
    sh, cam = ex.shelter_cam
    keep = s_weight[sh] > 0
    np.add.at(score, cam[keep], SHELTER_WEIGHT * s_weight[sh[keep]])
    rt, rcam = ex.route_cam
    rcomm = ex.route_community[rt] if len(rt) else np.zeros(0, dtype=np.int64)
    rkeep = (rcomm >= 0) & (weight[np.maximum(rcomm, 0)] > 0)
    np.add.at(score, rcam[rkeep], ROUTE_WEIGHT * weight[rcomm[rkeep]])
    ranked = np.flatnonzero(score > 0)
    usable = ex.camera_healthy[ranked]
    ranked = ranked[np.lexsort((-score[ranked], ~usable))][:cameras]
    out = []
    for c in ranked.tolist():
        shs = sh[keep][cam[keep] == c].tolist()
        rts = rt[rkeep][rcam[rkeep] == c].tolist()
        comms = sorted({s_owner[s] for s in shs} | {int(ex.route_community[r]) for r in rts})
        out.append(
            Suggestion(
                c, float(score[c]), bool(ex.camera_healthy[c]), sorted(shs), sorted(rts), comms
            )
        )
    return hit, out


def as_rows(ex: Exposure, items: list[Suggestion]) -> list[dict[str, Any]]:
    """JSON rows with ids instead of indices."""
    return [
        {
            "camera_id": ex.camera_ids[s.camera],
            "rank": i + 1,
            "score": round(s.score, 3),
            "usable": s.usable,
            "reason": None if s.usable else "camera offline or degraded: cannot help",
            "shelters": [ex.shelter_ids[j] for j in s.shelters],
            "routes": [ex.route_ids[j] for j in s.routes],
            "communities": [ex.community_codes[j] for j in s.communities],
        }
        for i, s in enumerate(items)
    ]
