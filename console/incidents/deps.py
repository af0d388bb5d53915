"""Shared route helpers: the service, loading an incident with authorization, problems."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from console.auth.policy import Principal
from console.deps import ServicesDep, check, require
from console.errors import ProblemError
from console.incidents import views
from console.incidents.models import Incident
from console.incidents.service import IncidentService
from console.services import Services

Reader = Annotated[Principal, Depends(require("incidents.read"))]
Writer = Annotated[Principal, Depends(require("incidents.write"))]
Manager = Annotated[Principal, Depends(require("incidents.manage"))]
Ingester = Annotated[Principal, Depends(require("quakes.ingest"))]


def service(services: Services) -> IncidentService:
    """The incident service (started by the module)."""
    svc = services.extensions.get("incidents")
    if not isinstance(svc, IncidentService):
        raise ProblemError(503, "the incidents module is not running", code="unavailable")
    return svc


async def _svc(services: ServicesDep) -> IncidentService:
    return service(services)


SvcDep = Annotated[IncidentService, Depends(_svc)]


async def load(
    services: Services, svc: IncidentService, principal: Principal, inc_id: int, perm: str
) -> Incident:
    """The incident (404) if the caller may `perm` on it (403, audited); writes need the
    owner's scope (sharing lets a unit watch, never change)."""
    inc = await svc.get_incident(inc_id)
    write = perm != "incidents.read"
    await check(services, principal, perm, views.resource(inc, write=write))
    return inc


def bad(loc: str, msg: str, type_: str, status: int = 422) -> ProblemError:
    """A validation problem naming one field."""
    return ProblemError(
        status, f"{loc}: {msg}", code="validation", errors=[{"loc": loc, "msg": msg, "type": type_}]
    )


def open_only(inc: Incident) -> None:
    """Refuse changes to a closed incident."""
    if inc.status != "open":
        raise ProblemError(409, f"incident {inc.id} is closed", code="closed")
