"""Small numbers in Chromium: the public, on every public page, is shown no colour count
under 5 and no colour breakdown below the community, neither on screen nor in any
answer the page received (JSON or tile); a community supervisor sees exact numbers."""
from __future__ import annotations

import json
import re

import mapbox_vector_tile
import pytest

from ..areas.test_map_page import _click_map_centre, _log_in, _wait_idle, _zoom_to_first_microgrid
from ..browser import assert_accessible, screenshot
from .test_small_counts import leaks

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser
PUBLIC_PAGES = ["/", "/report", "/facilities", "/coverage", "/login"]
SMALL_ON_SCREEN = re.compile(r"[红橙黄蓝绿]色?\s*[0-4](?![0-9])")


def _record(page) -> list:
    """Every answer the page receives, kept to be checked after the task."""
    seen = []
    page.on("response", lambda r: seen.append(r))
    return seen


def _answer_leaks(responses) -> list[str]:
    """Checks the answers received so far (read before the page navigates away) and
    forgets them."""
    found, done = [], list(responses)
    responses.clear()
    for resp in done:
        kind = resp.headers.get("content-type", "")
        if resp.status != 200 or not ("json" in kind or "vector-tile" in kind):
            continue
        body = resp.body()
        if "json" in kind:
            found += [f"{resp.url} {p}" for p in leaks(json.loads(body))]
        elif body:
            for name, layer in mapbox_vector_tile.decode(body).items():
                for f in layer["features"]:
                    found += [f"{resp.url} {p}" for p in leaks(f["properties"])]
    return found


def test_the_public_sees_no_small_colour_count_on_any_page(strict_page, live_server):
    page = strict_page
    # The base map cancels the tiles of a zoom it has left (and the next page cuts those
    # still loading): expected, and no answer is lost that this test reads.
    page.expect_problem(r"request failed: GET .*/tiles/base/.*net::ERR_ABORTED")
    responses, problems, areas_read = _record(page), [], []
    for path in PUBLIC_PAGES:
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
        text = page.inner_text("body")
        assert not SMALL_ON_SCREEN.search(text), (path, SMALL_ON_SCREEN.search(text))
        assert_accessible(page)
        problems += _answer_leaks(responses)
    # The map: a micro-grid's popup has no colours, a community's shows "<5".
    page.goto(live_server + "/")
    _wait_idle(page, lambda s: s["counts"]["district"] > 0)
    _zoom_to_first_microgrid(page)
    popup = _click_map_centre(page)
    assert "210204001001001001" in popup and "社区以下不公开分色户数" in popup
    assert "测试社区01001 测试网格01001 测试微网格01001" in popup        # its path
    screenshot(page, "small-counts-public-microgrid")
    areas_read += [r.url for r in responses]
    problems += _answer_leaks(responses)
    # Coverage by colour per grid: counts hidden, not a small number.
    page.goto(live_server + "/coverage")
    page.wait_for_selector("body[data-coverage-ready]")
    page.select_option("select[name=level]", "grid")
    page.select_option("select[name=colour]", "red")
    page.click("#cov-form button[type=submit]")
    page.wait_for_selector("body[data-coverage-ready='2']")
    assert "不公开" in page.inner_text("#cov-table")
    assert "测试社区01001 测试网格01001" in page.inner_text("#cov-table")
    assert_accessible(page)
    screenshot(page, "small-counts-public-coverage")
    problems += _answer_leaks(responses)
    assert not problems
    assert any("/api/areas/210204001001001001" in u for u in areas_read)


def test_a_supervisor_sees_exact_numbers_in_the_same_popup(strict_page, live_server):
    page = strict_page
    _log_in(page, live_server, "community_sup")
    _wait_idle(page, lambda s: s["counts"]["district"] > 0)
    _zoom_to_first_microgrid(page)
    popup = _click_map_centre(page)
    assert "红 1" in popup and "不公开" not in popup
    page.wait_for_timeout(400)     # the popup fades in
    assert_accessible(page)
    screenshot(page, "small-counts-supervisor-microgrid")
