"""The command centre at the wall's city view, in Chromium: what a click or a layer switch
does where the whole city is in view (zoom 11), not only after zooming in.

Found in a walkthrough: the three per-community choropleths (cases and overdue visits per
1,000 households, the assessment's scores) drew nothing below zoom 13, so at the view the
wall opens at their switches did nothing; and a click on an open demand's point showed the
street under it instead of the demand."""
from __future__ import annotations

import pytest

from ..browser import assert_accessible, screenshot, wait_for_summary
from ..demands.support import NW, raise_one
from ..wall_support import close_app, make_app
from .test_wall_map import jump, open_wall

pytest_plugins = ["tests.browser"]
CITY_VIEW = (121.55, 38.95, 11)          # the tiny city's two streets, as a city is shown
COMMUNITIES = {"210204001001", "210204001002", "210204002001", "210204002002"}


@pytest.fixture(scope="module")
def app(db_url):
    app = make_app(db_url, PUBLIC_DEMANDS_PER_MINUTE=10_000)
    yield app
    close_app(app)


def coloured(page, layer: str, state: str) -> dict:
    """The communities a choropleth layer draws now, with their feature state `state`."""
    return dict(page.evaluate("""([layer, key]) => window.gisappWall.map
        .queryRenderedFeatures({layers: [layer]})
        .map((f) => [f.properties.code, f.state[key] === undefined ? null : f.state[key]])""",
                              [layer, state]))


@pytest.mark.browser
def test_the_choropleths_colour_the_city_view(live_server, open_context):
    page = open_wall(open_context, live_server)
    jump(page, *CITY_VIEW)
    # Switched off, the community outlines' tiles are not asked for at the city view.
    assert not [u for u in page.requests_seen if "/tiles/community/" in u]

    page.check("#layer-choro_cases")
    jump(page, *CITY_VIEW)
    drawn = coloured(page, "choro-cases", "cases")
    assert set(drawn) == COMMUNITIES, "every community is coloured at the city view"
    assert all(v is not None for v in drawn.values())
    page.uncheck("#layer-choro_cases")

    page.check("#layer-choro_score")
    wait_for_summary(page, "() => document.getElementById('wall').dataset.scoreAreas",
                     lambda v: v == "4")
    jump(page, *CITY_VIEW)
    assert set(coloured(page, "choro-score", "score")) == COMMUNITIES
    screenshot(page, "wall-walk-score-city-view")
    assert_accessible(page)


@pytest.mark.browser
def test_a_click_on_a_demand_shows_the_demand(live_server, open_context, client):
    raise_one(client, point=NW, category="parking",
              body="小区门口夜里乱停车，消防车进不来，希望划线管理")
    page = open_wall(open_context, live_server)
    wait_for_summary(page, "() => document.getElementById('wall').dataset.demandsReady",
                     lambda v: v == "1")
    jump(page, *CITY_VIEW)
    x, y = page.evaluate("""([lng, lat]) => { const map = window.gisappWall.map;
        const r = map.getCanvas().getBoundingClientRect(), p = map.project([lng, lat]);
        return [r.left + p.x, r.top + p.y]; }""", list(NW))
    page.mouse.click(x, y)
    page.wait_for_selector("#wall-detail:not([hidden])")
    title = page.inner_text("#detail-title")
    body = page.inner_text("#detail-body")
    assert title.startswith("民意诉求"), title
    assert "消防车进不来" in body and "办理中" in body
    assert "编码" not in body, "the street under the point does not answer the click"
    screenshot(page, "wall-walk-demand-detail")
    assert_accessible(page, "#wall-detail")


@pytest.mark.browser
def test_a_merge_elsewhere_redraws_the_case_counts(live_server, open_context, client, as_user):
    """A street merges two communities (743 → 841 the other way): the wall's count per
    community must not keep the retired one. (It kept it, with its old outline, until the
    wall was reloaded: a boundary change reloaded the outlines but not the counts.)"""
    page = open_wall(open_context, live_server)
    jump(page, 121.525, 38.95, 13.2)                  # the community band of the counts
    shown = """() => [...new Set(window.gisappWall.map.queryRenderedFeatures(
        {layers: ['case-areas-fill']}).map((f) => f.properties.code))]
        .filter((code) => code.startsWith('210204001')).sort()"""
    assert page.evaluate(shown) == ["210204001001", "210204001002"]
    resp = client.post("/api/areas/210204001001/merge", headers=as_user("admin"),
                       json={"with": "210204001002", "version": 1, "with_version": 1,
                             "reason": "两社区合并"})
    assert resp.status_code == 200, resp.get_json()
    page.wait_for_selector("#ticker-list li:has-text('区域边界已更新')")
    wait_for_summary(page, shown, lambda v: v == ["210204001001"])
    screenshot(page, "wall-walk-after-merge")
