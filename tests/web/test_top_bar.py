"""The top bar, as staff use it: every staff page is reachable from it (the consultation
topics and the assessment were only reachable through other pages), it stays one line on
a 1280 px desk screen, its menus open, lead to their page and close on a click outside,
and on a phone's field page it fits the screen."""
from __future__ import annotations

import pytest

from ..browser import assert_accessible, screenshot
from ..phone_support import login

pytest_plugins = ["tests.browser"]


def bar_height(page) -> float:
    return page.locator("header.topbar").bounding_box()["height"]


def rows(page) -> int:
    """How many rows the brand and the bar's visible items take (by their middles: items
    of one row differ in height, not in where their middle is)."""
    middles = page.evaluate("""() => [...document.querySelectorAll(
        'header.topbar .brand, header.topbar nav > *')].filter((e) => e.offsetParent)
        .map((e) => { const r = e.getBoundingClientRect(); return (r.top + r.bottom) / 2; })""")
    return 1 + sum(1 for a, b in zip(sorted(middles), sorted(middles)[1:]) if b - a > 16)


@pytest.mark.browser
def test_a_supervisor_reaches_every_page_from_a_one_line_bar(live_server, strict_page):
    page = strict_page
    login(page, live_server, "community_sup", "/cases")
    one_line = bar_height(page)
    assert rows(page) == 1                                   # one row of links, not two
    page.click("header.topbar nav >> text=议事协商")
    page.wait_for_url(f"{live_server}/topics")
    page.click("header.topbar summary:has-text('考核')")
    assert page.locator(".menu-items >> text=综合考核").is_visible()
    assert bar_height(page) == one_line                      # the menu floats over the page
    screenshot(page, "top-bar-menu-open")
    assert_accessible(page)
    page.click("h1")                                         # a click elsewhere closes it
    assert not page.locator(".menu-items >> text=综合考核").is_visible()
    page.click("header.topbar summary:has-text('考核')")
    page.click(".menu-items >> text=综合考核")
    page.wait_for_url(f"{live_server}/assessment")
    page.click("header.topbar summary:has-text('资源')")
    page.click(".menu-items >> text=人员配备")
    page.wait_for_url(f"{live_server}/staffing")
    assert bar_height(page) == one_line


@pytest.mark.browser
def test_the_bar_fits_a_phone_on_the_field_page(live_server, phone_page):
    page = phone_page
    login(page, live_server, "grid_leader", "/field")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert page.locator("header.topbar summary:has-text('资源')").is_hidden()
    page.tap("header.topbar summary:has-text('考核')")
    page.tap(".menu-items >> text=走访考核")
    page.wait_for_url(f"{live_server}/visits/supervision")
