"""Readiness API: ranked communities with components and trends, detail, CSV, recompute."""

from __future__ import annotations

import io
import time
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Request, Response

from console import csvsafe
from console.audit import Actor
from console.auth.policy import Principal
from console.deps import DbDep, ServicesDep, require
from console.errors import ProblemError
from console.gis.module import CACHE
from console.gis.readiness import ReadinessService
from console.gis.readiness_data import State
from console.services import Services
from console.viewcache import cached_json
from gis import analysis
from gis import readiness as model

router = APIRouter(prefix="/api", tags=["readiness"])
Reader = Annotated[Principal, Depends(require("readiness.read"))]
Recomputer = Annotated[Principal, Depends(require("readiness.recompute"))]


def readiness(services: Services) -> ReadinessService:
    """The running readiness service (503 when the GIS module is not started)."""
    svc = services.extensions.get("readiness")
    if not isinstance(svc, ReadinessService):
        raise ProblemError(503, "readiness is not running", code="not-running")
    return svc


def _row(st: State, i: int, cfg: model.ReadinessConfig) -> dict[str, Any]:
    """One community as the list and CSV show it."""
    drill = st.drills[i] if st.drills is not None else None
    return st.communities[i] | model.explain(i, st.metrics, st.scores, st.total, cfg, drill)


# The explained rows and trends of the current state, built once per state rather than per
# request (a state is replaced, never changed, when anything is recomputed).
_MEMO: dict[str, Any] = {"state": None, "revision": -1, "rows": [], "trends": {}, "at": 0.0}
TRENDS_TTL_S = 10.0


async def _explained(svc: ReadinessService, st: State) -> tuple[list[dict[str, Any]], Any]:
    now = time.monotonic()
    if _MEMO["state"] is not st or _MEMO["revision"] != st.revision:
        rows = [_row(st, i, svc.cfg) for i in range(len(st.communities))]
        _MEMO.update(state=st, revision=st.revision, rows=rows)
        _MEMO["at"] = 0.0
    if now - _MEMO["at"] > TRENDS_TTL_S:
        _MEMO["trends"] = await svc.trends([c["code"] for c in st.communities])
        _MEMO["at"] = now
    return _MEMO["rows"], _MEMO["trends"]


@router.get("/readiness")
async def list_readiness(
    request: Request,
    principal: Reader,
    services: ServicesDep,
    street_office: str | None = None,
    component: str | None = None,
    sort: Literal["asc", "desc"] = "asc",
) -> Response:
    """Communities ranked by score (weakest first by default) or by one component."""
    if component is not None and component not in model.COMPONENTS:
        msg = f"component must be one of {', '.join(model.COMPONENTS)}"
        raise ProblemError(
            422,
            msg,
            code="validation",
            errors=[{"loc": "query.component", "msg": msg, "type": "enum"}],
        )
    svc = readiness(services)
    st = await svc.current()
    explained, trends = await _explained(svc, st)
    # Not unit-scoped (every reader sees every community): the body changes only with the
    # computed state, its trends and the weights.
    stamp = (id(st), st.revision, st.computed_at, _MEMO["at"], svc.cfg.weights.model_dump_json())
    key = ("readiness.list", street_office, component, sort)

    async def build() -> dict[str, Any]:
        return _ranked(svc, st, explained, trends, street_office, component, sort)

    return await cached_json(request, services, key, stamp, build, max_age_s=None)


def _ranked(
    svc: ReadinessService,
    st: State,
    explained: list[dict[str, Any]],
    trends: Any,
    street_office: str | None,
    component: str | None,
    sort: str,
) -> dict[str, Any]:
    rows = [
        dict(r) for r in explained if street_office is None or r["street_office"] == street_office
    ]

    def key(r: dict[str, Any]) -> float | None:
        v = r["components"][component]["score"] if component else r["score"]
        return None if v is None else float(v)

    known = sorted((r for r in rows if key(r) is not None), key=lambda r: (key(r), r["code"]))
    if sort == "desc":
        known.reverse()
    ranked = known + [r for r in rows if key(r) is None]
    for r in ranked:
        r["trend"] = trends.get(r["code"], [])
    return {
        "computed_at": st.computed_at.isoformat(),
        "weights": svc.cfg.weights.model_dump(),
        "communities": ranked,
    }


@router.get("/readiness.csv")
async def readiness_csv(principal: Reader, services: ServicesDep) -> Response:
    """One row per community with its score and components (UTF-8 with BOM for Excel)."""
    svc = readiness(services)
    st = await svc.current()
    buf = io.StringIO()
    w = csvsafe.writer(buf)
    w.writerow(
        [
            "code",
            "name",
            "street_office",
            "population",
            "households",
            "score",
            *model.COMPONENTS,
            "missing",
            "weakest",
            "weakest_en",
            "weakest_zh",
        ]
    )
    for i in np.argsort(st.total)[::-1] if len(st.total) else []:
        r = _row(st, int(i), svc.cfg)
        weak = r["weakest"] or {"component": "", "text": {"en": "", "zh-CN": ""}}
        w.writerow(
            [
                r["code"],
                r["name"],
                r["street_office"] or "",
                r["population"],
                r["households"],
                "" if r["score"] is None else r["score"],
                *(
                    "" if (s := r["components"][c]["score"]) is None else s
                    for c in model.COMPONENTS
                ),
                " ".join(r["missing"]),
                weak["component"],
                weak["text"]["en"],
                weak["text"]["zh-CN"],
            ]
        )
    headers = {"Content-Disposition": 'attachment; filename="readiness.csv"'}
    return Response(
        "\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8", headers=headers
    )


@router.get("/readiness/{code}")
async def readiness_detail(code: str, principal: Reader, services: ServicesDep) -> dict[str, Any]:
    """One community with the inputs behind its score: shelters, kits, teams, routes, cameras."""
    svc = readiness(services)
    st = await svc.current()
    i = st.index.get(code)
    if i is None:
        raise ProblemError(
            404,
            f"community {code} not found",
            code="not-found",
            errors=[{"loc": "path.code", "msg": f"no community {code}", "type": "not_found"}],
        )
    out = _row(st, i, svc.cfg)
    m = st.metrics
    cams: dict[int, list[str]] = {}
    for s, c in zip(m.watch_shelter, m.watch_camera, strict=True):
        cams.setdefault(int(s), []).append(st.layers.camera_ids[int(c)])
    shelters = []
    for r in analysis.shelters_of(m, i):
        j = r.pop("shelter")
        shelters.append(st.shelters[j] | r | {"cameras": cams.get(j, [])})
    route_cams: dict[int, list[str]] = {}
    for k, c in zip(m.watch_route, m.watch_route_camera, strict=True):
        route_cams.setdefault(int(k), []).append(st.layers.camera_ids[int(c)])
    routes = [
        st.routes[k]
        | {
            "length_m": round(float(m.route_len[k]), 1),
            "watched_m": round(float(m.route_watched[k]), 1),
            "cameras": sorted(route_cams.get(int(k), [])),
        }
        for k in np.flatnonzero(m.route_community == i)
    ]
    nearest = int(m.nearest_shelter[i])
    out |= {
        "shelters": shelters,
        "nearest_shelter": st.shelters[nearest] if nearest >= 0 else None,
        "teams": [t for t in st.teams if t.get("community_code") == code],
        "routes": routes,
        "cameras": sorted({c for s in shelters for c in s["cameras"]}),
        "trend": (await svc.trends([code]))[code],
        "computed_at": st.computed_at.isoformat(),
    }
    return out


@router.post("/readiness/recompute")
async def recompute(principal: Recomputer, services: ServicesDep, db: DbDep) -> dict[str, Any]:
    """Recompute every community now; returns counts and time taken."""
    result = await readiness(services).recompute()
    # The other nodes recompute too (their state answers their requests).
    await services.caches.invalidate(CACHE, reload_here=False)
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "readiness.recompute",
        target_type="readiness",
        target_id="all",
        detail=result,
    )
    await db.commit()
    await services.audit.announce(entry)
    return result
