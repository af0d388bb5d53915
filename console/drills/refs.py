"""Plan references checked against the real data: GIS layers and the units table."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console.errors import ProblemError, format_loc
from console.gis import store as gis_store
from console.store.models import Unit
from drills.models import DrillPlan, check_references


@dataclass(frozen=True)
class Known:
    """Ids that exist right now; communities by feature id or by their code."""

    communities: frozenset[str]
    shelters: frozenset[str]
    routes: frozenset[str]
    teams: frozenset[str]
    units: frozenset[str]

    def unknown_communities(self, ids: list[str]) -> list[str]:
        """Ids that are not communities."""
        return [i for i in ids if i not in self.communities]

    def unknown_shelters(self, ids: list[str]) -> list[str]:
        """Ids that are not shelters."""
        return [i for i in ids if i not in self.shelters]

    def unknown_routes(self, ids: list[str]) -> list[str]:
        """Ids that are not routes."""
        return [i for i in ids if i not in self.routes]

    def unknown_teams(self, ids: list[str]) -> list[str]:
        """Ids that are not teams."""
        return [i for i in ids if i not in self.teams]

    def unknown_units(self, ids: list[str]) -> list[str]:
        """Ids that are not units."""
        return [i for i in ids if i not in self.units]


async def _fids(db: AsyncSession, layer: str) -> frozenset[str]:
    return frozenset(f.fid for f in await gis_store.load(db, layer, None))


async def known(db: AsyncSession) -> Known:
    """Load the ids a plan may refer to."""
    comms = await gis_store.load(db, "communities", None)
    codes = {str(f.properties.get("code")) for f in comms if f.properties.get("code")}
    units = frozenset(str(u) for u in (await db.scalars(select(Unit.id))).all())
    return Known(
        communities=frozenset({f.fid for f in comms} | codes),
        shelters=await _fids(db, "shelters"),
        routes=await _fids(db, "routes"),
        teams=await _fids(db, "teams"),
        units=units,
    )


async def check(db: AsyncSession, plan: DrillPlan, prefix: str) -> None:
    """422 naming every field path with unknown ids (all problems at once)."""
    errs = check_references(plan, await known(db))
    if not errs:
        return
    errors = [
        {
            "loc": format_loc([*prefix.split("."), *e.loc]),
            "msg": f"unknown ids: {', '.join(e.params['ids'])}",
            "type": "unknown_reference",
            "ids": e.params["ids"],
        }
        for e in errs
    ]
    detail = "; ".join(f"{e['loc']}: {e['msg']}" for e in errors)
    raise ProblemError(422, detail, code="validation", errors=errors)
