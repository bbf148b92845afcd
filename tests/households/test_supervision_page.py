"""/visits/supervision in Chromium: a district supervisor opens at the communities and
drills down to grids, each area named by its path; visits due are whole numbers; a grid
worker gets the 403 page, as the data API answers (issue 14 points 5, 6 and 7)."""
from __future__ import annotations

import re

import pytest

from ..browser import assert_accessible, screenshot
from .test_field_page import login

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser
WHOLE = re.compile(r"^\d+$")


def _rows(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        "#v-table tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")


def test_a_district_supervisor_opens_at_communities_and_drills_down(strict_page, live_server):
    page = strict_page
    login(page, live_server, "district_sup", "/visits/supervision")
    assert page.input_value("#v-group") == "community"
    page.wait_for_selector("#v-table tbody tr button[data-drill='210204001001']")
    keys = page.eval_on_selector_all("#v-table tbody tr", "rs => rs.map(r => r.dataset.key)")
    assert keys and all(len(k) == 12 for k in keys)           # communities, not grids
    assert page.evaluate("document.documentElement.scrollHeight") < 3000
    assert all(WHOLE.match(r[3]) and WHOLE.match(r[4]) for r in _rows(page))   # 应访, 已访
    assert_accessible(page)
    screenshot(page, "supervision-district-communities")

    page.click("#v-table button[data-drill='210204001001']")
    page.wait_for_selector("#v-table tbody tr[data-key='210204001001001']")
    assert page.input_value("#v-group") == "grid"
    names = [r[0] for r in _rows(page)]
    # A grid is named by its path from the community, never "网格01001" alone.
    assert "测试社区01001 测试网格01001" in names, names
    assert_accessible(page)
    screenshot(page, "supervision-district-grids")
    page.click("#v-up")
    page.wait_for_selector("#v-table tbody tr[data-key='210204001002']")
    assert page.input_value("#v-group") == "community"


def test_a_grid_worker_gets_the_forbidden_page(strict_page, live_server):
    page = strict_page
    page.expect_problem(r"HTTP 403: GET .*/visits/supervision")
    login(page, live_server, "grid_worker", "/visits/supervision")
    resp = page.goto(f"{live_server}/visits/supervision")
    assert resp.status == 403
    assert "无权访问走访考核" in page.inner_text("main")
    assert page.query_selector("#v-table") is None
    assert_accessible(page)
    screenshot(page, "supervision-forbidden")
