"""A grid worker opens /field with a network, later reopens it without one: the page
starts where it was last seen, with the base map the service worker kept (roads and
buildings drawn, not a blank grey box) and the worker's own position on it."""
from __future__ import annotations

import pytest

from ..browser import assert_accessible, screenshot, wait_for_summary
from .test_phone_field import AT_HERE, OFFLINE, homes, open_field, wait_for_shell  # noqa: F401

pytest_plugins = ["tests.browser"]

SETTLED = """() => (window.gisappBaseMaps || []).map((l) => {
  const m = l.getMaplibreMap && l.getMaplibreMap();
  return !!m && m.loaded() && m.areTilesLoaded(); })"""


@pytest.mark.browser
def test_the_base_map_is_drawn_when_the_field_page_reopens_offline(live_server, open_context,
                                                                    homes):  # noqa: F811
    page = open_context(AT_HERE)
    open_field(page, live_server)
    wait_for_shell(page)
    seen_online = page.evaluate("() => window.gisappBaseMaps[0]._map.getBounds().toBBoxString()")

    page.context.set_offline(True)
    page.expect_problem(OFFLINE)                 # the page's own API calls, cut while offline
    tiles = []
    page.on("response", lambda r: tiles.append((r.status, r.from_service_worker))
            if "/tiles/base/" in r.url else None)
    page.reload()
    page.wait_for_selector("#field-map .leaflet-interactive")           # my position
    wait_for_summary(page, SETTLED, lambda s: s == [True])
    # The view of the last visit, its base tiles answered by the service worker's copy.
    assert page.evaluate("() => window.gisappBaseMaps[0]._map.getBounds().toBBoxString()") \
        == seen_online
    assert tiles and all(t == (200, True) for t in tiles), tiles
    assert "网络不可用" in page.inner_text("#where-status")
    screenshot(page, "field-offline-base-map")
    assert_accessible(page)
