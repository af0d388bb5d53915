"""Shelter occupancy: the real Nanao history as a time series, reports, refusals."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from console.events import Audience
from console.gis.models import OccupancyReport
from gis.occupancy import parse_snapshot, parse_time
from tests.conftest import login
from tests.paths import NANAO

HISTORY = NANAO / "history"
TOKYO = ZoneInfo("Asia/Tokyo")
IMPORT = "/api/gis/shelters/occupancy/import"
SHELTER = {
    "type": "Feature",
    "id": "S1",
    "geometry": {"type": "Point", "coordinates": [113.27, 23.13]},
    "properties": {"name": "东山小学", "capacity": 200},
}


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(f"history/{name}", data)
    return buf.getvalue()


def _history() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(HISTORY.glob("*.csv"))}


async def _count(app: Any) -> int:
    async with app.state.services.store.session() as db:
        return int(await db.scalar(select(func.count()).select_from(OccupancyReport)) or 0)


async def _nanao_shelters(client: httpx.AsyncClient) -> None:
    """Designated shelters (with capacities) and the opened-shelter layer, keyed by ID."""
    ref = {"format": "csv", "fid_field": "ID"}
    ref["mapping"] = json.dumps({"名称": "name", "想定収容人数": "capacity"})
    data = (NANAO / "reference_data.csv").read_bytes()
    r = await client.post("/api/gis/layers/shelters/import", params=ref, content=data)
    assert r.status_code == 200, r.text
    opened = {"format": "geojson", "fid_field": "ID"}
    opened["mapping"] = json.dumps(
        {"名称": "name", "人数": "occupancy", "想定収容人数": "capacity"}
    )
    data = (NANAO / "open_shelter_Nanao-shi.geojson").read_bytes()
    r = await client.post("/api/gis/layers/shelters/import", params=opened, content=data)
    assert r.status_code == 200, r.text


def test_times_from_column_header_and_file_name() -> None:
    assert parse_time("令和6年1月9日午後6時", TOKYO) == datetime(2024, 1, 9, 18, tzinfo=TOKYO)
    assert parse_time("令和6年7月25日午後1時30分", TOKYO) == datetime(
        2024, 7, 25, 13, 30, tzinfo=TOKYO
    )
    assert parse_time("令和6年5月29日正午", TOKYO) == datetime(2024, 5, 29, 12, tzinfo=TOKYO)
    assert parse_time("x_2024-01-13-0600.csv", TOKYO) == datetime(2024, 1, 13, 6, tzinfo=TOKYO)
    data = "ID,名称,人数_令和6年1月9日午後6時時点\nA1,a,3\n".encode()
    snap = parse_snapshot("no-time-in-name.csv", data)
    assert snap.taken_at == datetime(2024, 1, 9, 9, tzinfo=UTC)
    snap = parse_snapshot("s_2024-02-01-0600.csv", b"ID,name,count\nA1,a,3\n", tz="UTC")
    assert snap.taken_at == datetime(2024, 2, 1, 6, tzinfo=UTC) and snap.rows[0].count == 3


@pytest.mark.asyncio
async def test_nanao_history_is_a_time_series(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "coordinator")
    await _nanao_shelters(client)
    history = _history()
    r = await client.post(IMPORT, content=_zip(history), params={"tz": "Asia/Tokyo"})
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["snapshots"] == len(history) == 117 and rep["times"] == 117
    assert rep["skipped"] == [] and rep["created"] == await _count(app)
    assert rep["from"].startswith("2024-01-09T18:00:00+09:00")
    assert datetime.fromisoformat(rep["to"]).month == 8

    first_name = min(history)
    rows = list(csv.DictReader(io.StringIO(history[first_name].decode("utf-8-sig"))))
    first = rows[0]
    count_col = next(c for c in first if c.startswith("人数"))
    fid = first["ID"]
    r = await client.get(f"/api/gis/shelters/{fid}/occupancy")
    assert r.status_code == 200, r.text
    series = r.json()["items"]
    times = [datetime.fromisoformat(p["at"]) for p in series]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert times[0] == datetime(2024, 1, 9, 18, tzinfo=TOKYO)
    assert series[0]["count"] == int(first[count_col]) and series[0]["open"] is True
    in_files = sum(1 for d in history.values() if fid in d.decode("utf-8-sig"))
    assert sum(1 for p in series if p["open"]) == in_files

    window = {"from": "2024-02-01T00:00:00+09:00", "to": "2024-02-29T23:59:00+09:00"}
    part = (await client.get(f"/api/gis/shelters/{fid}/occupancy", params=window)).json()
    months = {datetime.fromisoformat(p["at"]).astimezone(TOKYO).month for p in part["items"]}
    assert months == {2}

    latest = {i["fid"]: i for i in (await client.get(f"{IMPORT[:-7]}/latest")).json()["items"]}
    last_file = history[max(history)].decode("utf-8-sig")
    last_row = next(csv.DictReader(io.StringIO(last_file)))
    still_open = latest[last_row["ID"]]
    assert still_open["open"] and still_open["count"] == int(last_row["人数"])
    assert still_open["ratio"] == round(still_open["count"] / still_open["capacity"], 4)
    feat = await client.get(f"/api/gis/layers/shelters/features/{last_row['ID']}")
    assert feat.json()["properties"]["occupancy"] == int(last_row["人数"])
    assert latest[fid]["open"] is (fid == last_row["ID"])

    before = await _count(app)
    r = await client.post(IMPORT, content=_zip(history))
    assert r.status_code == 200 and r.json()["created"] == 0 and r.json()["updated"] == 0
    assert await _count(app) == before


@pytest.mark.asyncio
async def test_bad_row_and_unknown_shelter_refused(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "coordinator")
    await _nanao_shelters(client)
    name = min(_history())
    lines = _history()[name].decode("utf-8-sig").splitlines()
    cells = next(csv.reader([lines[2]]))
    cells[3] = "-5"
    lines[2] = ",".join(f'"{c}"' for c in cells)
    broken = "\n".join(lines).encode()
    r = await client.post(IMPORT, content=_zip({name: broken}))
    assert r.status_code == 422, r.text
    err = r.json()["errors"][0]
    assert err["loc"] == f"file {name} row 3" and "人数" in err["msg"]
    assert await _count(app) == 0

    unknown = "ID,名称,人数\nZZ999,nowhere,4\n".encode()
    files = {"file": ("snap_2024-03-01-0600.csv", unknown, "text/csv")}
    r = await client.post(IMPORT, files=files, params={"partial": "false"})
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "unknown_shelter"
    assert "file snap_2024-03-01-0600.csv row 2" in r.json()["detail"]
    assert await _count(app) == 0
    r = await client.post(IMPORT, content=_zip({name: broken}), params={"partial": "true"})
    assert r.status_code == 200 and r.json()["skipped_count"] == 1
    assert r.json()["created"] == len(lines) - 2


@pytest.mark.asyncio
async def test_report_latest_only_moves_current(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "coordinator")
    assert (await client.post("/api/gis/layers/shelters/features", json=SHELTER)).status_code == 201
    seen: list[tuple[str, dict[str, Any], Audience]] = []
    bus = app.state.services.bus
    original = bus.publish

    async def spy(type_: str, data: dict[str, Any], audience: Audience = Audience()) -> Any:
        seen.append((type_, data, audience))
        return await original(type_, data, audience=audience)

    bus.publish = spy
    url = "/api/gis/shelters/S1/occupancy"
    now = datetime.now(UTC).replace(microsecond=0)
    r = await client.post(url, json={"at": now.isoformat(), "count": 120, "open": True})
    assert r.status_code == 201, r.text
    assert r.json()["latest"] and r.json()["capacity"] == 200
    older = (now - timedelta(hours=6)).isoformat()
    r = await client.post(url, json={"at": older, "count": 30, "open": True})
    assert r.status_code == 201 and not r.json()["latest"]
    props = (await client.get("/api/gis/layers/shelters/features/S1")).json()["properties"]
    assert props["occupancy"] == 120 and props["open"] is True and props["version"] == 2
    assert [p["count"] for p in (await client.get(url)).json()["items"]] == [30, 120]
    occ = [d for t, d, _a in seen if t == "gis.shelter.occupancy"]
    assert occ[0] == {"fid": "S1", "count": 120, "capacity": 200, "at": now.isoformat()}
    changed = [d for t, d, _a in seen if t == "gis.feature.changed"]
    assert len(changed) == 1 and changed[0]["op"] == "occupancy"
    assert all(a.permission == "gis.read" for t, _d, a in seen if t.startswith("gis."))

    future = (now + timedelta(minutes=5)).isoformat()
    cases = [
        ({"at": future, "count": 1}, "body.at"),
        ({"at": "2024-01-09T18:00:00", "count": 1}, "body.at"),
        ({"at": older, "count": -1}, "body.count"),
    ]
    for body, loc in cases:
        r = await client.post(url, json=body)
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == loc, r.text
    r = await client.post("/api/gis/shelters/NOPE/occupancy", json={"at": older, "count": 1})
    assert r.status_code == 404 and "NOPE" in r.json()["detail"]
    await login(client, "viewer")
    assert (await client.post(url, json={"at": older, "count": 1})).status_code == 403
    assert (await client.get(url)).status_code == 200
