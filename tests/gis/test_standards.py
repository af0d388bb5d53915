"""Shelter standards as settings: area per person by kind; a community without population."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from console.settings import Settings
from gis.analysis import Radii
from gis.layers import AreaPerPerson, Shelter
from tests.conftest import REPO, login, make_settings
from tests.gis.importing import fc, post_import, square


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """A site that plans to GB 21734-2008's 1.5 m² for emergency shelters."""
    return make_settings(
        data_dir, readiness={"debounce_s": 0.05, "area_per_person": {"emergency": 1.5}}
    )


def test_defaults_follow_gb_50413() -> None:
    a = AreaPerPerson()
    assert (a.emergency, a.fixed_short, a.fixed_long, a.central) == (1.0, 2.0, 2.0, 2.0)
    assert Shelter(name="x", kind="central", effective_area_m2=10_000).capacity == 5000
    assert "local" in (Radii.model_fields["central_m"].description or "")
    readme = (REPO / "README.md").read_text("utf-8")
    assert "central 5,000 m, per GB 50413-2007" not in readme
    assert "8.2.8" in readme and "GB 21734-2008" in readme


@pytest.mark.asyncio
async def test_area_per_person_setting_applies(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    body = {
        "type": "Feature",
        "id": "A1",
        "geometry": {"type": "Point", "coordinates": [113.27, 23.13]},
        "properties": {"name": "广场", "kind": "emergency", "effective_area_m2": 3000},
    }
    r = await client.post("/api/gis/layers/shelters/features", json=body)
    assert r.status_code == 201 and r.json()["properties"]["capacity"] == 2000
    fixed = fc(
        {
            "type": "Feature",
            "id": "F1",
            "geometry": {"type": "Point", "coordinates": [113.28, 23.13]},
            "properties": {"name": "公园", "kind": "fixed_long", "effective_area_m2": 3000},
        }
    )
    r = await post_import(client, "shelters", fixed, dry_run=True)
    assert r.json()["preview"]["features"][0]["properties"]["capacity"] == 1500


@pytest.mark.asyncio
async def test_community_without_population_has_no_score(
    client: httpx.AsyncClient, app: Any
) -> None:
    await login(client, "coordinator")
    boundary = fc(
        {
            "type": "Feature",
            "properties": {"adcode": 440104001, "name": "东山"},
            "geometry": square(113.27, 23.12),
        },
        {
            "type": "Feature",
            "properties": {"adcode": 440104002, "name": "农林", "pop": 3000, "hh": 1000},
            "geometry": square(113.29, 23.12),
        },
    )
    mapping = {"adcode": "code", "name": "name", "pop": "population", "hh": "households"}
    r = await post_import(client, "communities", boundary, mapping=mapping)
    assert r.status_code == 200, r.text
    await client.post("/api/readiness/recompute")
    blank = (await client.get("/api/readiness/440104001")).json()
    counted = (await client.get("/api/readiness/440104002")).json()
    assert blank["score"] is None and blank["population"] is None
    assert blank["missing"][0] == "population" and blank["population_known"] is False
    assert counted["population_known"] is True and "population" not in counted["missing"]
