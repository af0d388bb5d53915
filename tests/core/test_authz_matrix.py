"""Walk every route of the OpenAPI document for every role and for a user of another unit.

A new route without an entry in MATRIX fails this test: decide who may call it first.
"""

from __future__ import annotations

import re
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
INCIDENT_WRITE = frozenset({Role.admin, Role.coordinator, Role.operator})

# (method, path template) -> roles allowed (or PUBLIC); "scoped" routes are also tried by an
# admin of another unit against a resource of street-a, who must get 403.
MATRIX: dict[tuple[str, str], Any] = {
    # earthquake incidents (console/incidents)
    ("GET", "/api/quakes"): ALL,
    ("GET", "/api/quakes/{event_id}"): ALL,
    ("POST", "/api/quakes"): INCIDENT_WRITE,
    ("POST", "/api/quakes/ingest"): INCIDENT_WRITE,
    ("POST", "/api/quakes/{event_id}/open"): INCIDENT_WRITE,
    ("GET", "/api/quake-feeds"): DRILL_WRITE,
    ("POST", "/api/quake-feeds"): DRILL_WRITE,
    ("PUT", "/api/quake-feeds/{feed_id}"): DRILL_WRITE,
    ("DELETE", "/api/quake-feeds/{feed_id}"): DRILL_WRITE,
    ("POST", "/api/quake-feeds/{feed_id}/poll"): DRILL_WRITE,
    ("GET", "/api/quake-scenarios"): ALL,
    ("POST", "/api/quake-scenarios"): DRILL_WRITE,
    ("POST", "/api/incidents/exercise"): DRILL_WRITE,
    ("GET", "/api/incidents"): ALL,
    ("GET", "/api/incidents/{inc_id}"): ALL,
    ("GET", "/api/incidents/{inc_id}/intensity"): ALL,
    ("GET", "/api/incidents/{inc_id}/isoseismals.geojson"): ALL,
    ("GET", "/api/incidents/{inc_id}/impact"): ALL,
    ("GET", "/api/incidents/{inc_id}/shelters"): ALL,
    ("GET", "/api/incidents/{inc_id}/dispatches"): ALL,
    ("GET", "/api/incidents/{inc_id}/timeline"): ALL,
    ("GET", "/api/incidents/{inc_id}/autowall"): ALL,
    ("GET", "/api/incidents/{inc_id}/report"): ALL,
    ("GET", "/api/incidents/{inc_id}/report.pdf"): ALL,
    ("PUT", "/api/incidents/{inc_id}/strike"): DRILL_WRITE,
    ("POST", "/api/incidents/{inc_id}/close"): DRILL_WRITE,
    ("PUT", "/api/incidents/{inc_id}/shelters/{fid}"): INCIDENT_WRITE,
    ("POST", "/api/incidents/{inc_id}/shelters/{fid}/occupancy"): INCIDENT_WRITE,
    ("POST", "/api/incidents/{inc_id}/dispatches"): INCIDENT_WRITE,
    ("POST", "/api/incidents/{inc_id}/timeline"): INCIDENT_WRITE,
    ("PUT", "/api/incidents/{inc_id}/autowall/{camera_id}"): INCIDENT_WRITE,
    # operations view (console/ops): own preferences, map views, selection -> cameras
    ("GET", "/api/me/preferences"): ALL,
    ("GET", "/api/me/preferences/{key}"): ALL,
    ("PUT", "/api/me/preferences/{key}"): ALL,
    ("DELETE", "/api/me/preferences/{key}"): ALL,
    ("GET", "/api/ops/cameras"): ALL,
    ("GET", "/api/ops/readiness"): ALL,
    ("GET", "/api/ops/communities.geojson"): ALL,
    ("GET", "/api/ops/shelters"): ALL,
    ("POST", "/api/ops/selection"): ALL,
    ("POST", "/api/auth/login"): PUBLIC,
    ("POST", "/api/auth/logout"): ALL,
    ("GET", "/api/auth/session"): ALL,
    ("GET", "/api/users"): ADMIN,
    ("POST", "/api/users"): ADMIN,
    ("GET", "/api/users/{user_id}"): ADMIN,
    ("PATCH", "/api/users/{user_id}"): ADMIN,
    ("POST", "/api/users/{user_id}/password"): ADMIN,
    ("GET", "/api/units"): ALL,
    ("POST", "/api/units"): ADMIN,
    ("PATCH", "/api/units/{unit_id}"): ADMIN,
    ("GET", "/api/tokens"): ADMIN,
    ("POST", "/api/tokens"): ADMIN,
    ("DELETE", "/api/tokens/{token_id}"): ADMIN,
    ("GET", "/api/audit"): ADMIN,
    ("GET", "/api/audit.csv"): ADMIN,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/api/meta"): PUBLIC,
    ("GET", "/metrics"): frozenset({Role.admin, Role.maintenance}),
    ("GET", "/api/cameras"): ALL,
    ("POST", "/api/cameras"): CAMERA_WRITE,
    ("GET", "/api/cameras/export.csv"): ALL,
    ("GET", "/api/cameras/export.geojson"): ALL,
    ("POST", "/api/cameras/import"): CAMERA_WRITE,
    ("GET", "/api/cameras/{camera_id}"): ALL,
    ("PATCH", "/api/cameras/{camera_id}"): CAMERA_WRITE,
    ("DELETE", "/api/cameras/{camera_id}"): CAMERA_WRITE,
    ("GET", "/api/health/cameras"): HEALTH_READ,
    ("GET", "/api/health/cameras/{camera_id}"): HEALTH_READ,
    ("GET", "/api/health/alerts"): HEALTH_READ,
    ("POST", "/api/health/alerts/{alert_id}/ack"): CAMERA_WRITE,
    ("POST", "/api/health/alerts/{alert_id}/close"): CAMERA_WRITE,
    ("GET", "/api/health/availability"): HEALTH_READ,
    ("GET", "/api/health/patrol"): HEALTH_READ,
    ("GET", "/api/cameras/{camera_id}/snapshot.jpg"): ALL,
    ("POST", "/api/live/{camera_id}/offer"): ALL,
    ("GET", "/api/live"): ALL,
    ("DELETE", "/api/live/{viewer_id}"): ALL,
    ("POST", "/api/live/offer-group"): ALL,
    ("DELETE", "/api/live/groups/{group_id}"): ALL,
    ("GET", "/api/live/{camera_id}/mjpeg"): ALL,
    ("GET", "/api/walls"): ALL,
    ("POST", "/api/walls"): ALL,
    ("GET", "/api/walls/{wall_id}"): ALL,
    ("PUT", "/api/walls/{wall_id}"): ALL,
    ("DELETE", "/api/walls/{wall_id}"): ALL,
    ("GET", "/api/tours"): ALL,
    ("POST", "/api/tours"): ALL,
    ("PUT", "/api/tours/{tour_id}"): ALL,
    ("DELETE", "/api/tours/{tour_id}"): ALL,
    ("GET", "/api/walls-operators"): PUSH,
    ("POST", "/api/walls-push"): PUSH,
    ("GET", "/api/drills"): ALL,
    ("POST", "/api/drills"): DRILL_WRITE,
    ("GET", "/api/drills/{drill_id}"): ALL,
    ("PUT", "/api/drills/{drill_id}"): DRILL_WRITE,
    ("POST", "/api/drills/{drill_id}/transition"): DRILL_WRITE,
    ("GET", "/api/drills/{drill_id}/conflicts"): ALL,
    ("POST", "/api/drills/check"): DRILL_WRITE,
    ("GET", "/api/drills/calendar"): ALL,
    ("GET", "/api/drills/feeds"): ALL,
    ("POST", "/api/drills/feeds"): ALL,
    ("DELETE", "/api/drills/feeds/{feed_id}"): ALL,
    ("GET", "/api/drills/feeds/{token}.ics"): PUBLIC,
    ("POST", "/api/drills/{drill_id}/start"): DRILL_WRITE,
    ("GET", "/api/drills/{drill_id}/live"): ALL,
    ("POST", "/api/drills/{drill_id}/timeline"): ALL,
    ("GET", "/api/drills/{drill_id}/report"): ALL,
    ("PUT", "/api/drills/{drill_id}/report"): DRILL_WRITE,
    ("GET", "/api/drills/{drill_id}/report.html"): ALL,
    ("GET", "/api/drills/{drill_id}/report.pdf"): ALL,
    ("POST", "/api/drills/{drill_id}/report/actions/{action_id}/close"): DRILL_WRITE,
    ("GET", "/api/drills/actions"): ALL,
    ("GET", "/api/drills/compliance"): ALL,
    ("GET", "/api/drills/overdue"): ALL,
    ("POST", "/api/gis/layers/{layer}/import"): GIS_WRITE,
    ("GET", "/api/gis/layers/{layer}.geojson"): ALL,
    ("GET", "/api/gis/layers/{layer}.csv"): ALL,
    ("GET", "/api/readiness"): ALL,
    ("GET", "/api/readiness.csv"): ALL,
    ("GET", "/api/readiness/{code}"): ALL,
    ("POST", "/api/readiness/recompute"): GIS_WRITE,
    ("POST", "/api/gis/layers/{layer}/features"): GIS_WRITE,
    ("GET", "/api/gis/layers/{layer}/features/{fid}"): ALL,
    ("PUT", "/api/gis/layers/{layer}/features/{fid}"): GIS_WRITE,
    ("DELETE", "/api/gis/layers/{layer}/features/{fid}"): GIS_WRITE,
    ("GET", "/api/gis/layers/{layer}/features/{fid}/history"): ALL,
    ("GET", "/api/gis/cameras.geojson"): ALL,
    ("POST", "/api/gis/kits/import"): GIS_WRITE,
    ("GET", "/api/gis/kits/summary"): ALL,
    ("GET", "/api/gis/mappings/{layer}/{source}"): ALL,
    ("PUT", "/api/gis/mappings/{layer}/{source}"): GIS_WRITE,
    ("DELETE", "/api/gis/mappings/{layer}/{source}"): GIS_WRITE,
    ("POST", "/api/gis/shelters/{fid}/occupancy"): GIS_WRITE,
    ("GET", "/api/gis/shelters/{fid}/occupancy"): ALL,
    ("POST", "/api/gis/shelters/occupancy/import"): GIS_WRITE,
    ("GET", "/api/gis/shelters/occupancy/latest"): ALL,
}
# Path parameters point at resources of street-a (unit 4): the viewer (user 5), the unit itself,
# and a token created for the viewer.
SCOPED = {
    ("GET", "/api/users/{user_id}"),
    ("PATCH", "/api/users/{user_id}"),
    ("POST", "/api/users/{user_id}/password"),
    ("PATCH", "/api/units/{unit_id}"),
    ("DELETE", "/api/tokens/{token_id}"),
    ("GET", "/api/cameras/{camera_id}"),
    ("PATCH", "/api/cameras/{camera_id}"),
    ("DELETE", "/api/cameras/{camera_id}"),
    ("GET", "/api/health/cameras/{camera_id}"),
    ("POST", "/api/live/offer-group"),
    ("POST", "/api/health/alerts/{alert_id}/ack"),
    ("POST", "/api/health/alerts/{alert_id}/close"),
    ("GET", "/api/drills/{drill_id}"),
    ("PUT", "/api/drills/{drill_id}"),
    ("POST", "/api/drills/{drill_id}/transition"),
    ("GET", "/api/drills/{drill_id}/conflicts"),
    ("POST", "/api/drills/{drill_id}/start"),
    ("GET", "/api/drills/{drill_id}/live"),
    ("POST", "/api/drills/{drill_id}/timeline"),
    ("GET", "/api/drills/{drill_id}/report"),
    ("PUT", "/api/drills/{drill_id}/report"),
    ("GET", "/api/drills/{drill_id}/report.html"),
    ("GET", "/api/drills/{drill_id}/report.pdf"),
    ("POST", "/api/drills/{drill_id}/report/actions/{action_id}/close"),
}
# Streaming routes get a query that fails validation once access is granted, so the walk
# never opens an endless stream (their unit scoping is tested in tests/live).
QUERIES: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/live/{camera_id}/mjpeg"): {"fps": 0}
}
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/users/{user_id}"): {"display_name": "renamed"},
    ("PATCH", "/api/units/{unit_id}"): {"name_en": "Dongshan"},
    ("POST", "/api/users/{user_id}/password"): {"password": "another-pass-9"},
    ("PATCH", "/api/cameras/{camera_id}"): {"name": "renamed"},
    ("POST", "/api/live/{camera_id}/offer"): {"sdp": "v=0\r\nm=audio 9 RTP/AVP 0\r\n"},
    ("POST", "/api/live/offer-group"): {
        "cameras": ["street-a-cam"],
        "sdp": "v=0\r\nm=audio 9 RTP/AVP 0\r\n",
    },
    ("PUT", "/api/drills/{drill_id}"): drill_plan_body(4),
    ("POST", "/api/drills/{drill_id}/transition"): {"to": "submitted"},
    ("POST", "/api/drills/check"): drill_plan_body(4),
    ("POST", "/api/drills/feeds"): {"scope": "user"},
    ("POST", "/api/drills/{drill_id}/timeline"): {"kind": "note", "note": "matrix"},
    ("PUT", "/api/me/preferences/{key}"): {"value": {"matrix": True}},
    ("POST", "/api/ops/selection"): {"kind": "community", "id": "C01"},
}


def routes(app: Any) -> list[tuple[str, str]]:
    spec = app.openapi()
    return [(m.upper(), p) for p, ops in spec["paths"].items() for m in ops]


def fill(path: str, ids: dict[str, int]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)


async def denied_count(app: Any) -> int:
    async with app.state.services.store.session() as db:
        q = select(func.count()).select_from(AuditEntry).where(AuditEntry.outcome == "denied")
        return int(await db.scalar(q) or 0)


@pytest.mark.asyncio
async def test_every_route_is_in_the_matrix(app: Any) -> None:
    missing = sorted(set(routes(app)) - set(MATRIX))
    assert not missing, f"routes without an authorization decision: {missing}"
    stale = sorted(set(MATRIX) - set(routes(app)))
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"


async def call(c: httpx.AsyncClient, method: str, path: str, ids: dict[str, int]) -> httpx.Response:
    body = BODIES.get((method, path), {})
    kwargs: dict[str, Any] = {"json": body} if method in {"POST", "PATCH", "PUT"} else {}
    kwargs["params"] = QUERIES.get((method, path), {})
    return await c.request(method, fill(path, ids), **kwargs)


@pytest.mark.asyncio
async def test_matrix_roles_and_units(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    ids: dict[str, Any] = {
        "user_id": 5,
        "unit_id": 4,
        "camera_id": "street-a-cam",
        "event_id": 999999,
        "inc_id": 999999,
        "viewer_id": 999,
        "group_id": 999,
        "wall_id": 999,
        "tour_id": 999,
        "layer": "shelters",
        "code": "C01",
        "fid": "matrix-fid",
        "source": "matrix-src",
        "feed_id": 999,
        "token": "no-such-token",
        "action_id": "a1",
        "key": "matrix.key",
    }
    r = await client.post(
        "/api/cameras",
        json={
            "id": "street-a-cam",
            "name": "东山口",
            "owner_unit_id": 4,
            "main_url": "rtsp://127.0.0.1:9/x",
        },
    )
    assert r.status_code == 201, r.text
    r = await client.post("/api/tokens", json={"name": "matrix", "user_id": 5})
    ids["token_id"] = r.json()["id"]
    from console.health.recorder import StatusReport

    recorder = app.state.services.extensions["health_recorder"]
    await recorder.report(StatusReport("street-a-cam", "offline"))
    ids["alert_id"] = (await client.get("/api/health/alerts")).json()["items"][0]["id"]
    from tests.drills.api import create_drill, seed_reference

    await seed_reference(app)
    ids["drill_id"] = await create_drill(client, "street-a-drill", unit=4)
    for role in Role:
        r = await client.post(
            "/api/users",
            json={
                "username": f"m-{role.value}",
                "password": "matrix-pass-1",
                "unit_id": 1,
                "roles": [role.value],
            },
        )
        assert r.status_code == 201, r.text
    r = await client.post(
        "/api/users",
        json={
            "username": "m-other-admin",
            "password": "matrix-pass-1",
            "unit_id": 5,
            "roles": ["admin"],
        },
    )
    assert r.status_code == 201

    ordered = sorted(routes(app), key=lambda rt: rt == ("POST", "/api/auth/logout"))
    anon = await new_client(app)
    failures: list[str] = []
    try:
        for method, path in ordered:
            allowed = MATRIX[(method, path)]
            r = await call(anon, method, path, ids)
            if allowed != PUBLIC and r.status_code != 401:
                failures.append(f"anonymous {method} {path} -> {r.status_code}, want 401")
        other = await new_client(app, "m-other-admin", password="matrix-pass-1")
        try:
            for method, path in sorted(SCOPED):
                r = await call(other, method, path, ids)
                if r.status_code != 403:
                    failures.append(
                        f"other-unit admin {method} {path} -> {r.status_code}, want 403"
                    )
        finally:
            await other.aclose()
        for role in Role:
            c = await new_client(app, f"m-{role.value}", password="matrix-pass-1")
            try:
                for method, path in ordered:
                    allowed = MATRIX[(method, path)]
                    before = await denied_count(app)
                    r = await call(c, method, path, ids)
                    ok = allowed == PUBLIC or role in allowed
                    if ok and r.status_code in (401, 403):
                        failures.append(f"{role} {method} {path} -> {r.status_code}, want access")
                    if not ok:
                        if r.status_code != 403:
                            failures.append(f"{role} {method} {path} -> {r.status_code}, want 403")
                        elif await denied_count(app) != before + 1:
                            failures.append(f"{role} {method} {path}: 403 without an audit row")
            finally:
                await c.aclose()
    finally:
        await anon.aclose()
    assert not failures, "\n".join(failures)
