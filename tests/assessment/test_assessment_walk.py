"""The manager at the scoreboard, in Chromium: an area code mistyped (four digits) is
refused in Chinese, not in English, and the corrected code gives the ranking again."""

from __future__ import annotations

import re

import pytest

from ..browser import assert_accessible, screenshot
from ..phone_support import login

pytest_plugins = ["tests.browser"]


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
