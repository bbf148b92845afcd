"""Case pages in headless Chromium: the public reports a hazard, a worker sees it and acts."""
from __future__ import annotations

from pathlib import Path

import pytest

from ..browser import csp_violations, foreign_requests
from ..tiny_city import PASSWORD

pytest_plugins = ["tests.browser"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def login(page, base, username):
    page.goto(f"{base}/login?next=/cases")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/cases")


@pytest.mark.browser
def test_public_report_reaches_the_workers_list(live_server, browser_page):
    page = browser_page
    page.goto(f"{live_server}/report")
    page.wait_for_selector("#report-map .leaflet-interactive")       # the district is drawn
    page.select_option("select[name=category]", "fire_exit")
    page.fill("textarea[name=description]", "三单元楼道堆满杂物，堵塞消防通道")
    # A click on the map places the marker; then pin the exact spot in grid_worker's grid.
    box = page.locator("#report-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.input_value("input[name=lng]") != ""
    page.evaluate("""() => {
        const f = document.getElementById('report-form');
        f.lng.value = '121.512'; f.lat.value = '38.988';
    }""")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#report-result strong")
    receipt = page.inner_text("#report-result")
    assert "案件编号" in receipt
    case_id = receipt.split("案件编号")[1].split("，")[0].strip()
    assert foreign_requests(page, live_server) == [] and csp_violations(page) == []

    login(page, live_server, "grid_worker")
    page.wait_for_selector(f"tr[data-case-id='{case_id}']")
    row = page.inner_text(f"tr[data-case-id='{case_id}']")
    assert "消防通道堵塞" in row and "已上报" in row
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "cases-list.png"), full_page=True)

    # The worker cannot register; the community supervisor can, from the case page.
    page.click(f"tr[data-case-id='{case_id}'] a")
    page.wait_for_selector("#case-facts dl")
    assert page.locator("#case-actions button[data-action=register]").count() == 0
    assert foreign_requests(page, live_server) == [] and csp_violations(page) == []


@pytest.mark.browser
def test_supervisor_acts_and_sees_charts(live_server, browser_page, client, as_user):
    created = client.post("/api/cases", headers=as_user("grid_worker"), json={
        "kind": "incident", "category": "rubbish", "description": "垃圾未清运",
        "location": {"lng": 121.51, "lat": 38.99}}).get_json()["case"]
    page = browser_page
    login(page, live_server, "community_sup")
    page.goto(f"{live_server}/cases/{created['id']}")
    page.wait_for_selector("#case-actions button[data-action=register]")
    page.click("#case-actions button[data-action=register]")
    page.click("#action-form[data-action=register] button[type=submit]")   # the form confirms it
    page.wait_for_selector("#case-actions button[data-action=dispatch]")
    assert page.inner_text("#case-state") == "已立案"
    assert "立案" in page.inner_text("#case-events")
    page.goto(f"{live_server}/cases/stats")
    page.wait_for_selector("#stats-table tbody tr")
    assert page.evaluate("() => !!Chart.getChart('trend-chart') && !!Chart.getChart('rank-chart')")
    page.screenshot(path=str(ARTIFACTS / "cases-stats.png"), full_page=True)
    assert foreign_requests(page, live_server) == [] and csp_violations(page) == []
