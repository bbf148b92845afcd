"""The manager at the scoreboard, in Chromium: an area code mistyped (four digits) is
refused in Chinese, not in English, and the corrected code gives the ranking again; the
records behind a figure read in Chinese (they showed "closed", "answered", "other" and
"red: 0/2", the database's keys)."""

from __future__ import annotations

import re

import pytest

from ..browser import assert_accessible, screenshot
from ..phone_support import login
from .support import add_case, add_demand

pytest_plugins = ["tests.browser"]
COMMUNITY = "210204001001"


@pytest.mark.browser
def test_a_mistyped_area_code_is_refused_in_chinese(live_server, strict_page):
    page = strict_page
    page.expect_problem(r"HTTP 400: GET .*/api/assessment/scores\?.*area=2102")
    login(page, live_server, "district_sup", "/assessment")
    page.wait_for_selector("#a-table tr[data-subject]")
    page.fill("#a-area", "2102")
    page.click("#a-go")
    refusal = page.locator("#a-table td:has-text('加载失败')")
    refusal.wait_for()
    text = refusal.inner_text()
    assert "区域编码" in text and not re.search(r"[A-Za-z]", text), text
    screenshot(page, "assessment-walk-bad-code")
    assert_accessible(page)

    page.fill("#a-area", "210204")
    page.click("#a-go")
    page.wait_for_selector("#a-table tr[data-subject='210204001001']")


def drill(page, indicator: str) -> str:
    """Click a community's figure of `indicator`: the records' summary and table, as read."""
    page.click(f"#a-table tr[data-subject='{COMMUNITY}'] button[data-indicator={indicator}]")
    page.wait_for_selector(f"#a-drill-title:has-text('{indicator_name(page, indicator)}')")
    return page.inner_text("#a-drill-summary") + "\n" + page.inner_text("#a-drill-table")


def indicator_name(page, indicator: str) -> str:
    return page.inner_text(f"#a-table th[data-indicator={indicator}]")


@pytest.mark.browser
def test_the_records_behind_a_figure_read_in_chinese(live_server, strict_page, engine):
    from datetime import date

    today = date.today().isoformat()
    with engine.begin() as conn:
        add_case(conn, COMMUNITY, today, "closed")
        add_demand(conn, COMMUNITY, today, today)
    page = strict_page
    login(page, live_server, "district_sup", "/assessment")
    page.wait_for_selector(f"#a-table tr[data-subject='{COMMUNITY}']")
    for indicator, expected in [("case_closure", "已结案"), ("demand_on_time", "已答复"),
                                ("visit_completion", "红")]:
        shown = drill(page, indicator)
        assert expected in shown, shown
        assert not re.search(r"[A-Za-z]", shown), shown
    screenshot(page, "assessment-walk-drill")
    assert_accessible(page)
