"""The wall's layer of topics by state: a reported topic is drawn green, and a click on it
shows its step and a link to its public page."""

from __future__ import annotations

import pytest

from ..browser import assert_accessible, screenshot, wait_for_summary
from ..wall_support import close_app, make_app
from .support import STEP_FIELDS, login, topic_at

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser
WALL = {"viewport": {"width": 1920, "height": 1080}}


@pytest.fixture(scope="module")
def app(db_url):
    app = make_app(db_url)
    yield app
    close_app(app)


def test_the_wall_draws_topics_by_state(live_server, open_context, engine, client, as_user):
    reported = topic_at(engine, client, as_user("admin"), "courtyard", 5)
    assert (
        client.post(
            f"/api/topics/{reported}/steps",
            headers=as_user("community_sup"),
            json={"step": 6, **STEP_FIELDS[6]},
        ).status_code
        == 200
    )
    topic_at(engine, client, as_user("admin"), "community", 2)
    page = open_context(WALL)
    login(page, live_server, "wall", "/wall")
    wait_for_summary(
        page, "() => document.getElementById('wall').dataset.topicsReady", lambda v: v == "1"
    )
    assert int(page.locator("#wall").get_attribute("data-topics")) >= 2
    assert page.locator("#layer-topics").is_checked()
    assert "议事协商议题" in page.inner_text("#wall-legend")
    page.evaluate("""() => new Promise((done) => {
        const map = window.gisappWall.map;
        map.jumpTo({center: [121.5125, 38.9875], zoom: 14});
        const check = () => (map.loaded() && map.areTilesLoaded()
                             ? done(true) : map.once('idle', check));
        check(); })""")
    drawn = page.evaluate("""() => { const map = window.gisappWall.map;
        return map.queryRenderedFeatures({layers: ['topics']}).map((f) => {
            const at = map.project(f.geometry.coordinates);
            return {id: f.properties.id, state: f.properties.state, x: at.x, y: at.y}; }); }""")
    mine = next(f for f in drawn if f["id"] == reported)
    assert mine["state"] == "reported"
    box = page.locator("#wall-canvas canvas").bounding_box()
    page.mouse.click(box["x"] + mine["x"], box["y"] + mine["y"])
    page.wait_for_selector("#wall-detail:not([hidden]) #detail-body dd")
    text = page.inner_text("#wall-detail")
    assert "议事协商" in text and "已反馈" in text and "结果反馈" in text
    assert_accessible(page)
    screenshot(page, "consultation-wall-topics")
    page.uncheck("#layer-topics")
    assert (
        page.evaluate("window.gisappWall.map.getLayoutProperty('topics', 'visibility')") == "none"
    )
