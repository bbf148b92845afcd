"""The map wall drawn by MapLibre GL JS, in headless Chromium at 1920×1080: clicking a
case, a household cluster and a facility; a public report arriving live; the city view and
three zooms; tiles of the zoom shown; clusters that never overlap."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from ..browser import assert_accessible, screenshot, wait_for_summary
from ..wall_support import GRID_WORKER_HOME, close_app, make_app, wait_until
from .test_wall import login, report

pytest_plugins = ["tests.browser"]
WALL = {"viewport": {"width": 1920, "height": 1080}}
TILE = re.compile(r"/tiles/([a-z_]+)/(\d+)/(\d+)/(\d+)\.pbf")


@pytest.fixture(scope="module")
def app(db_url):
    app = make_app(db_url)
    yield app
    close_app(app)


def open_wall(open_context, base: str):
    page = open_context(WALL)
    login(page, base, "wall")
    wait_for_summary(page, "() => document.getElementById('wall').dataset.ready",
                     lambda v: v == "1")
    settle(page)
    return page


def settle(page) -> None:
    """Until the map has loaded every tile in view and drawn it."""
    page.evaluate("""() => new Promise((done) => {
        const map = window.gisappWall.map;
        const check = () => (map.loaded() && map.areTilesLoaded() ? done(true) : """
                  """map.once('idle', check));
        check(); })""")


def jump(page, lng: float, lat: float, zoom: float) -> None:
    page.evaluate("([lng, lat, zoom]) => window.gisappWall.map.jumpTo({center: [lng, lat], zoom})",
                  [lng, lat, zoom])
    page.wait_for_timeout(100)
    settle(page)


def rendered(page, layer: str) -> list[dict]:
    """The features drawn by one style layer: properties and screen position."""
    return page.evaluate("""(layer) => {
        const map = window.gisappWall.map;
        return map.queryRenderedFeatures({layers: [layer]}).map((f) => {
            const c = f.geometry.type === 'Point' ? f.geometry.coordinates : null;
            const at = c ? map.project(c) : null;
            return {props: f.properties, x: at && at.x, y: at && at.y};
        }); }""", layer)


def click_feature(page, layer: str, match=lambda p: True) -> dict:
    """Click the screen point of the first drawn feature of `layer` that matches."""
    feature = next(f for f in rendered(page, layer) if f["x"] is not None and match(f["props"]))
    box = page.locator("#wall-canvas canvas").bounding_box()
    page.mouse.click(box["x"] + feature["x"], box["y"] + feature["y"])
    return feature


def detail(page) -> str:
    page.wait_for_selector("#wall-detail:not([hidden]) #detail-body dd")
    return page.inner_text("#wall-detail")


@pytest.fixture(scope="module")
def facility(engine):
    with engine.begin() as conn:
        return conn.execute(text("""
            INSERT INTO facility (kind, name, geom, is_public, address)
            VALUES ('elderly_canteen', '测试老年食堂', """
                                 """ST_SetSRID(ST_MakePoint(121.5375, 38.9625), 4326),
                    true, '测试路1号')
            RETURNING id""")).scalar()


@pytest.mark.browser
def test_a_wall_viewer_clicks_a_case_a_household_cluster_and_a_facility(
        live_server, open_context, client, as_user, facility):
    case_id = report(client, as_user("grid_worker"), 121.5630, 38.9630, kind="incident",
                     category="rubbish")
    page = open_wall(open_context, live_server)
    jump(page, 121.5630, 38.9630, 16.5)
    click_feature(page, "case-points", lambda p: p["id"] == case_id)
    page.wait_for_selector(f"#detail-title:has-text('案件 {case_id}')")
    assert "垃圾堆放" in detail(page) and "状态" in detail(page)
    screenshot(page, "wall-case-detail")

    page.click("label[for=layer-households]")                 # 五色户 on
    jump(page, *GRID_WORKER_HOME, 14.2)
    page.click("#detail-close")
    clicked = click_feature(page, "households", lambda p: p.get("code"))
    page.wait_for_selector("#wall-detail:not([hidden])")
    text_ = detail(page)
    assert clicked["props"]["code"] in text_ and "户数" in text_ and "五色户" in text_

    jump(page, 121.5375, 38.9625, 16)
    click_feature(page, "facilities", lambda p: p["id"] == facility)
    page.wait_for_selector("#detail-title:has-text('测试老年食堂')")
    assert "测试路1号" in detail(page)
    screenshot(page, "wall-facility-detail")
    assert_accessible(page)


@pytest.mark.browser
def test_a_new_public_report_shows_on_the_wall_within_two_seconds(live_server, open_context,
                                                                  client):
    page = open_wall(open_context, live_server)
    wait_for_summary(page, "() => document.getElementById('wall').dataset.live", lambda v: v == "1")
    before = wait_for_summary(page, "() => document.getElementById('c-active').textContent",
                              lambda v: v != "—")
    resp = client.post("/api/cases", json={"kind": "hazard", "category": "fire_exit",
                                           "description": "楼道堆放杂物", "contact": "13800000000",
                                           "location": {"lng": 121.5870, "lat": 38.9120}})
    assert resp.status_code == 201, resp.get_json()
    case_id = resp.get_json()["case"]["id"]
    page.wait_for_selector(f"[data-case-id='{case_id}']", timeout=2000)
    assert "消防通道堵塞" in page.inner_text("#ticker-list")
    # The per-area counts are reloaded at the event's generation, and the counters move.
    # (MapLibre fetches tiles in its worker: the context sees those requests, the page's
    # performance timeline does not.)
    wait_until(page, lambda: any(re.search(r"/tiles/case_areas/.*[?]g=[1-9]", u)
                                 for u in page.requests_seen))
    wait_for_summary(page, "() => document.getElementById('c-active').textContent",
                     lambda v: v != before, timeout=5)
    page.click(f"[data-case-id='{case_id}']")
    page.wait_for_selector(f"#detail-title:has-text('案件 {case_id}')")
    assert "13800000000" not in page.inner_text("#wall-detail")    # the wall never sees contacts
    screenshot(page, "wall-live-report")
    assert_accessible(page)


def add_open_cases(engine, n: int) -> None:
    """n dispatched cases scattered over the tiny city's south-east community."""
    with engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO case_file (kind, category, description, reporter_kind, geom, area_id,
                                   area_code, state, dispatched_at, deadline_at)
            SELECT 'incident', 'parking', '聚合测试', 'staff',
                   ST_SetSRID(ST_MakePoint(121.572 + random() * 0.006, """
                          """38.922 + random() * 0.006), 4326),
                   a.id, a.code, 'dispatched', now(),
                   now() + CASE WHEN i % 7 = 0 THEN interval '-1 hour' ELSE interval '1 day' END
            FROM generate_series(1, :n) i, area a WHERE a.code = '210204002002'"""), {"n": n})


@pytest.mark.browser
def test_the_wall_at_the_city_view_and_three_zooms(live_server, open_context, engine):
    add_open_cases(engine, 400)
    page = open_wall(open_context, live_server)
    requested = lambda: [TILE.search(u).groups() for u in page.requests_seen if TILE.search(u)]  # noqa: E731
    # The city view: cases counted per area, no point or boundary layer of the closer zooms.
    city = {layer for layer, *_ in requested()}
    assert ("case_areas" in city
            and not city & {"cases", "hazards", "grid", "microgrid", "households"})
    labels = rendered(page, "case-areas-label")
    assert labels and sum(f["props"]["cases"] for f in labels) >= 400
    # The whole legend is on screen, inside the panel, with no placeholder text.
    legend, panel = (page.locator(s).bounding_box() for s in ("#wall-legend", "#wall-panel"))
    assert legend["y"] + legend["height"] <= panel["y"] + panel["height"] <= 1080
    assert page.evaluate("() => { const p = document.getElementById('wall-panel');"
                         " return p.scrollHeight <= p.clientHeight; }")
    assert "走访记录上线后提供" not in page.content()
    screenshot(page, "wall-city")
    assert_accessible(page)

    for zoom in (13.5, 15.3):
        jump(page, 121.575, 38.925, zoom)
        screenshot(page, f"wall-z{int(zoom)}")
    clusters = rendered(page, "case-clusters")
    assert len(clusters) >= 3
    assert_no_overlap(clusters)

    seen = len(page.requests_seen)
    jump(page, 121.575, 38.925, 16.2)
    later = [TILE.search(u).groups() for u in page.requests_seen[seen:] if TILE.search(u)]
    assert later and {z for _, z, _, _ in later} == {"16"}      # features at z16 from z16 tiles
    assert {"cases", "grid", "microgrid"} <= {layer for layer, *_ in later}
    assert rendered(page, "case-points")
    screenshot(page, "wall-z16")


def assert_no_overlap(clusters: list[dict]) -> None:
    """No two cluster circles (radius as in the style: min(7 + 2√count, 15), plus stroke) meet."""
    circles = [(f["x"], f["y"], min(7 + 2 * f["props"]["count"] ** 0.5, 15) + 1.5)
               for f in clusters]
    for i, (x1, y1, r1) in enumerate(circles):
        for x2, y2, r2 in circles[i + 1:]:
            assert ((x1 - x2) ** 2 + (y1 - y2) ** 2) ** 0.5 >= r1 + r2, (x1, y1, x2, y2)
