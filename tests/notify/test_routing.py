"""Routing by unit, severity, tag, kind and exercise; unit isolation end to end; the adapter."""

from __future__ import annotations

from typing import Any

import httpx

from console.notify.notification import Localized
from tests.conftest import new_client
from tests.notify.conftest import dispatcher, make_channel, make_rule
from tests.notify.helpers import add_cameras, note, report, settle
from tests.notify.peers import Receiver


async def test_rules_select_by_unit_severity_tag_kind_and_exercise(
    app: Any, admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    specs = {
        "A-district-major": (1, {"min_severity": "major"}),
        "B-street-b-all": (5, {}),
        "C-street-a-key": (4, {"tags": ["key_camera"]}),
        "D-psb-incidents": (2, {"kinds": ["incident.*"]}),
        "E-district-about-street-b": (1, {"unit_ids": [5]}),
        "F-district-no-exercise": (1, {"exercise": "exclude"}),
        "G-district-exercise-only": (1, {"exercise": "only"}),
    }
    for name, (unit, rule) in specs.items():
        ch = await make_channel(
            admin, name=name, unit_id=unit, kind="webhook", url=receiver.url(f"/{name}")
        )
        await make_rule(admin, ch["id"], **rule)
    d = dispatcher(app)

    def names(**kw: Any) -> set[str]:
        return {w.target.name[0] for w in d.channels_for(note(**kw))}

    assert names() == {"A", "F"}
    assert names(severity="warning", unit_ids=frozenset({5}), tags=frozenset({"key_camera"})) == {
        "B",
        "E",
        "F",
    }
    assert names(kind="incident.opened", severity="critical", unit_ids=None) == {
        "A",
        "B",
        "D",
        "E",
        "F",
    }
    assert names(severity="critical", is_exercise=True, tags=frozenset({"key_camera"})) == {
        "A",
        "C",
        "G",
    }
    # Nobody may see it: no channel at all, whatever the rules say.
    assert names(unit_ids=frozenset()) == set()


async def test_a_unit_robot_never_gets_another_units_camera_alerts(
    app: Any, admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    """Through the health recorder: street-b's catch-all rule gets street-b's and shared
    cameras only; street-a's robot gets street-a's; a psb channel gets nothing."""
    for name, unit in (("street-a", 4), ("street-b", 5), ("psb", 2)):
        ch = await make_channel(
            admin, name=name, unit_id=unit, kind="wecom", url=receiver.url(f"/{name}")
        )
        await make_rule(admin, ch["id"], min_severity="info")
    (a_cam,) = await add_cameras(app, 1, 4, "a-cam")
    (b_cam,) = await add_cameras(app, 1, 5, "b-cam")
    (shared,) = await add_cameras(app, 1, 4, "shared-cam", shared_unit_ids=[5])
    for cam in (a_cam, b_cam, shared):
        await report(app, cam, "offline")
    await receiver.wait_for("/street-a", 2)
    await receiver.wait_for("/street-b", 2)
    await settle(admin, lambda rows: len(rows) == 4 and all(r["status"] == "sent" for r in rows))
    text = {
        p: " ".join(r.json()["markdown"]["content"] for r in receiver.at(p))
        for p in ("/street-a", "/street-b")
    }
    assert "a-cam" in text["/street-a"] and "shared-cam" in text["/street-a"]
    assert "b-cam" not in text["/street-a"]
    assert "b-cam" in text["/street-b"] and "shared-cam" in text["/street-b"]
    assert "a-cam 000" not in text["/street-b"]
    assert receiver.at("/psb") == []


async def test_adapter_maps_faults_recoveries_and_ignores_acknowledgements(
    app: Any, admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    ch = await make_channel(
        admin, kind="webhook", url=receiver.url("/hook"), locale="en", digest_threshold=100
    )
    await make_rule(admin, ch["id"], min_severity="info")
    (key_cam,) = await add_cameras(app, 1, 4, "key", key_camera=True, tags=["gate"])
    await report(app, key_cam, "offline")
    (fault,) = await receiver.wait_for("/hook", 1)
    p = fault.json()
    assert p["kind"] == "camera.fault" and p["severity"] == "critical"
    assert p["tags"] == ["gate", "key_camera"] and p["unit_ids"] == [4]
    assert p["title"] == "Camera alert: key 000 · Video lost"
    assert p["link"] == "https://eoc.example.gov.cn/#/health/camera/key-000"
    assert p["data"]["fault"] == "offline" and p["data"]["transition"] == "opened"
    alert_id = p["data"]["alert_id"]
    r = await admin.post(f"/api/health/alerts/{alert_id}/ack", json={})
    assert r.status_code == 200, r.text
    await report(app, key_cam, "degraded", "too_dark")
    got = await receiver.wait_for("/hook", 3)
    kinds = sorted((g.json()["kind"], g.json()["severity"]) for g in got[1:])
    # console.health.severity: too dark is minor, one level up on a key camera (minor and
    # major are the notifier's warning and major).
    assert kinds == [("camera.fault", "major"), ("camera.recovered", "info")]
    recovered = next(g.json() for g in got if g.json()["kind"] == "camera.recovered")
    assert recovered["title"] == "Camera recovered: key 000 · Video lost"
    # Acknowledging the recovered alert again publishes it again: no second message.
    r = await admin.post(f"/api/health/alerts/{alert_id}/close", json={})
    assert r.status_code == 200, r.text
    await dispatcher(app).notify(note(unit_ids=frozenset({4}), title=Localized.same("marker")))
    got = await receiver.wait_for("/hook", 4)
    assert got[-1].json()["title"] == "marker" and len(got) == 4


async def test_unit_admin_sees_only_own_units_channels_and_log(
    app: Any, admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    mine = await make_channel(admin, name="b", unit_id=5, kind="webhook", url=receiver.url("/b"))
    theirs = await make_channel(admin, name="a", unit_id=4, kind="webhook", url=receiver.url("/a"))
    r = await admin.post(
        "/api/users",
        json={
            "username": "b-admin",
            "password": "west-lake-pass-19",
            "unit_id": 5,
            "roles": ["admin"],
        },
    )
    assert r.status_code == 201
    b = await new_client(app, "b-admin", password="west-lake-pass-19")
    try:
        r = await b.get("/api/notify/channels")
        assert [c["id"] for c in r.json()["items"]] == [mine["id"]]
        # Another unit's channel does not exist for them (answered like a missing one).
        assert (await b.get(f"/api/notify/channels/{theirs['id']}")).status_code == 404
        assert (await b.post(f"/api/notify/channels/{theirs['id']}/test")).status_code == 404
        r = await b.patch(f"/api/notify/channels/{mine['id']}", json={"unit_id": 4})
        assert r.status_code == 403
        r = await b.post("/api/notify/rules", json={"channel_id": theirs["id"], "name": "x"})
        assert r.status_code == 404
        r = await b.post(
            "/api/notify/rules", json={"channel_id": mine["id"], "name": "x", "unit_ids": [4]}
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"] == "body.unit_ids[0]"
        r = await b.post(
            "/api/notify/channels",
            json={"name": "x", "unit_id": 4, "kind": "webhook", "url": receiver.url("/x")},
        )
        assert r.status_code == 403
        await admin.post(f"/api/notify/channels/{theirs['id']}/test")
        await admin.post(f"/api/notify/channels/{mine['id']}/test")
        r = await b.get("/api/notify/deliveries")
        assert {d["channel_id"] for d in r.json()["items"]} == {mine["id"]}
    finally:
        await b.aclose()
