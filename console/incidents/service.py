"""Earthquake intake and incident lifecycle: dedup, thresholds, revisions, timeline, events."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console.audit import Actor
from console.errors import ProblemError
from console.events import Audience
from console.incidents import views
from console.incidents.compute import Assessor
from console.incidents.models import Incident, QuakeEvent, QuakeReportRow, TimelineEntry
from console.services import Services
from console.store.models import Unit
from gis.quake import assess, dedup
from gis.quake.intensity import ROMAN
from gis.quake.model import QuakeReport

log = logging.getLogger(__name__)
EVENTS = Audience(permission=views.PERMISSION)
WINDOW = timedelta(days=3)


def report_of(row: dict[str, Any]) -> QuakeReport:
    """A stored report back as a QuakeReport."""

    def t(v: str | None) -> datetime | None:
        return datetime.fromisoformat(v) if v else None

    return QuakeReport(
        source=row["source"],
        source_id=row["source_id"],
        origin_time=datetime.fromisoformat(row["origin_time"]),
        lat=row["lat"],
        lon=row["lon"],
        depth_km=row["depth_km"],
        magnitude=row["magnitude"],
        mag_type=row.get("mag_type", "M"),
        place=row.get("place", ""),
        status=row.get("status", "automatic"),
        updated=t(row.get("updated")),
        alt_ids=tuple(row.get("alt_ids") or ()),
        strike_deg=row.get("strike_deg"),
        is_exercise=bool(row.get("is_exercise")),
    )


def _apply(ev: QuakeEvent, sol: QuakeReport) -> None:
    ev.origin_time, ev.lat, ev.lon = sol.origin_time, sol.lat, sol.lon
    ev.depth_km, ev.magnitude, ev.mag_type = sol.depth_km, sol.magnitude, sol.mag_type
    ev.place, ev.source, ev.solution = sol.place, sol.source, sol.as_dict()


class IncidentService:
    """Turns reports into events and incidents, keeps assessments and the timeline."""

    def __init__(self, services: Services, assessor: Assessor) -> None:
        self.services = services
        self.assessor = assessor
        self.cfg = services.settings.incidents
        self._ingest = asyncio.Lock()

    # ---- intake -----------------------------------------------------------------------
    async def ingest(
        self,
        reports: list[QuakeReport],
        actor: Actor,
        via: str,
        force_open: bool = False,
        drill_id: str | None = None,
        scenario_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """File each report under its event; open or update incidents. Returns outcomes."""
        out = []
        async with self._ingest:
            for rep in reports:
                out.append(await self._one(rep, actor, via, force_open, drill_id, scenario_id))
        return out

    async def _candidates(self, db: AsyncSession, rep: QuakeReport) -> list[QuakeEvent]:
        rows = await db.scalars(
            select(QuakeEvent).where(
                QuakeEvent.is_exercise.is_(rep.is_exercise),
                QuakeEvent.origin_time >= rep.origin_time - WINDOW,
                QuakeEvent.origin_time <= rep.origin_time + WINDOW,
            )
        )
        return list(rows)

    async def _one(
        self,
        rep: QuakeReport,
        actor: Actor,
        via: str,
        force_open: bool,
        drill_id: str | None,
        scenario_id: int | None,
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        async with self.services.store.session() as db:
            cands = await self._candidates(db, rep)
            refs = [
                dedup.EventRef(str(e.id), report_of(e.solution), set(e.ids), e.is_exercise)
                for e in cands
            ]
            ref, why = dedup.find(rep, refs)
            ev = next((e for e in cands if ref and str(e.id) == ref.key), None)
            changes: list[dict[str, Any]] = []
            if ev is None:
                ev = QuakeEvent(is_exercise=rep.is_exercise, status="logged", revisions=1)
                _apply(ev, rep)
                ev.ids = sorted(dedup.ids_of(rep))
                ev.decision = {}
                db.add(ev)
                await db.flush()
                outcome = "new"
            else:
                held = [
                    report_of(r.report)
                    for r in await db.scalars(
                        select(QuakeReportRow).where(
                            QuakeReportRow.event_id == ev.id,
                            QuakeReportRow.is_exercise.is_(ev.is_exercise),
                        )
                    )
                ]
                if dedup.is_duplicate(rep, held):
                    outcome = "duplicate"
                elif dedup.is_stale(rep, held):
                    outcome = "stale"
                else:
                    before = report_of(ev.solution)
                    sol = dedup.preferred([*held, rep])
                    changes = dedup.changes(before, sol)
                    _apply(ev, sol)
                    ev.ids = sorted(set(ev.ids) | dedup.ids_of(rep))
                    ev.revisions += 1
                    outcome = "applied"
            db.add(
                QuakeReportRow(
                    event_id=ev.id,
                    is_exercise=rep.is_exercise,
                    source=rep.source,
                    source_id=rep.source_id,
                    revised_at=rep.revised_at,
                    report=rep.as_dict(),
                    outcome=outcome,
                    changes=changes,
                )
            )
            entry = self.services.audit.add(
                db,
                actor,
                "quake.report",
                target_type="quake_event",
                target_id=ev.id,
                detail={
                    "via": via,
                    "source": rep.source,
                    "source_id": rep.source_id,
                    "outcome": outcome,
                    "match": why,
                    "is_exercise": rep.is_exercise,
                },
            )
            await db.commit()
            await db.refresh(ev)
        await self.services.audit.announce(entry)
        result: dict[str, Any] = {
            "event_id": ev.id,
            "outcome": outcome,
            "match": why,
            "changes": changes,
            "source_id": rep.source_id,
        }
        if outcome in ("duplicate", "stale"):
            return views.mark(ev.is_exercise, result)
        inc = await self._after_change(ev, changes, actor, now, force_open, drill_id, scenario_id)
        result["incident_id"] = inc.id if inc else None
        return views.mark(ev.is_exercise, result)

    async def _after_change(
        self,
        ev: QuakeEvent,
        changes: list[dict[str, Any]],
        actor: Actor,
        now: datetime,
        force_open: bool,
        drill_id: str | None,
        scenario_id: int | None,
    ) -> Incident | None:
        decision = await self.assessor.decide(ev, now)
        async with self.services.store.session() as db, db.begin():
            row = await db.get(QuakeEvent, ev.id)
            assert row is not None
            row.decision = decision
            ev = row
        await self.services.bus.publish("quake.event", views.event_dict(ev), audience=EVENTS)
        if ev.incident_id is not None:
            inc = await self.get_incident(ev.incident_id, ev.is_exercise)
            if changes:
                await self.revise(inc, ev, changes, actor)
            return inc
        if decision["open"] or force_open:
            return await self.open(ev.id, actor, drill_id=drill_id, scenario_id=scenario_id)
        return None

    # ---- incidents --------------------------------------------------------------------
    async def get_incident(self, inc_id: int, is_exercise: bool | None = None) -> Incident:
        """An incident or a 404."""
        async with self.services.store.session() as db:
            inc = await db.get(Incident, inc_id)
        if inc is None or (is_exercise is not None and inc.is_exercise != is_exercise):
            raise ProblemError(404, f"incident {inc_id} not found", code="not-found")
        return inc

    async def event_of(self, inc: Incident) -> QuakeEvent:
        """The incident's event; its exercise flag must match the incident's."""
        async with self.services.store.session() as db:
            ev = await db.get(QuakeEvent, inc.event_id)
        if ev is None or ev.is_exercise != inc.is_exercise:
            raise ProblemError(409, "incident and event disagree", code="conflict")
        return ev

    async def _owner(self, db: AsyncSession) -> tuple[int, list[int]]:
        """The district (root unit) and its departments other than street offices."""
        root = await db.scalar(select(Unit.id).where(Unit.parent_id.is_(None)).order_by(Unit.id))
        if root is None:
            raise ProblemError(409, "no unit exists to own the incident", code="no-unit")
        deps = await db.scalars(
            select(Unit.id).where(Unit.parent_id == root, Unit.kind != "street_office")
        )
        return int(root), sorted(int(u) for u in deps)

    async def _involved(self, db: AsyncSession, a: assess.Assessment) -> list[int]:
        """Units whose street office has a community at degree VI or more."""
        st = await self.assessor.readiness.current()
        hit = np.flatnonzero(a.comm.median >= 5.5)
        offices = {
            str(st.communities[i].get("street_office") or "")
            for i in hit.tolist()
            if i < len(st.communities)
        } - {""}
        if not offices:
            return []
        units = (await db.execute(select(Unit.id, Unit.name))).all()
        return sorted(int(u) for u, name in units if any(name.startswith(o) for o in offices))

    async def open(
        self,
        event_id: int,
        actor: Actor,
        drill_id: str | None = None,
        scenario_id: int | None = None,
    ) -> Incident:
        """Open the event's incident; an event already open returns its incident (one only)."""
        async with self.services.store.session() as db:
            ev = await db.get(QuakeEvent, event_id)
            if ev is None:
                raise ProblemError(404, f"earthquake event {event_id} not found", code="not-found")
            if ev.incident_id is not None:
                inc = await db.get(Incident, ev.incident_id)
                assert inc is not None
                return inc
        text = f"M{ev.magnitude:g} {ev.place or f'{ev.lat:.2f},{ev.lon:.2f}'}"
        async with self.services.store.session() as db, db.begin():
            ev2 = await db.get(QuakeEvent, event_id, with_for_update=True)
            assert ev2 is not None
            if ev2.incident_id is not None:  # opened meanwhile
                inc2 = await db.get(Incident, ev2.incident_id)
                assert inc2 is not None
                return inc2
            owner, responders = await self._owner(db)
            inc = Incident(
                is_exercise=ev.is_exercise,
                event_id=ev.id,
                title=views.title(ev.is_exercise, text),
                status="open",
                owner_unit_id=owner,
                responder_unit_ids=responders,
                unit_ids=[],
                strike={},
                summary={},
                revision=1,
                drill_id=drill_id,
                scenario_id=scenario_id,
                opened_by=actor.name,
            )
            db.add(inc)
            await db.flush()
            ev2.incident_id, ev2.status = inc.id, "opened"
            entry = self.services.audit.add(
                db,
                actor,
                "incident.open",
                target_type="incident",
                target_id=inc.id,
                detail={"event_id": ev.id, "is_exercise": ev.is_exercise, "drill_id": drill_id},
            )
        await self.services.audit.announce(entry)
        a, _ = await self.assessor.assessment(inc, ev2)
        async with self.services.store.session() as db, db.begin():
            row = await db.get(Incident, inc.id)
            assert row is not None
            row.unit_ids = await self._involved(db, a)
            row.strike = a.quake.strike.as_dict()
            row.summary = self.summary(a)
            inc = row
        why = ", ".join(ev.decision.get("reasons") or []) or f"opened by {actor.name}"
        await self.add_entry(
            inc, "opened", f"incident opened: {why}", {"event": views.event_dict(ev2)}, actor.name
        )
        peak = inc.summary.get("max_intensity")
        note = views.notification(
            inc,
            "incident.opened",
            views.severity(peak),
            inc.title,
            f"max intensity {ROMAN[round(peak)] if peak else '-'}, "
            f"{inc.summary.get('displaced', 0)} displaced",
            ["incident"],
        )
        body = views.incident_dict(inc, ev2) | {"notification": note}
        await self.services.bus.publish("incident.opened", body, audience=views.audience(inc))
        return inc

    def summary(self, a: assess.Assessment) -> dict[str, Any]:
        """The incident's stored headline figures."""
        c = a.comm.median
        d = a.damage.buildings
        return {
            "max_intensity": round(float(c.max()), 2) if len(c) else None,
            "communities_vi_plus": int(np.sum(c >= 5.5)),
            "displaced": round(float(a.damage.displaced.sum())),
            "unsheltered": round(float(a.demand.unsheltered.sum())),
            "severe_or_destroyed": round(float(d[:, 3].sum() + d[:, 4].sum()), 1),
            "fatalities": a.fatality_summary["expected"] if a.fatality_summary else None,
            "teams_to_send": int(a.demand.teams_to_send.sum()),
            "strike": a.quake.strike.as_dict(),
        }

    async def revise(
        self, inc: Incident, ev: QuakeEvent, changes: list[dict[str, Any]], actor: Actor
    ) -> Incident:
        """Recompute after a revision (or a strike change) and say what changed."""
        a, _ = await self.assessor.assessment(inc, ev)
        new = self.summary(a)
        async with self.services.store.session() as db, db.begin():
            row = await db.get(Incident, inc.id)
            assert row is not None
            old = dict(row.summary)
            row.summary, row.strike = new, a.quake.strike.as_dict()
            row.revision += 1
            inc = row
        moved = {
            k: {"before": old.get(k), "after": new[k]}
            for k in ("max_intensity", "displaced", "unsheltered", "fatalities", "teams_to_send")
            if old.get(k) != new[k]
        }
        parts = [f"{c['field']} {c['before']} → {c['after']}" for c in changes]
        text = "revision: " + ("; ".join(parts) or "recomputed")
        await self.add_entry(
            inc, "revision", text, {"changes": changes, "impact": moved}, actor.name
        )
        note = views.notification(
            inc,
            "incident.revised",
            views.severity(new.get("max_intensity")),
            inc.title,
            text,
            ["revision"],
        )
        body = views.incident_dict(inc, ev) | {
            "changes": changes,
            "impact_changes": moved,
            "notification": note,
        }
        await self.services.bus.publish("incident.updated", body, audience=views.audience(inc))
        return inc

    async def add_entry(
        self,
        inc: Incident,
        kind: str,
        text: str,
        data: dict[str, Any],
        actor: str,
        db: AsyncSession | None = None,
    ) -> TimelineEntry:
        """Append to the timeline and push it to the incident's users."""
        e = TimelineEntry(
            incident_id=inc.id,
            is_exercise=inc.is_exercise,
            at=datetime.now(UTC),
            kind=kind,
            text=text,
            data=data,
            actor=actor,
        )
        if db is not None:
            # The caller commits (with its audit row) and then calls publish_entry.
            db.add(e)
            await db.flush()
            return e
        async with self.services.store.session() as s, s.begin():
            s.add(e)
        await self.publish_entry(inc, e)
        return e

    async def publish_entry(self, inc: Incident, e: TimelineEntry) -> None:
        """Push a committed timeline entry to the incident's users."""
        await self.services.bus.publish(
            "incident.timeline", views.entry_dict(e), audience=views.audience(inc)
        )

    async def close(self, inc: Incident, actor: Actor) -> Incident:
        """Close an open incident."""
        async with self.services.store.session() as db, db.begin():
            row = await db.get(Incident, inc.id)
            assert row is not None
            if row.status == "closed":
                raise ProblemError(409, "the incident is already closed", code="closed")
            row.status, row.closed_at = "closed", datetime.now(UTC)
            entry = self.services.audit.add(
                db,
                actor,
                "incident.close",
                target_type="incident",
                target_id=row.id,
                detail={"is_exercise": row.is_exercise},
            )
            inc = row
        await self.services.audit.announce(entry)
        await self.add_entry(inc, "closed", "incident closed", {}, actor.name)
        await self.services.bus.publish(
            "incident.closed", views.incident_dict(inc), audience=views.audience(inc)
        )
        return inc
