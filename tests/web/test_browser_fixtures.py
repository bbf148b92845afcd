"""The strict browser fixtures catch what they promise to catch (so a task test can fail)."""
from __future__ import annotations

import pytest

from ..browser import DESKTOP, _strict_page, assert_accessible, axe_violations

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser


def _problems_of(chromium, url):
    context, page, problems = _strict_page(chromium, DESKTOP)
    try:
        page.goto(url)
        page.wait_for_timeout(200)
        return problems.unexpected()
    finally:
        context.close()


def test_a_console_error_is_a_problem(chromium, live_server):
    found = _problems_of(chromium, "data:text/html,<script>console.error('boom')</script>")
    assert any("console error: boom" in p for p in found), found


def test_a_404_is_a_problem_unless_expected(chromium, live_server):
    context, page, problems = _strict_page(chromium, DESKTOP)
    try:
        page.goto(live_server + "/no-such-page")
        assert any("HTTP 404" in p for p in problems.unexpected())
        page.expect_problem(r"HTTP 404: GET .*/no-such-page")
        assert not [p for p in problems.unexpected() if "no-such-page" in p]
    finally:
        context.close()


def test_axe_finds_a_missing_label(strict_page):
    strict_page.set_content("<html lang='zh-CN'><title>t</title><main>"
                            "<input type='text'></main></html>")
    found = axe_violations(strict_page)
    assert any(v["id"] == "label" for v in found), found
    strict_page.set_content("<html lang='zh-CN'><title>t</title><main><label>名称"
                            "<input type='text'></label></main></html>")
    assert_accessible(strict_page)
