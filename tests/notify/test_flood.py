"""A flood of 200 camera alerts through the real path (recorder -> bus -> adapter ->
dispatcher -> HTTP): digests, rate limits, exercise and real never mixed."""

from __future__ import annotations

from typing import Any

import httpx

from tests.notify.conftest import dispatcher, make_channel, make_rule
from tests.notify.helpers import add_cameras, note, report, settle
from tests.notify.peers import Receiver


async def test_flood_of_200_alerts_becomes_a_digest(
    app: Any, admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    hook = await make_channel(
        admin,
        name="hook",
        kind="webhook",
        url=receiver.url("/hook"),
        digest_threshold=10,
        digest_window_s=3,
    )
    robot = await make_channel(
        admin,
        name="robot",
        kind="wecom",
        url=receiver.url("/wecom?key=k"),
        digest_threshold=10,
        digest_window_s=3,
    )
    for ch in (hook, robot):
        await make_rule(admin, ch["id"], kinds=["camera.*"])
    cams = await add_cameras(app, 200, 4, "flood")
    for cam in cams:
        await report(app, cam, "offline")

    def accounted(rows: list[dict[str, Any]]) -> bool:
        mine = [r for r in rows if r["channel_name"] == "hook"]
        sent = [r for r in mine if r["status"] == "sent" and r["digest_count"] is None]
        digests = [r for r in mine if r["digest_count"] and r["status"] == "sent"]
        return len(sent) + sum(r["digest_count"] for r in digests) == 200

    rows = await settle(admin, accounted, timeout=90)
    mine = [r for r in rows if r["channel_name"] == "hook"]
    single = [r for r in mine if r["digest_count"] is None and r["status"] == "sent"]
    digests = [r for r in mine if r["digest_count"]]
    suppressed = [r for r in mine if r["status"] == "suppressed"]
    # The first ten went out one by one, the rest were folded into digests.
    assert len(single) >= 10 and digests
    assert len(suppressed) == sum(d["digest_count"] for d in digests)
    assert {s["digest_id"] for s in suppressed} == {d["id"] for d in digests}
    got = receiver.at("/hook")
    assert len(got) == len(single) + len(digests) <= 40
    sent_digests = [r.json() for r in got if r.json()["type"] == "digest"]
    assert sum(p["count"] for p in sent_digests) == len(suppressed) >= 100
    biggest = max(sent_digests, key=lambda p: p["count"])
    assert biggest["by_severity"] == {"major": biggest["count"]}
    assert len(biggest["items"]) == min(20, biggest["count"])  # [notify] digest_max_items
    # The robot channel never exceeded WeCom's 20 messages a minute.
    robot_got = receiver.at("/wecom")
    assert 11 <= len(robot_got) <= 20
    digest_text = next(
        r.json()["markdown"]["content"]
        for r in robot_got
        if "摘要" in r.json()["markdown"]["content"]
    )
    assert "条通知" in digest_text and "……另有" in digest_text


async def test_rate_limit_holds_messages_back(
    app: Any, admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    ch = await make_channel(
        admin,
        kind="webhook",
        url=receiver.url("/slowlane"),
        rate_per_minute=3,
        digest_threshold=100,
    )
    await make_rule(admin, ch["id"])
    for _ in range(5):
        await dispatcher(app).notify(note())
    await receiver.wait_for("/slowlane", 3)
    rows = await settle(
        admin,
        lambda rows: (
            sum(r["status"] == "sent" for r in rows) == 3
            and any("rate limit" in r["last_error"] for r in rows)
        ),
    )
    # The fourth waits for a free slot (the fifth waits behind it in the queue).
    waiting = [r for r in rows if r["status"] == "pending"]
    assert len(waiting) == 1
    assert "rate limit: next send in" in waiting[0]["last_error"]
    assert len(receiver.at("/slowlane")) == 3


async def test_exercise_and_real_floods_are_digested_apart(
    app: Any, admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    ch = await make_channel(
        admin, kind="webhook", url=receiver.url("/mix"), digest_threshold=5, digest_window_s=2
    )
    await make_rule(admin, ch["id"])
    d = dispatcher(app)
    for i in range(30):
        await d.notify(note(is_exercise=bool(i % 2)))
    got = await receiver.wait_for("/mix", 12)
    await settle(
        admin, lambda rows: sum(1 for r in rows if r["digest_count"] and r["status"] == "sent") == 2
    )
    payloads = [r.json() for r in receiver.at("/mix")]
    digests = [p for p in payloads if p["type"] == "digest"]
    assert sorted(p["exercise"] for p in digests) == [False, True]
    for p in digests:
        assert p["count"] == 10
        assert ("演练" in p["title"]) is p["exercise"]
    singles = [p for p in payloads if p["type"] == "notification"]
    assert len(singles) == 10 and len(got) >= 12
    for p in singles:
        assert ("演练" in p["title"] and "EXERCISE" in p["title"]) is p["exercise"]
