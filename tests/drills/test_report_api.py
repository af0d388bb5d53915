"""After-action reports: edit with If-Match, lock after review, actions, HTML and PDF."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from console.drills import pdf
from tests.conftest import login, new_client
from tests.drills.api import TO_SCHEDULED, advance, create_drill, soon

OBJECTIVES = [
    {"id": "o1", "text": "15 分钟内完成疏散", "capability": "evacuation"},
    {"id": "o2", "text": "Head count within 5 minutes", "capability": "mass_care"},
]


def report_body(**kw: Any) -> dict[str, Any]:
    today = date.today()
    data: dict[str, Any] = {
        "purpose": "检验社区地震应急疏散能力",
        "problems_and_causes": "B 栋楼梯 <堵塞> & 照明不足",
        "lessons": "夜间也要演练",
        "ratings": [
            {"objective_id": "o1", "rating": "S", "strengths": ["警报迅速"]},
            {"objective_id": "o2", "rating": "M", "areas_for_improvement": ["名单过期"]},
        ],
        "actions": [
            {
                "id": "a1",
                "text": "清理 B 栋楼梯",
                "owner_unit_id": 4,
                "due": str(today - timedelta(days=3)),
            },
            {
                "id": "a2",
                "text": "更新居民名单",
                "owner_unit_id": 3,
                "due": str(today + timedelta(days=30)),
            },
        ],
    }
    data.update(kw)
    return data


async def ran_drill(c: httpx.AsyncClient, drill_id: str = "d", **kw: Any) -> None:
    kw.setdefault("start", soon(-60))
    await create_drill(c, drill_id, objectives=OBJECTIVES, participating_units=["4"], **kw)
    await advance(c, drill_id, *TO_SCHEDULED, "in_progress")
    at = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    r = await c.post(f"/api/drills/{drill_id}/timeline", json={"kind": "alarm_sounded", "at": at})
    assert r.status_code == 201
    await advance(c, drill_id, "completed")


@pytest.mark.asyncio
async def test_report_edit_versioned_and_locked_after_review(
    app: Any, client: httpx.AsyncClient
) -> None:
    await login(client, "coordinator")
    await create_drill(client, "draft-one")
    r = await client.put(
        "/api/drills/draft-one/report", json=report_body(), headers={"If-Match": '"0"'}
    )
    assert r.status_code == 409  # nothing to report before the drill runs
    await ran_drill(client)
    r = await client.get("/api/drills/d/report")
    draft = r.json()
    assert r.headers["ETag"] == '"0"' and draft["version"] == 0 and not draft["locked"]
    assert "避难场所1" in draft["time_and_place"] and "示范区地震局" in draft["participants"]
    assert draft["purpose"].startswith("15 分钟内完成疏散")
    assert (await client.put("/api/drills/d/report", json=report_body())).status_code == 428
    r = await client.put("/api/drills/d/report", json=report_body(), headers={"If-Match": '"0"'})
    assert r.status_code == 200, r.text
    saved = r.json()
    assert r.headers["ETag"] == '"1"' and saved["version"] == 1
    assert [(a["id"], a["overdue"]) for a in saved["actions"]] == [("a1", True), ("a2", False)]
    assert saved["measures"]["evacuation_seconds"] is None  # only the alarm was logged
    # A second editor holding the old version gets 412 with the current one.
    other = await new_client(app, "admin")
    try:
        r = await other.put(
            "/api/drills/d/report", json=report_body(lessons="x"), headers={"If-Match": '"0"'}
        )
        assert r.status_code == 412 and r.json()["current_version"] == 1
        assert r.json()["current"]["lessons"] == "夜间也要演练"
    finally:
        await other.aclose()
    bad = report_body(ratings=[{"objective_id": "o9", "rating": "P"}])
    bad["actions"][1]["owner_unit_id"] = 999
    r = await client.put("/api/drills/d/report", json=bad, headers={"If-Match": '"1"'})
    assert r.status_code == 422
    assert {e["loc"] for e in r.json()["errors"]} == {
        "body.ratings[0].objective_id",
        "body.actions[1].owner_unit_id",
    }
    r = await client.put(
        "/api/drills/d/report", json=report_body(lessons="x" * 10_001), headers={"If-Match": '"1"'}
    )
    assert r.status_code == 422
    await advance(client, "d", "reviewed")
    r = await client.get("/api/drills/d/report")
    assert r.json()["locked"] is True
    r = await client.put("/api/drills/d/report", json=report_body(), headers={"If-Match": '"1"'})
    assert r.status_code == 409 and r.json()["type"].endswith("report-locked")


@pytest.mark.asyncio
async def test_close_action_and_improvement_plan(app: Any, client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    await ran_drill(client)
    r = await client.put("/api/drills/d/report", json=report_body(), headers={"If-Match": '"0"'})
    assert r.status_code == 200
    await advance(client, "d", "reviewed")
    r = await client.get("/api/drills/actions", params={"status": "open", "overdue": "true"})
    assert [(a["id"], a["drill_id"]) for a in r.json()["items"]] == [("a1", "d")]
    assert (
        len((await client.get("/api/drills/actions", params={"status": "open"})).json()["items"])
        == 2
    )
    # Closing stays possible after review, by the drill's coordinator.
    r = await client.post("/api/drills/d/report/actions/a1/close")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed" and r.json()["closed_at"] and not r.json()["overdue"]
    r = await client.get("/api/drills/actions", params={"status": "open", "overdue": "true"})
    assert r.json()["items"] == []
    r = await client.get("/api/drills/actions", params={"status": "closed"})
    assert [a["id"] for a in r.json()["items"]] == ["a1"]
    assert (await client.post("/api/drills/d/report/actions/zz/close")).status_code == 404
    assert (await client.get("/api/drills/d/report")).json()["version"] == 2
    # street-b sees neither the drill nor its actions.
    other = await new_client(app, "operator2")
    try:
        assert (await other.get("/api/drills/actions")).json()["items"] == []
    finally:
        await other.aclose()


# Printed verbatim: no spaces between Chinese characters, nothing missing, in both extractors.
PDF_STRINGS = {
    "zh-CN": [
        "演练总结报告",
        "东山社区 <地震> 疏散演练",
        "清理 B 栋楼梯",
        "社区疏散演练",
        "示范区地震局",
        "警报迅速",
        "名单过期",
        "发出警报",
        "审核",
        "签发",
        "第 1 页 / 共 {n} 页",
        "第 {n} 页 / 共 {n} 页",
    ],
    "en": [
        "Drill after-action report",
        "Community evacuation drill",
        "Areas for improvement",
        "Approved for issue by",
        "Page 1 of {n}",
        "Page {n} of {n}",
        "东山社区 <地震> 疏散演练",
    ],
}


def extracted(data: bytes) -> dict[str, str]:
    """The PDF's text as pypdf and pdfminer.six read it."""
    from pdfminer.high_level import extract_text

    return {
        "pypdf": "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages),
        "pdfminer": extract_text(io.BytesIO(data)),
    }


@pytest.mark.asyncio
async def test_html_and_pdf(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    await login(client, "coordinator")
    await ran_drill(client, title="东山社区 <地震> 疏散演练", evaluator_ids=["coordinator", "ev-2"])
    # Long enough for two pages: many strengths.
    body = report_body(prepared_by="张三", reviewed_by="李四", issued_by="王五")
    body["ratings"][0]["strengths"] = [f"第{i}条：警报迅速，广播清楚" for i in range(40)]
    r = await client.put("/api/drills/d/report", json=body, headers={"If-Match": '"0"'})
    assert r.status_code == 200, r.text
    assert r.json()["reviewed_by"] == "李四"
    html = (await client.get("/api/drills/d/report.html", params={"lang": "zh-CN"})).text
    assert "演练总结报告" in html and "东山社区 &lt;地震&gt; 疏散演练" in html
    assert "<地震>" not in html and "已逾期" in html
    html = (await client.get("/api/drills/d/report.html", params={"lang": "en"})).text
    assert "Drill after-action report" in html and "OVERDUE" in html
    for lang, strings in PDF_STRINGS.items():
        r = await client.get("/api/drills/d/report.pdf", params={"lang": lang})
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        n = len(PdfReader(io.BytesIO(r.content)).pages)
        assert n >= 2
        for name, text in extracted(r.content).items():
            assert "\x00" not in text, name
            for want in strings:
                assert want.format(n=n) in text, (lang, name, want, text[:400])
    monkeypatch.setattr(pdf, "CANDIDATES", ("/nonexistent/font.ttc",))
    pdf.find_font.cache_clear()
    try:
        r = await client.get("/api/drills/d/report.pdf")
        assert r.status_code == 503 and "fonts-noto-cjk" in r.json()["detail"]
    finally:
        pdf.find_font.cache_clear()
