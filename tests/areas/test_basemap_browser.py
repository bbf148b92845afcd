"""The vector base map in Chromium: a member of the public finds their street by its name
on /report; / and /field draw the same base layer (MapLibre GL under Leaflet, offline,
under the pages' Content Security Policy, in headless Chromium's software WebGL)."""
from __future__ import annotations

import pytest

from ..browser import (
    assert_accessible,
    csp_violations,
    foreign_requests,
    screenshot,
    wait_for_summary,
)
from ..tiny_city import PASSWORD, load_tiny_roads

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser

# A view of the tiny city's three roads: 黄河路 (y 38.95), 西安路 (x 121.525, north of
# 黄河路) and 中山路 (x 121.55), on a desktop page's small map (280 px high) at Leaflet
# zoom 15, which is MapLibre zoom 14: every road class is drawn. A phone's map is
# narrower: FIELD_VIEW holds 黄河路 and 西安路.
CROSSING = (38.953, 121.54)
FIELD_VIEW = (38.953, 121.53)
# MapLibre cancels the requests of tiles that leave the view when the test jumps the map
# (as on every pan): those are not failures.
ABORTED_TILE = r"request failed: GET .*/tiles/base/.*ERR_ABORTED"

# Which roads and labels the GL map has drawn: queryRenderedFeatures returns a symbol
# only when its label was placed (not hidden by collisions), so names here are on screen.
DRAWN = """(() => {
  const layer = (window.gisappBaseMaps || [])[0];
  const gl = layer && layer.getMaplibreMap && layer.getMaplibreMap();
  if (!gl || !gl.isStyleLoaded() || !gl.areTilesLoaded()) return null;
  const names = (ids) => [...new Set(gl.queryRenderedFeatures({layers: ids})
                                       .map((f) => f.properties.name))].sort();
  return {zoom: gl.getZoom(),
          roads: names(['road-主干路', 'road-次干路', 'road-支路']),
          labels: names(['road-label']),
          places: names(['place-community', 'place-street', 'place-district']),
          water: names(['water'])};
})()"""


@pytest.fixture(scope="module")
def roads(engine):
    load_tiny_roads(engine)


def show(page, lat: float, lng: float, zoom: int) -> None:
    """Move the page's Leaflet map (the one under the base layer) without animation."""
    wait_for_summary(page, "(window.gisappBaseMaps || []).length", lambda n: n >= 1)
    page.wait_for_load_state("networkidle")     # /report fits its map to the districts first
    page.expect_problem(ABORTED_TILE)
    page.evaluate("([lat, lng, z]) => window.gisappBaseMaps[0]._map.setView([lat, lng], z, "
                  "{animate: false})", [lat, lng, zoom])


def drawn(page, ready) -> dict:
    # Polled: a moved map settles over a few frames; software WebGL is slow on a busy CI.
    page.wait_for_timeout(300)
    return wait_for_summary(page, DRAWN, ready, timeout=30)


def test_the_public_finds_their_street_by_name_on_report(roads, live_server, strict_page):
    page = strict_page
    page.goto(f"{live_server}/report")
    show(page, *CROSSING, 15)
    seen = drawn(page, lambda d: d["zoom"] == 14 and len(d["labels"]) >= 3)
    assert seen["roads"] == ["中山路", "西安路", "黄河路"]
    assert seen["labels"] == ["中山路", "西安路", "黄河路"]       # the names are drawn, placed
    # The reporter places the hazard on 黄河路 by clicking where it is drawn.
    page.click("#report-map", position=_position(page, 38.95, 121.53))
    assert float(page.input_value("input[name=lat]")) == pytest.approx(38.95, abs=1e-4)
    screenshot(page, "basemap-report")
    assert_accessible(page)
    assert foreign_requests(page, live_server) == [] and csp_violations(page) == []


def test_names_of_places_and_water_when_zoomed_out(roads, live_server, strict_page):
    page = strict_page
    page.goto(f"{live_server}/report")
    show(page, 38.94, 121.575, 13)
    # Labels are placed over a few frames: wait for the street's name, not just any name.
    seen = drawn(page, lambda d: d["zoom"] == 12 and d["water"]
                 and "测试街道04002" in d["places"])
    assert seen["water"] == ["星海湖"]
    assert "测试街道04002" in seen["places"]             # streets' names at this zoom


def test_the_area_map_draws_roads_under_the_areas(roads, live_server, strict_page):
    page = strict_page
    page.goto(f"{live_server}/")
    show(page, *CROSSING, 15)
    seen = drawn(page, lambda d: d["zoom"] == 14 and len(d["roads"]) >= 3)
    assert seen["roads"] == ["中山路", "西安路", "黄河路"]
    # The areas stay on top of the base map: their pane is above Leaflet's tile pane.
    assert page.evaluate("""getComputedStyle(document.querySelector('.leaflet-overlay-pane')).zIndex
                            > getComputedStyle("""
                         """document.querySelector('.leaflet-tile-pane')).zIndex""")
    screenshot(page, "basemap-home")
    assert_accessible(page)


def test_a_field_worker_sees_the_same_base_map(roads, live_server, phone_page):
    page = phone_page
    page.goto(f"{live_server}/login?next=/field")
    page.fill("input[name=username]", "grid_worker")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/field")
    show(page, *FIELD_VIEW, 15)
    seen = drawn(page, lambda d: len(d["labels"]) >= 2)
    assert {"西安路", "黄河路"} <= set(seen["labels"])
    screenshot(page, "basemap-field")
    assert_accessible(page)


def _position(page, lat: float, lng: float) -> dict:
    """Where a point is drawn on the page's map, as a position inside #report-map."""
    x, y = page.evaluate("([lat, lng]) => { const p = window.gisappBaseMaps[0]._map"
                         ".latLngToContainerPoint([lat, lng]); return [p.x, p.y]; }", [lat, lng])
    return {"x": x, "y": y}
