"""Acceptance: an operator enters an M6.0 earthquake under the district and the operations
view switches: intensity map with isoseismals, the impact table (every figure with its
inputs), shelters over capacity, and the auto-wall playing cameras that are real RTSP peers
(frames decoded in the tiles); then runs the incident from it (pin, dismiss, a decision seen
live by another user, a shelter opened, a dispatch, the report)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.harness import (
    Server,
    api_session,
    close,
    connected,
    demo,
    new_page,
    shot,
    stop,
    unit_id,
)
from tests.browser.ops_api import call, close_open_incidents, get, open_ops, wait_until
from tests.paths import VIDEO
from tests.peers.fixtures import RtspPeer

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PEERS = ("YX-0001", "YX-0002")  # the demo's best-ranked suggestions; peers stand beside them
FRAMES = """(ids) => ids.map((id) => {
  const tile = document.querySelector(`.ops-wall-grid .wall-tile[data-camera="${id}"]`);
  const v = tile && tile.querySelector("video");
  return {id, width: v ? v.videoWidth : 0,
          frames: v && v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality().totalVideoFrames : 0};
})"""


@pytest.fixture(scope="module")
def incident_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A demo server of its own (the test changes shelters and opens an incident)."""
    srv = demo(tmp_path_factory.mktemp("eoc-ops-incident"))
    yield srv
    stop(srv)


def prepare(url: str, peer: RtspPeer) -> None:
    """RTSP cameras beside the best-ranked demo cameras; shelters a seventh of their size."""
    admin, csrf = api_session(url, "admin")
    psb = unit_id(admin, url, "psb")
    before = get(admin, url + "/api/ops/readiness?limit=0")["computed_at"]
    cams = {c["id"]: c for c in get(admin, url + "/api/cameras?limit=100")["items"]}
    for src in PEERS:
        c = cams[src]
        body = {
            "id": f"RTSP-{src}",
            "name": f"{c['name']} RTSP",
            "owner_unit_id": psb,
            "lon": c["lon"],
            "lat": c["lat"],
            "fov": c["fov"],
            "main_url": peer.url("cam", "svc:cam-secret"),
            "key_camera": True,
        }
        call(admin, csrf, "POST", url + "/api/cameras", body)
    for f in get(admin, url + "/api/gis/layers/shelters.geojson")["features"]:
        props = dict(f["properties"])
        version = props.pop("version")
        props.pop("fid")
        props["capacity"] = max(1, props["capacity"] // 7)
        call(
            admin,
            csrf,
            "PUT",
            f"{url}/api/gis/layers/shelters/features/{f['id']}",
            {"geometry": f["geometry"], "properties": props},
            {"If-Match": f'"{version}"'},
        )

    def settled() -> bool:
        # Recomputed since the changes, and quiet for three seconds (one burst, one state).
        first = get(admin, url + "/api/ops/readiness?limit=0")["computed_at"]
        if first == before:
            return False
        time.sleep(3)
        return bool(get(admin, url + "/api/ops/readiness?limit=0")["computed_at"] == first)

    wait_until(settled, timeout=90, what="readiness recomputed with the new cameras")


def decoding(page: Page, ids: list[str], timeout: float = 45) -> list[dict[str, Any]]:
    """Until every listed tile shows video with a rising decoded frame count."""
    deadline = time.monotonic() + timeout
    first: list[dict[str, Any]] = page.evaluate(FRAMES, ids)
    now = first
    while time.monotonic() < deadline:
        page.wait_for_timeout(700)
        now = page.evaluate(FRAMES, ids)
        if all(
            n["width"] > 0 and n["frames"] > f["frames"] and n["frames"] > 10
            for n, f in zip(now, first, strict=True)
        ):
            return now
        first = now
    raise AssertionError(f"tiles not decoding: {now}")


def test_operator_enters_m6_and_the_operations_view_switches(
    browser: Browser, incident_server: Server, rtsp_peer: type[RtspPeer]
) -> None:
    url = incident_server.url
    peer = rtsp_peer({"cam": str(VIDEO / "car-detection.mp4")}).start()
    prepare(url, peer)
    page = new_page(browser, "zh-CN")
    page.set_viewport_size({"width": 1920, "height": 1080})
    watcher: Page | None = None
    admin, acsrf = api_session(url, "admin")
    try:
        open_ops(page, url, "operator")
        connected(page)
        page.get_by_test_id("ops-wall-count").select_option("9")
        view = page.get_by_test_id("ops-view")
        expect(view).to_have_attribute("data-mode", "normal")

        # Manual entry: the epicentre by a click on the map, then the numbers.
        page.get_by_test_id("ops-enter-quake").click()
        form = page.get_by_test_id("ops-quake-form")
        page.get_by_test_id("ops-pick-epicentre").click()
        box = page.get_by_test_id("ops-map").bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + box["width"] * 0.35, box["y"] + box["height"] / 2)
        expect(form.locator("[name=lat]")).not_to_have_value("")
        lat = float(form.locator("[name=lat]").input_value())
        lon = float(form.locator("[name=lon]").input_value())
        assert 23.10 < lat < 23.16 and 113.25 < lon < 113.33
        form.locator("[name=magnitude]").fill("6.0")
        form.locator("[name=source]").fill("电话：省地震局")
        form.locator("[name=place]").fill("示范区")
        shot(page, "ops-quake-form-zh-CN")
        page.get_by_test_id("ops-quake-submit").click()

        # The view switches to the incident.
        expect(view).to_have_attribute("data-mode", "incident", timeout=30_000)
        expect(page.get_by_test_id("incident-banner-real")).to_contain_text("M6")
        amap = page.get_by_test_id("ops-map")
        expect(amap).to_have_attribute("data-mode", "intensity")
        expect(amap).to_have_attribute("data-isoseismals", re.compile(r"^[1-9]\d*$"))
        expect(page.get_by_test_id("ops-epicentre")).to_be_visible()
        expect(page.get_by_test_id("ops-legend")).to_contain_text("估计烈度")
        table = page.get_by_test_id("ops-impact-table")
        expect(table.locator("tbody tr")).to_have_count(48)
        peak = float(
            page.get_by_test_id("ops-fig-max_intensity").locator(".ops-fig-v").inner_text()
        )
        assert peak >= 6.5
        over_fig = page.get_by_test_id("ops-fig-shelters_over_capacity")
        expect(over_fig).to_have_class("ops-fig danger")
        shelters = page.get_by_test_id("ops-incident-shelters")
        over_rows = shelters.locator("tr[data-over=true]")
        expect(page.get_by_test_id("ops-over-count")).to_be_visible()
        n_over = over_rows.count()
        assert n_over >= 1
        assert int(over_fig.locator(".ops-fig-v").inner_text()) >= n_over
        expect(amap).to_have_attribute("data-over-capacity", re.compile(r"^[1-9]\d*$"))

        # The auto-wall plays: the RTSP peers' frames are decoded in their tiles.
        expect(page.get_by_test_id("ops-wall-title")).to_contain_text("自动上墙")
        wall = page.get_by_test_id("ops-wall-grid")
        rtsp = [f"RTSP-{src}" for src in PEERS]
        for cid in rtsp:
            expect(wall.locator(f".wall-tile[data-camera='{cid}']")).to_have_count(1)
        stats = decoding(page, rtsp)
        assert all(s["width"] == 768 for s in stats), stats
        assert peer.plays["cam"] >= len(rtsp)
        shot(page, "ops-incident-m6-zh-CN")

        # Every figure with its inputs on demand.
        first = table.locator("tbody tr").first.get_attribute("data-code")
        page.get_by_test_id(f"ops-impact-why-{first}").click()
        why = page.get_by_test_id("ops-why-community")
        expect(why).to_contain_text("gb18306")
        expect(why).to_contain_text("water_l_per_person_day")
        page.keyboard.press("Escape")
        page.get_by_test_id("ops-fig-max_intensity").click()
        expect(page.get_by_test_id("ops-why-max_intensity")).to_contain_text("GB 18306")
        page.keyboard.press("Escape")

        # Dismiss a suggestion, pin another: the wall follows (and the server keeps both).
        incident = view.get_attribute("data-incident")
        other = wall.locator(".wall-tile[data-camera^='YX-']").first
        dismissed = other.get_attribute("data-camera")
        page.get_by_test_id(f"ops-dismiss-{dismissed}").click()
        expect(wall.locator(f".wall-tile[data-camera='{dismissed}']")).to_have_count(0)
        expect(wall).to_have_attribute("data-dismissed", "1")
        page.get_by_test_id("ops-pin-RTSP-YX-0002").click()
        expect(page.get_by_test_id("ops-tile-0")).to_have_attribute("data-camera", "RTSP-YX-0002")
        expect(page.get_by_test_id("ops-tile-0")).to_have_attribute("data-pick", "pin")
        picks = get(admin, f"{url}/api/incidents/{incident}/autowall")
        assert [d["camera_id"] for d in picks["dismissed"]] == [dismissed]

        # A decision on the timeline reaches another user live.
        watcher = new_page(browser, "en")
        open_ops(watcher, url, "admin")
        connected(watcher)
        expect(watcher.get_by_test_id("ops-view")).to_have_attribute(
            "data-incident", incident or ""
        )
        page.get_by_test_id("ops-note-kind").select_option("decision")
        page.get_by_test_id("ops-note-text").fill("启用全部避难场所，调拨帐篷")
        page.get_by_test_id("ops-note-add").click()
        entry = watcher.get_by_test_id("ops-timeline").locator("[data-kind=decision]")
        expect(entry).to_contain_text("启用全部避难场所")

        # Shelter status and a dispatch from the panes.
        fid = over_rows.first.get_attribute("data-testid").removeprefix("ops-shelter-")
        page.get_by_test_id(f"ops-shelter-status-{fid}").select_option("opened")
        expect(shelters.locator(f"[data-testid=ops-shelter-{fid}]")).to_have_attribute(
            "data-status", "opened"
        )
        page.get_by_test_id("ops-dispatch").click()
        dialog = page.get_by_test_id("ops-dispatch-dialog")
        dialog.locator("[name=item]").select_option("tents")
        dialog.locator("[name=quantity]").fill("40")
        dialog.locator("[name=shelter_fid]").select_option(fid)
        dialog.get_by_test_id("dialog-submit").click()
        expect(page.get_by_test_id("ops-timeline").locator("[data-kind=dispatch]")).to_have_count(1)
        expect(watcher.get_by_test_id("ops-timeline").locator("[data-kind=shelter]")).to_have_count(
            1
        )

        # The report, as a print view and a PDF.
        html = page.evaluate(
            "(id) => fetch(`/api/incidents/${id}/report?lang=zh-CN`).then(async (r) => [r.status, await r.text()])",
            incident,
        )
        assert html[0] == 200 and "启用全部避难场所" in html[1]
        pdf = page.evaluate(
            "(id) => fetch(`/api/incidents/${id}/report.pdf`).then((r) => [r.status, r.headers.get('content-type')])",
            incident,
        )
        assert pdf == [200, "application/pdf"]
        expect(page.get_by_test_id("ops-report-pdf")).to_have_attribute(
            "href", re.compile(rf"/api/incidents/{incident}/report\.pdf")
        )
        shot(watcher, "ops-incident-m6-en")
    finally:
        close_open_incidents(admin, acsrf, url)
        if watcher is not None:
            close(watcher)
        close(page)
