"""The map wall's demands layer and counters, in Chromium at 1920×1080: open demands drawn
as points (past their deadline in red), counted in the panel, switchable, no names."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from ..browser import assert_accessible, screenshot, wait_for_summary
from ..live.test_wall import login
from ..wall_support import close_app, make_app
from .support import NW, SE, demand_id, raise_one

pytest_plugins = ["tests.browser"]
WALL = {"viewport": {"width": 1920, "height": 1080}}


@pytest.fixture(scope="module")
def app(db_url):
    app = make_app(db_url, PUBLIC_DEMANDS_PER_MINUTE=10_000)
    yield app
    close_app(app)


@pytest.mark.browser
def test_the_wall_shows_open_demands_and_counts_them(live_server, open_context, client, engine,
                                                      as_user):
    raise_one(client, point=NW, reporter_name="孙女士", reporter_contact="13600000000")
    late = demand_id(engine, raise_one(client, point=SE)["receipt"]["receipt"])
    done = demand_id(engine, raise_one(client, point=NW)["receipt"]["receipt"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE demand SET deadline_at = now() - interval '1 day', "
                          "created_at = now() - interval '20 days' WHERE id = :id"), {"id": late})
    assert client.post(f"/api/demands/{done}/actions/answer", headers=as_user("admin"),
                       json={"answer": "已处理"}).status_code == 200

    page = open_context(WALL)
    login(page, live_server, "wall")
    wait_for_summary(page, "() => document.getElementById('wall').dataset.demandsReady",
                     lambda v: v == "1")
    counts = page.evaluate("() => ['d-open', 'd-overdue', 'd-month', 'd-month-closed']"
                           ".map((id) => document.getElementById(id).textContent)")
    assert counts == ["2", "1", "3", "1"]
    page.evaluate("() => window.gisappWall.map.jumpTo({center: [121.55, 38.95], zoom: 11})")
    page.evaluate("""() => new Promise((done) => { const map = window.gisappWall.map;
        const check = () => (map.loaded() && map.areTilesLoaded() ? done(true)
                                                                    : map.once('idle', check));
        check(); })""")
    drawn = page.evaluate("() => window.gisappWall.map"
                          ".queryRenderedFeatures({layers: ['demand-points']})"
                          ".map((f) => f.properties)")
    assert sorted(p["overdue"] for p in drawn) == [False, True]
    assert all(p.get("reporter_name") in (None, "null") for p in drawn)
    assert "孙女士" not in page.content() and "13600000000" not in str(drawn)
    screenshot(page, "demand-wall")
    assert_accessible(page, "#demand-counters")
    page.click("label[for=layer-demands]")
    hidden = page.evaluate("() => window.gisappWall.map"
                           ".getLayoutProperty('demand-points', 'visibility')")
    assert hidden == "none"
