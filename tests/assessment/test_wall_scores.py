"""The wall's choropleth of community scores, in Chromium: switched on, each community in
view is coloured by its score of the month."""

from __future__ import annotations

import pytest

from ..browser import assert_accessible, screenshot, wait_for_summary
from ..live.test_wall import login
from ..live.test_wall_map import WALL, jump, settle
from ..wall_support import close_app, make_app
from .support import add_answer, add_case

pytest_plugins = ["tests.browser"]


@pytest.fixture(scope="module")
def app(db_url):
    app = make_app(db_url)
    yield app
    close_app(app)


@pytest.mark.browser
def test_the_wall_colours_communities_by_score(live_server, open_context, engine):
    from datetime import date

    today = date.today().isoformat()
    with engine.begin() as conn:
        case = add_case(conn, "210204001001", today, "closed")
        add_answer(conn, case["id"], 5, today)
    page = open_context(WALL)
    login(page, live_server, "wall")
    wait_for_summary(
        page, "() => document.getElementById('wall').dataset.ready", lambda v: v == "1"
    )
    settle(page)
    page.check("#layer-choro_score")
    wait_for_summary(
        page, "() => document.getElementById('wall').dataset.scoreAreas", lambda v: v == "4"
    )
    jump(page, 121.55, 38.95, 13.2)  # communities are drawn from zoom 13
    coloured = page.evaluate("""() => window.gisappWall.map.queryRenderedFeatures(
        {layers: ['choro-score']}).map((f) => [f.properties.code, f.state.score])""")
    scores = dict(coloured)
    assert set(scores) == {"210204001001", "210204001002", "210204002001", "210204002002"}
    assert scores["210204001001"] > 0
    assert_accessible(page)
    screenshot(page, "assessment-wall")
