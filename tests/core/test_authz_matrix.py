"""Walk every route of the OpenAPI document for every role in every relation to the object.

The objects (a camera, a drill, a wall, a user...) belong to street-a (unit 4) and, where they
can be shared, are shared with street-b (unit 5). Each role is tried from four units:

    owner     street-a (4)   the owning unit
    ancestor  district (1)   the unit above the owner
    sharer    street-b (5)   a unit the object is shared with (drill: a participant)
    none      psb (2)        an unrelated unit

A new route without an entry in MATRIX fails this test: decide who may call it first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from console.auth.policy import Role
from console.store.models import AuditEntry
from tests.conftest import login, new_client
from tests.drills.api import plan_body as drill_plan_body

PUBLIC = "public"
ALL = frozenset(Role)
ADMIN = frozenset({Role.admin})
CAMERA_WRITE = frozenset({Role.admin, Role.maintenance})
HEALTH_READ = frozenset({Role.admin, Role.maintenance, Role.operator})
PUSH = frozenset({Role.admin, Role.operator})
DRILL_WRITE = frozenset({Role.admin, Role.coordinator})
GIS_WRITE = frozenset({Role.admin, Role.coordinator})
# Running a drill live (start, complete, abort) is also the EOC duty officer's.
DRILL_RUN = frozenset({Role.admin, Role.coordinator, Role.operator})
RESPONDERS = frozenset({Role.admin, Role.coordinator, Role.operator})

RELATIONS = {"owner": 4, "ancestor": 1, "sharer": 5, "none": 2}
OWN = ("owner", "ancestor")
VIEW = ("owner", "ancestor", "sharer")
EVERY = ("owner", "ancestor", "sharer", "none")


def rel(roles: frozenset[Role], *relations: str) -> dict[str, frozenset[Role]]:
    """These roles, in these relations."""
    return dict.fromkeys(relations, roles)


@dataclass(frozen=True)
class Rule:
    """Who may call a route: the role gate, then (for an object) who may act on it and who
    may at least see it; anyone else is answered exactly as if the object did not exist."""

    roles: Any  # frozenset[Role] or PUBLIC
    obj: str | None = None  # the path (or body) parameter naming the object
    allow: dict[str, frozenset[Role]] | None = None
    see: dict[str, frozenset[Role]] | None = None

    def expect(self, role: Role, relation: str) -> str:
        """access, forbidden (403) or hidden (404 like a missing object)."""
        if self.roles == PUBLIC:
            return "access"
        if role not in self.roles:
            return "forbidden"
        if self.obj is None or self.allow is None:
            return "access"
        if role in self.allow.get(relation, frozenset()):
            return "access"
        if role in (self.see or {}).get(relation, frozenset()):
            return "forbidden"
        return "hidden"


def on(roles: Any) -> Rule:
    """A route without an object of a unit: the role decides."""
    return Rule(roles)


CAM_VIEW = rel(ALL, *VIEW)
DRILL_VIEW = rel(ALL, *VIEW)
USER_SEE = rel(ADMIN, *OWN)
WALL_SEE = rel(ALL, *OWN)
FEATURE_SEE = rel(ALL, *EVERY)
CHANNEL = rel(ADMIN, *OWN)


def cam(roles: frozenset[Role], allow: dict[str, frozenset[Role]]) -> Rule:
    """A camera route."""
    return Rule(roles, "camera_id", allow, CAM_VIEW)


def drill(roles: frozenset[Role], allow: dict[str, frozenset[Role]]) -> Rule:
    """A drill route."""
    return Rule(roles, "drill_id", allow, DRILL_VIEW)


MATRIX: dict[tuple[str, str], Rule] = {
    # Earthquake incidents belong to the district and are run by its EOC departments; the
    # walk meets no incident (the ids do not exist), so the role decides here. Who may act on
    # a real incident (responders act, street offices of affected communities watch) is
    # walked in tests/incidents/test_incident_api.py.
    ("GET", "/api/quakes"): on(ALL),
    ("GET", "/api/quakes/{event_id}"): on(ALL),
    ("POST", "/api/quakes"): on(RESPONDERS),
    ("POST", "/api/quakes/ingest"): on(RESPONDERS),
    ("POST", "/api/quakes/{event_id}/open"): on(RESPONDERS),
    ("GET", "/api/quake-feeds"): on(DRILL_WRITE),
    ("POST", "/api/quake-feeds"): on(DRILL_WRITE),
    ("PUT", "/api/quake-feeds/{feed_id}"): on(DRILL_WRITE),
    ("DELETE", "/api/quake-feeds/{feed_id}"): on(DRILL_WRITE),
    ("POST", "/api/quake-feeds/{feed_id}/poll"): on(DRILL_WRITE),
    ("GET", "/api/quake-scenarios"): on(ALL),
    ("POST", "/api/quake-scenarios"): on(DRILL_WRITE),
    ("POST", "/api/incidents/exercise"): on(DRILL_WRITE),
    ("GET", "/api/incidents"): on(ALL),
    ("GET", "/api/incidents/{inc_id}"): on(ALL),
    ("GET", "/api/incidents/{inc_id}/intensity"): on(ALL),
    ("GET", "/api/incidents/{inc_id}/isoseismals.geojson"): on(ALL),
    ("GET", "/api/incidents/{inc_id}/impact"): on(ALL),
    ("GET", "/api/incidents/{inc_id}/shelters"): on(ALL),
    ("GET", "/api/incidents/{inc_id}/dispatches"): on(ALL),
    ("GET", "/api/incidents/{inc_id}/timeline"): on(ALL),
    ("GET", "/api/incidents/{inc_id}/autowall"): on(ALL),
    ("GET", "/api/incidents/{inc_id}/report"): on(ALL),
    ("GET", "/api/incidents/{inc_id}/report.pdf"): on(ALL),
    ("PUT", "/api/incidents/{inc_id}/strike"): on(DRILL_WRITE),
    ("POST", "/api/incidents/{inc_id}/close"): on(DRILL_WRITE),
    ("PUT", "/api/incidents/{inc_id}/shelters/{fid}"): on(RESPONDERS),
    ("POST", "/api/incidents/{inc_id}/shelters/{fid}/occupancy"): on(RESPONDERS),
    ("POST", "/api/incidents/{inc_id}/dispatches"): on(RESPONDERS),
    ("POST", "/api/incidents/{inc_id}/timeline"): on(RESPONDERS),
    ("PUT", "/api/incidents/{inc_id}/autowall/{camera_id}"): on(RESPONDERS),
    # Notification channels (and their rules) belong to a unit: its admins and those above.
    ("GET", "/api/notify/channels"): on(ADMIN),
    ("POST", "/api/notify/channels"): on(ADMIN),
    ("GET", "/api/notify/channels/{channel_id}"): Rule(ADMIN, "channel_id", CHANNEL, CHANNEL),
    ("PATCH", "/api/notify/channels/{channel_id}"): Rule(ADMIN, "channel_id", CHANNEL, CHANNEL),
    ("DELETE", "/api/notify/channels/{channel_id}"): Rule(ADMIN, "channel_id", CHANNEL, CHANNEL),
    ("POST", "/api/notify/channels/{channel_id}/test"): Rule(ADMIN, "channel_id", CHANNEL, CHANNEL),
    ("GET", "/api/notify/rules"): on(ADMIN),
    ("POST", "/api/notify/rules"): on(ADMIN),
    ("PATCH", "/api/notify/rules/{rule_id}"): Rule(ADMIN, "rule_id", CHANNEL, CHANNEL),
    ("DELETE", "/api/notify/rules/{rule_id}"): Rule(ADMIN, "rule_id", CHANNEL, CHANNEL),
    ("GET", "/api/notify/deliveries"): on(ADMIN),
    ("POST", "/api/auth/login"): on(PUBLIC),
    ("POST", "/api/auth/logout"): on(ALL),
    ("GET", "/api/auth/session"): on(ALL),
    ("POST", "/api/auth/password"): on(ALL),
    ("GET", "/api/users"): on(ADMIN),
    ("POST", "/api/users"): on(ADMIN),
    ("GET", "/api/users/{user_id}"): Rule(ADMIN, "user_id", rel(ADMIN, *OWN), USER_SEE),
    ("PATCH", "/api/users/{user_id}"): Rule(ADMIN, "user_id", rel(ADMIN, *OWN), USER_SEE),
    ("POST", "/api/users/{user_id}/password"): Rule(ADMIN, "user_id", rel(ADMIN, *OWN), USER_SEE),
    ("GET", "/api/units"): on(ALL),
    ("GET", "/api/people"): on(ALL),
    ("POST", "/api/units"): on(ADMIN),
    # Units are listed for everyone, so another unit's is refused, never hidden.
    ("PATCH", "/api/units/{unit_id}"): Rule(ADMIN, "unit_id", rel(ADMIN, *OWN), rel(ALL, *EVERY)),
    ("GET", "/api/tokens"): on(ADMIN),
    ("POST", "/api/tokens"): on(ADMIN),
    ("DELETE", "/api/tokens/{token_id}"): Rule(ADMIN, "token_id", rel(ADMIN, *OWN), USER_SEE),
    ("GET", "/api/audit"): on(ADMIN),
    ("GET", "/api/audit.csv"): on(ADMIN),
    # The operations view (console/ops): one's own preferences, map views, selection -> cameras.
    ("GET", "/api/me/preferences"): on(ALL),
    ("GET", "/api/me/preferences/{key}"): on(ALL),
    ("PUT", "/api/me/preferences/{key}"): on(ALL),
    ("DELETE", "/api/me/preferences/{key}"): on(ALL),
    ("GET", "/api/ops/cameras"): on(ALL),
    ("GET", "/api/ops/readiness"): on(ALL),
    ("GET", "/api/ops/communities.geojson"): on(ALL),
    ("GET", "/api/ops/shelters"): on(ALL),
    ("POST", "/api/ops/selection"): on(ALL),
    ("GET", "/healthz"): on(PUBLIC),
    ("GET", "/api/meta"): on(PUBLIC),
    ("GET", "/metrics"): on(frozenset({Role.admin, Role.maintenance})),
    ("GET", "/api/cameras"): on(ALL),
    ("POST", "/api/cameras"): on(CAMERA_WRITE),
    ("GET", "/api/cameras/export.csv"): on(ALL),
    ("GET", "/api/cameras/export.geojson"): on(ALL),
    ("POST", "/api/cameras/import"): on(CAMERA_WRITE),
    ("GET", "/api/cameras/{camera_id}"): cam(ALL, CAM_VIEW),
    # Sharing lets a unit watch, never change: no sharer column on any write.
    ("PATCH", "/api/cameras/{camera_id}"): cam(CAMERA_WRITE, rel(CAMERA_WRITE, *OWN)),
    ("DELETE", "/api/cameras/{camera_id}"): cam(CAMERA_WRITE, rel(CAMERA_WRITE, *OWN)),
    ("GET", "/api/health/cameras"): on(HEALTH_READ),
    # Status only, of the cameras the caller may see (the wall's tile badges).
    ("GET", "/api/health/status"): on(ALL),
    ("GET", "/api/health/cameras/{camera_id}"): cam(HEALTH_READ, rel(HEALTH_READ, *VIEW)),
    ("GET", "/api/health/alerts"): on(HEALTH_READ),
    ("POST", "/api/health/alerts/{alert_id}/ack"): Rule(
        CAMERA_WRITE, "alert_id", rel(CAMERA_WRITE, *OWN), rel(HEALTH_READ, *VIEW)
    ),
    ("POST", "/api/health/alerts/{alert_id}/close"): Rule(
        CAMERA_WRITE, "alert_id", rel(CAMERA_WRITE, *OWN), rel(HEALTH_READ, *VIEW)
    ),
    ("GET", "/api/health/availability"): on(HEALTH_READ),
    ("GET", "/api/health/patrol"): on(HEALTH_READ),
    ("PUT", "/api/health/patrol"): on(CAMERA_WRITE),
    ("GET", "/api/health/cameras/{camera_id}/reference"): cam(HEALTH_READ, rel(HEALTH_READ, *VIEW)),
    ("GET", "/api/health/cameras/{camera_id}/reference.jpg"): cam(
        HEALTH_READ, rel(HEALTH_READ, *VIEW)
    ),
    ("GET", "/api/health/cameras/{camera_id}/tuning"): cam(HEALTH_READ, rel(HEALTH_READ, *VIEW)),
    # Tuning, re-learning and muting change how a camera is watched: the owner's, not a sharer's.
    ("PUT", "/api/health/cameras/{camera_id}/tuning"): cam(CAMERA_WRITE, rel(CAMERA_WRITE, *OWN)),
    ("POST", "/api/health/cameras/{camera_id}/accept-view"): cam(
        CAMERA_WRITE, rel(CAMERA_WRITE, *OWN)
    ),
    ("GET", "/api/health/maintenance"): on(HEALTH_READ),
    # Windows name their cameras, units or tags in the body; tests/cameras walks the relations.
    ("POST", "/api/health/maintenance"): on(CAMERA_WRITE),
    ("POST", "/api/health/maintenance/{window_id}/end"): on(CAMERA_WRITE),
    ("GET", "/api/cameras/{camera_id}/snapshot.jpg"): cam(ALL, CAM_VIEW),
    ("POST", "/api/live/{camera_id}/offer"): cam(ALL, CAM_VIEW),
    ("GET", "/api/live"): on(ALL),
    # Live views and groups exist only with a browser peer: the relations of stopping one
    # are walked in tests/live/test_live_access.py; here the ids do not exist.
    ("DELETE", "/api/live/{viewer_id}"): on(ALL),
    ("POST", "/api/live/offer-group"): cam(ALL, CAM_VIEW),
    ("DELETE", "/api/live/groups/{group_id}"): on(ALL),
    # Refused by validation before the relation is looked at (an endless stream otherwise);
    # its relations are walked in tests/live/test_live_access.py.
    ("GET", "/api/live/{camera_id}/mjpeg"): on(ALL),
    ("GET", "/api/live/config"): on(ALL),
    ("GET", "/api/live/{camera_id}/poster.jpg"): cam(ALL, CAM_VIEW),
    ("POST", "/api/live/prewarm"): cam(ALL, CAM_VIEW),
    ("GET", "/api/walls"): on(ALL),
    ("POST", "/api/walls"): on(ALL),
    # A shared wall: its creator's; its unit's admins (and those above) manage it; its unit
    # (and those above) see it; to anyone else it does not exist.
    ("GET", "/api/walls/{wall_id}"): Rule(ALL, "wall_id", WALL_SEE, WALL_SEE),
    ("PUT", "/api/walls/{wall_id}"): Rule(ALL, "wall_id", rel(ADMIN, *OWN), WALL_SEE),
    ("DELETE", "/api/walls/{wall_id}"): Rule(ALL, "wall_id", rel(ADMIN, *OWN), WALL_SEE),
    ("GET", "/api/tours"): on(ALL),
    ("POST", "/api/tours"): on(ALL),
    ("PUT", "/api/tours/{tour_id}"): Rule(ALL, "tour_id", rel(ADMIN, *OWN), WALL_SEE),
    ("DELETE", "/api/tours/{tour_id}"): Rule(ALL, "tour_id", rel(ADMIN, *OWN), WALL_SEE),
    ("GET", "/api/walls-operators"): on(PUSH),
    ("POST", "/api/walls-push"): on(PUSH),
    ("GET", "/api/drills"): on(ALL),
    ("POST", "/api/drills"): on(DRILL_WRITE),
    ("GET", "/api/drills/{drill_id}"): drill(ALL, DRILL_VIEW),
    # The organising unit plans and moves the workflow; participants only follow it.
    ("PUT", "/api/drills/{drill_id}"): drill(DRILL_WRITE, rel(DRILL_WRITE, *OWN)),
    # Operators run a drill live (start, complete, abort) but take no planning step.
    ("POST", "/api/drills/{drill_id}/transition"): drill(DRILL_RUN, rel(DRILL_WRITE, *OWN)),
    ("GET", "/api/drills/{drill_id}/conflicts"): drill(ALL, DRILL_VIEW),
    ("POST", "/api/drills/check"): on(DRILL_WRITE),
    ("GET", "/api/drills/calendar"): on(ALL),
    ("GET", "/api/drills/feeds"): on(ALL),
    ("POST", "/api/drills/feeds"): on(ALL),
    # A feed is its creator's; admins of the creator's unit (and above) may revoke it.
    ("DELETE", "/api/drills/feeds/{feed_id}"): Rule(
        ALL, "feed_id", rel(ADMIN, *OWN), rel(ADMIN, *OWN)
    ),
    ("GET", "/api/drills/feeds/{token}.ics"): on(PUBLIC),
    ("POST", "/api/drills/{drill_id}/start"): drill(DRILL_RUN, rel(DRILL_RUN, *OWN)),
    # Drafts are deleted by the organising unit (and above).
    ("DELETE", "/api/drills/{drill_id}"): drill(DRILL_WRITE, rel(DRILL_WRITE, *OWN)),
    ("GET", "/api/drills/holidays"): on(ALL),
    ("GET", "/api/drills/{drill_id}/live"): drill(ALL, DRILL_VIEW),
    # Participants add observer notes (and, as admin or coordinator, timeline entries).
    ("POST", "/api/drills/{drill_id}/timeline"): drill(ALL, DRILL_VIEW),
    ("GET", "/api/drills/{drill_id}/report"): drill(ALL, DRILL_VIEW),
    ("PUT", "/api/drills/{drill_id}/report"): drill(DRILL_WRITE, rel(DRILL_WRITE, *OWN)),
    ("GET", "/api/drills/{drill_id}/report.html"): drill(ALL, DRILL_VIEW),
    ("GET", "/api/drills/{drill_id}/report.pdf"): drill(ALL, DRILL_VIEW),
    ("POST", "/api/drills/{drill_id}/report/actions/{action_id}/close"): drill(
        DRILL_WRITE, rel(DRILL_WRITE, *OWN)
    ),
    ("GET", "/api/drills/actions"): on(ALL),
    ("GET", "/api/drills/compliance"): on(ALL),
    ("GET", "/api/drills/overdue"): on(ALL),
    ("POST", "/api/gis/layers/{layer}/import"): on(GIS_WRITE),
    ("GET", "/api/gis/layers/{layer}.geojson"): on(ALL),
    ("GET", "/api/gis/layers/{layer}.csv"): on(ALL),
    ("GET", "/api/readiness"): on(ALL),
    ("GET", "/api/readiness.csv"): on(ALL),
    ("GET", "/api/readiness/{code}"): on(ALL),
    ("POST", "/api/readiness/recompute"): on(GIS_WRITE),
    ("POST", "/api/gis/layers/{layer}/features"): on(GIS_WRITE),
    # Map features are everyone's to read; only the owning unit (and above) edits one.
    ("GET", "/api/gis/layers/{layer}/features/{fid}"): Rule(ALL, "fid", FEATURE_SEE, FEATURE_SEE),
    ("PUT", "/api/gis/layers/{layer}/features/{fid}"): Rule(
        GIS_WRITE, "fid", rel(GIS_WRITE, *OWN), FEATURE_SEE
    ),
    ("DELETE", "/api/gis/layers/{layer}/features/{fid}"): Rule(
        GIS_WRITE, "fid", rel(GIS_WRITE, *OWN), FEATURE_SEE
    ),
    ("GET", "/api/gis/layers/{layer}/features/{fid}/history"): Rule(
        ALL, "fid", FEATURE_SEE, FEATURE_SEE
    ),
    ("GET", "/api/gis/layers/{layer}/features/{fid}/cameras"): Rule(
        ALL, "fid", FEATURE_SEE, FEATURE_SEE
    ),
    # Import batches are listed for every reader; a revert needs the right to edit every
    # feature the batch wrote (tests/gis/test_import_batches.py walks that).
    ("GET", "/api/gis/imports"): on(ALL),
    ("GET", "/api/gis/imports/{batch_id}"): on(ALL),
    ("POST", "/api/gis/imports/{batch_id}/revert"): on(GIS_WRITE),
    ("GET", "/api/gis/cameras.geojson"): on(ALL),
    ("POST", "/api/gis/kits/import"): on(GIS_WRITE),
    ("GET", "/api/gis/kits/summary"): on(ALL),
    ("GET", "/api/gis/mappings/{layer}/{source}"): on(ALL),
    ("PUT", "/api/gis/mappings/{layer}/{source}"): on(GIS_WRITE),
    ("DELETE", "/api/gis/mappings/{layer}/{source}"): on(GIS_WRITE),
    ("POST", "/api/gis/shelters/{fid}/occupancy"): on(GIS_WRITE),
    ("GET", "/api/gis/shelters/{fid}/occupancy"): on(ALL),
    ("POST", "/api/gis/shelters/occupancy/import"): on(GIS_WRITE),
    ("GET", "/api/gis/shelters/occupancy/latest"): on(ALL),
}
# How a missing object is named in the 404 (a hidden one must read exactly the same).
LABELS = {
    "user_id": "user",
    "unit_id": "unit",
    "token_id": "token",
    "camera_id": "camera",
    "alert_id": "alert",
    "drill_id": "drill",
    "wall_id": "wall",
    "tour_id": "tour",
    "feed_id": "feed",
    "fid": "shelters feature",
    "channel_id": "notify channel",
    "rule_id": "rule",
}
MISSING: dict[str, Any] = {
    "user_id": 999999,
    "unit_id": 999999,
    "token_id": 999999,
    "camera_id": "no-such-cam",
    "alert_id": 999999,
    "drill_id": "no-such-drill",
    "wall_id": 999999,
    "tour_id": 999999,
    "feed_id": 999999,
    "fid": "no-such-fid",
    "channel_id": 999999,
    "rule_id": 999999,
}
# Streaming routes get a query that fails validation once access is granted, so the walk
# never opens an endless stream.
QUERIES: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/live/{camera_id}/mjpeg"): {"fps": 0}
}
WALL_BODY = {"name": "墙", "layout": "1", "tiles": ["street-a-cam"], "shared": True}
TOUR_BODY = {
    "name": "巡视",
    "steps": [{"kind": "camera", "ref": "street-a-cam", "dwell_s": 10}],
    "shared": True,
}
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/users/{user_id}"): {"display_name": "renamed"},
    ("PATCH", "/api/units/{unit_id}"): {"name_en": "Dongshan"},
    ("POST", "/api/users/{user_id}/password"): {"password": "another-pass-9"},
    ("POST", "/api/auth/password"): {
        "current_password": "matrix-pass-1",
        "new_password": "matrix-changed-pass-2",
    },
    ("PATCH", "/api/cameras/{camera_id}"): {"name": "renamed"},
    ("POST", "/api/live/{camera_id}/offer"): {"sdp": "v=0\r\nm=audio 9 RTP/AVP 0\r\n"},
    ("POST", "/api/live/offer-group"): {
        "cameras": ["{camera_id}"],
        "sdp": "v=0\r\nm=audio 9 RTP/AVP 0\r\n",
    },
    ("PUT", "/api/walls/{wall_id}"): WALL_BODY,
    ("PUT", "/api/tours/{tour_id}"): TOUR_BODY,
    ("PUT", "/api/drills/{drill_id}"): drill_plan_body(4, participating_units=["5"]),
    ("POST", "/api/live/prewarm"): {"cameras": ["{camera_id}"], "seconds": 5},
    ("POST", "/api/drills/{drill_id}/transition"): {"to": "submitted"},
    ("POST", "/api/drills/check"): drill_plan_body(4),
    ("POST", "/api/drills/feeds"): {"scope": "user"},
    ("POST", "/api/drills/{drill_id}/timeline"): {"kind": "note", "note": "matrix"},
    ("PATCH", "/api/notify/channels/{channel_id}"): {"name": "renamed"},
    ("PUT", "/api/health/cameras/{camera_id}/tuning"): {"sensitivity": {}, "disabled": []},
    ("PATCH", "/api/notify/rules/{rule_id}"): {"name": "renamed"},
    ("PUT", "/api/gis/layers/{layer}/features/{fid}"): {
        "type": "Feature",
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[113.3, 23.13], [113.301, 23.13], [113.301, 23.131], [113.3, 23.13]]],
        },
        "properties": {"name": "改名", "capacity": 10},
    },
    ("PUT", "/api/me/preferences/{key}"): {"value": {"matrix": True}},
    ("POST", "/api/ops/selection"): {"kind": "community", "id": "C01"},
}


def routes(app: Any) -> list[tuple[str, str]]:
    spec = app.openapi()
    return [(m.upper(), p) for p, ops in spec["paths"].items() for m in ops]


def fill(value: Any, ids: dict[str, Any]) -> Any:
    """Put the ids into a path or a JSON body."""
    if isinstance(value, str):
        return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), value)
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


async def denied_count(app: Any) -> int:
    await app.state.services.audit.flush()
    async with app.state.services.store.session() as db:
        q = select(func.count()).select_from(AuditEntry).where(AuditEntry.outcome == "denied")
        return int(await db.scalar(q) or 0)


@pytest.mark.asyncio
async def test_every_route_is_in_the_matrix(app: Any) -> None:
    missing = sorted(set(routes(app)) - set(MATRIX))
    assert not missing, f"routes without an authorization decision: {missing}"
    stale = sorted(set(MATRIX) - set(routes(app)))
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"


async def call(c: httpx.AsyncClient, method: str, path: str, ids: dict[str, Any]) -> httpx.Response:
    body = fill(BODIES.get((method, path), {}), ids)
    kwargs: dict[str, Any] = {"json": body} if method in {"POST", "PATCH", "PUT"} else {}
    kwargs["params"] = QUERIES.get((method, path), {})
    return await c.request(method, fill(path, ids), **kwargs)


def not_found_detail(rule: Rule, ids: dict[str, Any]) -> str:
    """What the route says of its object when it does not exist."""
    assert rule.obj is not None
    return f"{LABELS[rule.obj]} {ids[rule.obj]} not found"


def is_not_found(r: httpx.Response, detail: str) -> bool:
    """The answer for a missing object (grouped offers prefix the camera id)."""
    if r.status_code != 404:
        return False
    body = r.json()
    return bool(body["detail"] == detail or body["detail"].endswith(f": {detail}"))


class Objects:
    """The street-a objects the walk acts on; deleting routes get a fresh one every call."""

    def __init__(self, admin: httpx.AsyncClient, owner: httpx.AsyncClient) -> None:
        self.admin = admin  # district admin
        self.owner = owner  # a street-a operator who creates walls, tours and feeds
        self.n = 0

    async def camera(self) -> str:
        self.n += 1
        cid = f"street-a-cam-{self.n}" if self.n > 1 else "street-a-cam"
        r = await self.admin.post(
            "/api/cameras",
            json={
                "id": cid,
                "name": "东山口",
                "owner_unit_id": 4,
                "shared_unit_ids": [5],
                "main_url": "rtsp://127.0.0.1:9/x",
            },
        )
        assert r.status_code == 201, r.text
        return cid

    async def wall(self) -> int:
        r = await self.owner.post("/api/walls", json=WALL_BODY)
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    async def tour(self) -> int:
        r = await self.owner.post("/api/tours", json=TOUR_BODY)
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    async def channel(self) -> int:
        r = await self.admin.post(
            "/api/notify/channels",
            json={"name": "m", "unit_id": 4, "kind": "webhook", "url": "http://127.0.0.1:9/hook"},
        )
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    async def rule(self, channel_id: int) -> int:
        r = await self.admin.post("/api/notify/rules", json={"channel_id": channel_id, "name": "m"})
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    async def feature(self) -> str:
        self.n += 1
        fid = f"matrix-fid-{self.n}"
        body = BODIES[("PUT", "/api/gis/layers/{layer}/features/{fid}")] | {"id": fid}
        r = await self.admin.post(
            "/api/gis/layers/shelters/features", params={"owner_unit_id": 4}, json=body
        )
        assert r.status_code == 201, r.text
        return fid


async def setup(app: Any, admin: httpx.AsyncClient) -> tuple[dict[str, Any], Objects]:
    """Objects of street-a (shared with street-b) and one user per role and relation."""
    from console.health.recorder import StatusReport
    from tests.drills.api import create_drill, seed_reference

    r = await admin.post(
        "/api/users",
        json={
            "username": "wall-owner",
            "password": "matrix-pass-1",
            "unit_id": 4,
            "roles": ["operator"],
        },
    )
    assert r.status_code == 201, r.text
    owner = await new_client(app, "wall-owner", password="matrix-pass-1")
    objects = Objects(admin, owner)
    ids: dict[str, Any] = {
        "user_id": 5,
        "unit_id": 4,
        "camera_id": await objects.camera(),
        "viewer_id": 999,
        "group_id": 999,
        "layer": "shelters",
        "code": "C01",
        "source": "matrix-src",
        "token": "no-such-token",
        "action_id": "a1",
        "window_id": 999,
        "key": "matrix.key",
        "event_id": 999999,
        "inc_id": 999999,
        "batch_id": 999,
    }
    r = await admin.post("/api/tokens", json={"name": "matrix", "user_id": 5})
    ids["token_id"] = r.json()["id"]
    recorder = app.state.services.extensions["health_recorder"]
    await recorder.report(StatusReport("street-a-cam", "offline"))
    ids["alert_id"] = (await admin.get("/api/health/alerts")).json()["items"][0]["id"]
    await seed_reference(app)
    ids["drill_id"] = await create_drill(admin, "street-a-drill", unit=4, participating_units=["5"])
    ids["wall_id"] = await objects.wall()
    ids["tour_id"] = await objects.tour()
    r = await owner.post("/api/drills/feeds", json={"scope": "unit", "unit_id": 4})
    assert r.status_code == 201, r.text
    ids["feed_id"] = r.json()["id"]
    ids["fid"] = await objects.feature()
    ids["channel_id"] = await objects.channel()
    ids["rule_id"] = await objects.rule(ids["channel_id"])
    for role in Role:
        for relation, unit in RELATIONS.items():
            r = await admin.post(
                "/api/users",
                json={
                    "username": f"m-{role.value}-{relation}",
                    "password": "matrix-pass-1",
                    "unit_id": unit,
                    "roles": [role.value],
                },
            )
            assert r.status_code == 201, r.text
    return ids, objects


async def fresh_ids(
    objects: Objects, method: str, path: str, ids: dict[str, Any]
) -> dict[str, Any]:
    """Deleting routes act on a new object each time, so every call meets one."""
    if method != "DELETE":
        return ids
    if path == "/api/cameras/{camera_id}":
        return ids | {"camera_id": await objects.camera()}
    if path == "/api/walls/{wall_id}":
        return ids | {"wall_id": await objects.wall()}
    if path == "/api/tours/{tour_id}":
        return ids | {"tour_id": await objects.tour()}
    if path == "/api/notify/channels/{channel_id}":
        return ids | {"channel_id": await objects.channel()}
    if path == "/api/notify/rules/{rule_id}":
        return ids | {"rule_id": await objects.rule(ids["channel_id"])}
    if path == "/api/gis/layers/{layer}/features/{fid}":
        return ids | {"fid": await objects.feature()}
    return ids


@pytest.mark.asyncio
async def test_matrix_roles_and_relations(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    ids, objects = await setup(app, client)
    ordered = sorted(routes(app), key=lambda rt: rt == ("POST", "/api/auth/logout"))
    failures: list[str] = []
    anon = await new_client(app)
    try:
        for method, path in ordered:
            r = await call(anon, method, path, ids)
            if MATRIX[(method, path)].roles != PUBLIC and r.status_code != 401:
                failures.append(f"anonymous {method} {path} -> {r.status_code}, want 401")
    finally:
        await anon.aclose()
    for role in Role:
        for relation in RELATIONS:
            c = await new_client(app, f"m-{role.value}-{relation}", password="matrix-pass-1")
            try:
                for method, path in ordered:
                    rule = MATRIX[(method, path)]
                    want = rule.expect(role, relation)
                    use = await fresh_ids(objects, method, path, ids)
                    before = await denied_count(app)
                    r = await call(c, method, path, use)
                    who = f"{role.value}/{relation} {method} {path}"
                    gone = rule.obj is not None and is_not_found(r, not_found_detail(rule, use))
                    if want == "access":
                        if r.status_code in (401, 403) or gone:
                            failures.append(f"{who} -> {r.status_code}, want access: {r.text}")
                        continue
                    if want == "forbidden" and r.status_code != 403:
                        failures.append(f"{who} -> {r.status_code}, want 403")
                        continue
                    if want == "hidden":
                        if not gone:
                            failures.append(f"{who} -> {r.status_code} {r.text}, want 404")
                            continue
                        # The same request for an id that does not exist answers alike.
                        assert rule.obj is not None
                        missing = ids | {rule.obj: MISSING[rule.obj]}
                        m = await call(c, method, path, missing)
                        a = r.text.replace(str(use[rule.obj]), "X")
                        b = m.text.replace(str(missing[rule.obj]), "X")
                        if (m.status_code, b) != (r.status_code, a):
                            failures.append(f"{who}: hidden {r.text} but missing {m.text}")
                    if await denied_count(app) < before + 1:
                        failures.append(f"{who} -> {r.status_code} without an audit row")
            finally:
                await c.aclose()
    await objects.owner.aclose()
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)
