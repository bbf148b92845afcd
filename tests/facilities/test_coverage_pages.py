"""The coverage, staffing and facilities pages in headless Chromium: they render, load only
from our own origin and break no Content Security Policy rule."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from ..browser import csp_violations, foreign_requests
from ..tiny_city import PASSWORD

pytest_plugins = ["tests.browser"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def login(page, base, username, then):
    page.goto(f"{base}/login?next={then}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{then}")


@pytest.fixture()
def canteen(engine):
    with engine.begin() as conn:
        fid = conn.execute(text("""INSERT INTO facility (kind, name, capacity, geom, area_id)
            VALUES ('elderly_canteen', '测试老年食堂', 80, """
                                """ST_SetSRID(ST_MakePoint(121.5125, 38.9875), 4326),
                    locate_leaf(ST_SetSRID(ST_MakePoint(121.5125, 38.9875), 4326))) """
                                """RETURNING id""")).scalar()
    yield fid
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM facility WHERE id = :id"), {"id": fid})


@pytest.mark.browser
def test_coverage_staffing_and_facilities_pages(live_server, browser_page, canteen):
    page = browser_page
    ARTIFACTS.mkdir(exist_ok=True)
    login(page, live_server, "street_sup", "/coverage")
    page.wait_for_selector("body[data-coverage-ready]")
    page.select_option("select[name=level]", "grid")
    page.fill("input[name=distance]", "2500")
    page.click("#cov-form button[type=submit]")
    page.wait_for_selector("body[data-coverage-ready='2']")
    assert page.locator("#cov-table tbody tr").count() == 8
    assert "按网格统计 8 个区域" in page.inner_text("#cov-summary")
    assert "14" in page.inner_text("#cov-summary")              # 16 households, 2 within 2.5 km
    assert page.locator("#cov-map path.leaflet-interactive").count() >= 8
    page.screenshot(path=str(ARTIFACTS / "coverage.png"), full_page=True)
    assert foreign_requests(page, live_server) == [] and csp_violations(page) == []

    page.goto(f"{live_server}/staffing")
    page.wait_for_selector("body[data-staffing-ready]")
    assert page.locator("#st-table tbody tr").count() == 2     # the street_sup's street by default
    assert page.evaluate(
        "() => !!Chart.getChart('workers-chart') && !!Chart.getChart('officers-chart')")
    page.screenshot(path=str(ARTIFACTS / "staffing.png"), full_page=True)

    page.goto(f"{live_server}/facilities")
    page.wait_for_selector("body[data-facilities-ready]")
    assert "测试老年食堂" in page.inner_text("#fac-table")
    # a supervisor may register facilities
    assert page.locator("#fac-form").count() == 1
    page.click("#fac-table tbody tr")                             # a row fills the form
    assert page.input_value("#fac-form input[name=name]") == "测试老年食堂"
    page.screenshot(path=str(ARTIFACTS / "facilities.png"), full_page=True)
    assert foreign_requests(page, live_server) == [] and csp_violations(page) == []
    assert page.errors_seen == []


@pytest.mark.browser
def test_a_grid_worker_sees_the_far_homes_of_their_grid(live_server, browser_page, canteen):
    page = browser_page
    login(page, live_server, "grid_worker", "/coverage")
    page.wait_for_selector("body[data-coverage-ready]")
    assert page.locator("input[name=tag]").count() == 1
    page.check("input[name=points]")
    page.click("#cov-form button[type=submit]")
    page.wait_for_selector("body[data-coverage-ready='2']")
    # The canteen (blue) and the one far household of the worker's grid (red), nothing else.
    fills = page.evaluate("() => [...document.querySelectorAll("
                          "'#cov-map path.leaflet-interactive')]"
                          ".map((p) => p.getAttribute('fill'))"
                          ".filter((c) => c === '#ef4444' || c === '#1f6feb')")
    assert sorted(fills) == ["#1f6feb", "#ef4444"]
    page.screenshot(path=str(ARTIFACTS / "coverage-homes.png"), full_page=True)
    assert foreign_requests(page, live_server) == [] and csp_violations(page) == []
    assert page.errors_seen == []


@pytest.mark.browser
def test_the_public_facilities_page_is_accessible(live_server, strict_page, canteen, engine):
    from ..browser import assert_accessible, screenshot
    # Enough facilities that the list scrolls (axe checks a scrolling region by keyboard).
    with engine.begin() as conn:
        conn.execute(text("""INSERT INTO facility (kind, name, geom, is_public)
            SELECT 'clinic', '测试卫生室' || i, """
                          """ST_SetSRID(ST_MakePoint(121.51 + i * 0.002, 38.97), 4326), true
            FROM generate_series(1, 40) AS i"""))
    page = strict_page
    try:
        page.goto(f"{live_server}/facilities")
        page.wait_for_selector("body[data-facilities-ready]")
        assert "测试老年食堂" in page.inner_text("#fac-table")
        assert page.locator("#fac-form").count() == 0            # the public only reads
        screenshot(page, "facilities-public")
        assert_accessible(page)                                  # the list scrolls by keyboard too
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM facility WHERE name LIKE '测试卫生室%'"))
