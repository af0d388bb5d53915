"""20,000 cameras on the operations map: grid clusters per zoom whose status counts add up
(against the registry and an independent binning of the same positions), a few hundred
markers instead of 20,000, and counts that follow a camera change live."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.harness import (
    REPO,
    Server,
    api_session,
    close,
    connected,
    eoc,
    free_port,
    new_page,
    shot,
    start,
    stop,
)
from tests.browser.ops_api import call, get, open_ops, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CAMERAS = 20_000
CELL = 64
DRAWN = """() => {
  const out = {total: 0, ok: 0, degraded: 0, offline: 0, other: 0, mismatched: 0, clusters: [], singles: 0};
  for (const c of document.querySelectorAll('[data-testid=ops-cluster]')) {
    const d = c.dataset;
    const parts = +d.ok + +d.degraded + +d.offline + +d.other;
    if (parts !== +d.total) out.mismatched += 1;
    out.total += +d.total;
    for (const k of ["ok", "degraded", "offline", "other"]) out[k] += +d[k];
    out.clusters.push([+d.total, +d.ok, +d.degraded, +d.offline, +d.other]);
  }
  for (const c of document.querySelectorAll('.ops-cam')) {
    const s = c.dataset.status;
    out.total += 1;
    out.singles += 1;
    out[["ok", "degraded", "offline"].includes(s) ? s : "other"] += 1;
    out.clusters.push([1, +(s === "ok"), +(s === "degraded"), +(s === "offline"),
      +!["ok", "degraded", "offline"].includes(s)]);
  }
  return out;
}"""
VIEW = """() => { const m = document.querySelector('[data-testid=ops-map]').opsMap.map;
  const b = m.getBounds().pad(0.25); return [m.getZoom(), b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"""


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, Any]]]:
    """A server on a synthetic city with 20,000 cameras (camera watching off)."""
    tmp = tmp_path_factory.mktemp("eoc-city")
    data = tmp / "data"
    # A subprocess: the sync Playwright fixtures already run an event loop in this thread.
    out = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "ops_city.py"),
            str(data),
            "--communities",
            "300",
            "--shelters",
            "500",
            "--buildings",
            "2000",
            "--cameras",
            str(CAMERAS),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    info: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    port = free_port()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EOC_STREAMS__WATCH", "false")
        srv = start(
            eoc("serve", "--data-dir", str(data), "--port", str(port)),
            data,
            port,
            tmp / "server.log",
        )
    yield srv, info
    stop(srv)


def group(status: str) -> int:
    return {"ok": 0, "degraded": 1, "offline": 2}.get(status, 3)


def expected_clusters(cols: dict[str, Any], view: list[float]) -> Counter[tuple[int, ...]]:
    """The same grid binning computed here: (total, ok, degraded, offline, other) per cluster
    whose mean position is in the (padded) view."""
    zoom, west, south, east, north = view
    scale = 256 * 2**zoom / CELL

    def merc(lon: float, lat: float) -> tuple[float, float]:
        s = math.sin(math.radians(max(-85.05, min(85.05, lat))))
        return (lon + 180) / 360, 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)

    cells: dict[tuple[int, int], list[Any]] = {}
    for lon, lat, st in zip(cols["lon"], cols["lat"], cols["status"], strict=True):
        x, y = merc(lon, lat)
        c = cells.setdefault((math.floor(x * scale), math.floor(y * scale)), [0, 0.0, 0.0, [0] * 4])
        c[0] += 1
        c[1] += x
        c[2] += y
        c[3][group(st)] += 1
    x0, y1 = merc(west, south)
    x1, y0 = merc(east, north)
    out: Counter[tuple[int, ...]] = Counter()
    for n, sx, sy, counts in cells.values():
        if x0 <= sx / n <= x1 and y0 <= sy / n <= y1:
            out[(n, *counts)] += 1
    return out


def drawn(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(DRAWN)
    return result


def test_twenty_thousand_cameras_cluster_and_counts_add_up(
    browser: Browser, city: tuple[Server, dict[str, Any]]
) -> None:
    server, info = city
    url = server.url
    op, _ = api_session(url, "operator")
    cols = get(op, url + "/api/ops/cameras")
    assert cols["count"] == CAMERAS
    page = new_page(browser, "en")
    page.set_viewport_size({"width": 1920, "height": 1080})
    try:
        open_ops(page, url, "operator")
        amap = page.get_by_test_id("ops-map")
        expect(amap).to_have_attribute("data-cameras", str(CAMERAS))
        # The whole city in view: every camera is in exactly one drawn cluster.
        d = drawn(page)
        assert d["total"] == CAMERAS and d["mismatched"] == 0
        status = info["status"]
        assert (d["ok"], d["degraded"], d["offline"]) == (
            status["ok"],
            status["degraded"],
            status["offline"],
        )
        assert d["other"] == status["unknown"]
        assert 0 < len(d["clusters"]) <= int(amap.get_attribute("data-camera-markers") or 0) < 600
        assert Counter(tuple(c) for c in d["clusters"]) == expected_clusters(
            cols, page.evaluate(VIEW)
        )
        shot(page, "ops-20000-cameras-en")

        # Zoomed in: clusters split, each still adds up, and match an independent binning.
        page.get_by_test_id("ops-map").click(position={"x": 5, "y": 300})
        for _ in range(3):
            page.keyboard.press("+")
        page.wait_for_timeout(1200)
        z = drawn(page)
        assert z["mismatched"] == 0 and 0 < z["total"] < CAMERAS
        assert Counter(tuple(c) for c in z["clusters"]) == expected_clusters(
            cols, page.evaluate(VIEW)
        )
        shot(page, "ops-20000-cameras-zoomed-en")

        # A camera switched off elsewhere: its cluster recounts live.
        connected(page)
        page.keyboard.press("0")
        page.wait_for_timeout(800)
        before = drawn(page)
        victim = cols["id"][cols["status"].index("ok")]
        admin, csrf = api_session(url, "admin")
        call(admin, csrf, "PATCH", f"{url}/api/cameras/{victim}", {"enabled": False})
        after = wait_until(
            lambda: (lambda x: x if x["ok"] == before["ok"] - 1 else None)(drawn(page)),
            timeout=20,
            what="the cluster counts to follow the change",
        )
        assert after["other"] == before["other"] + 1 and after["total"] == CAMERAS

        # A click on a cluster zooms onto it.
        zoom = page.evaluate(VIEW)[0]
        page.get_by_test_id("ops-cluster").first.click()
        wait_until(lambda: page.evaluate(VIEW)[0] > zoom, timeout=10, what="zoom onto the cluster")
    finally:
        close(page)
