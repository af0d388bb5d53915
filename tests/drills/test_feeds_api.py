"""The calendar feed as subscribers poll it: conditional GETs, venue, link back, statuses."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from console.gis import store as gis_store
from tests.conftest import login, new_client
from tests.drills.api import advance, create_drill, move, shelter_box


@pytest.mark.asyncio
async def test_conditional_get_and_subscriber_fields(app: Any, client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    async with app.state.services.store.session() as db:
        props = {"name": "东山避难场所", "address": "越秀区东山路 1 号", "capacity": 500}
        await gis_store.upsert(db, "shelters", [("S01", shelter_box(1), props)], "tests")
        await db.commit()
    await create_drill(client, "a")
    await advance(client, "a", "submitted")
    url = (await client.post("/api/drills/feeds", json={"scope": "user"})).json()["url"]
    anon = await new_client(app)
    try:
        r1 = await anon.get(url)
        r2 = await anon.get(url)
        assert r1.status_code == r2.status_code == 200
        assert r1.content == r2.content, "DTSTAMP and everything else stable between fetches"
        tag, modified = r1.headers["ETag"], r1.headers["Last-Modified"]
        assert modified.endswith("GMT")
        assert (await anon.get(url, headers={"If-None-Match": tag})).status_code == 304
        r = await anon.get(url, headers={"If-Modified-Since": modified})
        assert r.status_code == 304 and r.headers["ETag"] == tag and not r.content
        assert (await anon.get(url, headers={"If-None-Match": '"other"'})).status_code == 200
        (ev,) = Calendar.from_ical(r1.content).walk("VEVENT")
        assert str(ev["STATUS"]) == "TENTATIVE"
        assert str(ev["LOCATION"]) == "东山避难场所, 越秀区东山路 1 号"
        assert 23.13 < ev["GEO"].latitude < 23.132 and 113.3 < ev["GEO"].longitude < 113.302
        assert str(ev["URL"]) == "http://testserver/#/drills/a"
        assert len(ev.walk("VALARM")) == 2
        # A change (approval) changes the body, the ETag and Last-Modified.
        await asyncio.sleep(1.1)  # Last-Modified has one-second resolution
        await advance(client, "a", "approved")
        r = await anon.get(url, headers={"If-None-Match": tag})
        assert r.status_code == 200 and r.headers["ETag"] != tag
        assert r.headers["Last-Modified"] != modified
        (ev,) = Calendar.from_ical(r.content).walk("VEVENT")
        assert str(ev["STATUS"]) == "CONFIRMED"
        # Deleting a (cancelled) drill moves Last-Modified too: never a stale 304.
        await create_drill(client, "b", shelter="S02")
        await advance(client, "b", "submitted")
        r = await anon.get(url)
        tag, modified = r.headers["ETag"], r.headers["Last-Modified"]
        await move(client, "b", "cancelled")
        await asyncio.sleep(1.1)
        etag = (await client.get("/api/drills/b")).headers["ETag"]
        assert (await client.delete("/api/drills/b", headers={"If-Match": etag})).status_code == 204
        r = await anon.get(url, headers={"If-Modified-Since": modified})
        assert r.status_code == 200 and b"drill-b@" not in r.content
    finally:
        await anon.aclose()
