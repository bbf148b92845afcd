"""The boundary editor (/editor) in headless Chromium, and the carve API it draws new areas with.

The tiny city (tests/tiny_city.py): community 210204001001 is the box 121.50..121.55 E,
38.95..39.00 N, split into the west grid ...001 (121.50..121.525) and the east grid ...002.
Each test works in its own community so the expected answers stay obvious from the boxes.
"""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from sqlalchemy import text

from ..browser import (
    assert_accessible,
    csp_violations,
    foreign_requests,
    screenshot,
    wait_for_summary,
)
from ..tiny_city import PASSWORD

pytest_plugins = ["tests.browser"]

COMMUNITY = "210204001001"                       # community_sup's community
WEST, EAST, NEW_GRID = COMMUNITY + "001", COMMUNITY + "002", COMMUNITY + "003"


def box(x0, y0, x1, y1) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def current_children(engine, parent: str) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT code FROM area_current WHERE parent_id = (SELECT id FROM area WHERE code = :p) "
            "ORDER BY code"), {"p": parent}).scalars())


# --- the page in the browser --------------------------------------------------------------

def open_editor(page, base, username, area=None):
    target = "/editor" + (f"?area={area}" if area else "")
    page.goto(f"{base}/login?next={quote(target)}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/editor*")
    if area:
        wait_for_summary(page, "() => document.getElementById('editor').dataset.area",
                         lambda v: v == area)


def map_point(page, lng: float, lat: float) -> tuple[float, float]:
    """The page coordinates of a place on the editor's map."""
    x, y = page.evaluate("([lat, lng]) => { const p = "
                         "gisappEditor.map.latLngToContainerPoint([lat, lng]);"
                         " return [p.x, p.y]; }", [lat, lng])
    frame = page.locator("#editor-map").bounding_box()
    return frame["x"] + x, frame["y"] + y


def click_map(page, lng: float, lat: float) -> None:
    page.mouse.click(*map_point(page, lng, lat))
    page.wait_for_timeout(150)


def child_paths(page) -> list[str]:
    """The codes of the children drawn on the map (one path per polygon)."""
    return page.evaluate("() => [...document.querySelectorAll('#editor-map path.editor-child')]"
                         ".map(p => p.dataset.code).sort()")


def listed_children(page) -> list[str]:
    return page.evaluate("() => [...document.querySelectorAll('#children-list li.child')]"
                         ".map(li => li.dataset.code)")


def assert_clean(page, base) -> None:
    assert foreign_requests(page, base) == []
    assert csp_violations(page) == []
    assert page.errors_seen == []


@pytest.mark.browser
def test_supervisor_splits_a_grid_with_a_line(live_server, strict_page, engine):
    page = strict_page
    open_editor(page, live_server, "community_sup")
    wait_for_summary(page, "() => document.getElementById('editor').dataset.area",
                     lambda v: v == COMMUNITY)
    assert page.locator("header.topbar a[href='/editor']").inner_text() == "边界编辑"
    assert listed_children(page) == [WEST, EAST]
    assert child_paths(page) == [WEST, EAST]
    assert [n for n in page.evaluate("() => [...document.querySelectorAll('#neighbour-list li')]"
                                     ".map(li => li.dataset.code)")] == ["210204001002"]
    # Pick the west grid on the map, then cut it along 121.51 from beyond its north edge
    # to beyond its south edge; the last click on the last point ends the line.
    click_map(page, 121.515, 38.975)
    assert page.get_attribute("#children-list li.selected", "data-code") == WEST
    page.click("button[data-tool=split]")
    click_map(page, 121.51, 39.004)
    click_map(page, 121.51, 38.946)
    click_map(page, 121.51, 38.946)
    # The dry run is drawn first, nothing saved yet.
    page.wait_for_selector("#preview-box:not([hidden])")
    assert NEW_GRID in page.inner_text("#preview-summary")
    assert page.locator(
        f"#editor-map path.editor-preview.action-create[data-code='{NEW_GRID}']").count() == 1
    assert current_children(engine, COMMUNITY) == [WEST, EAST]
    page.fill("#preview-name", "西二网格")
    page.click("#preview-confirm")
    wait_for_summary(page, "() => document.querySelectorAll('#children-list li.child').length",
                     lambda n: n == 3)
    # The map now shows the new grid, and so does the database.
    assert listed_children(page) == [WEST, EAST, NEW_GRID]
    assert child_paths(page) == [WEST, EAST, NEW_GRID]
    assert "已保存" in page.inner_text("#editor-message")
    assert current_children(engine, COMMUNITY) == [WEST, EAST, NEW_GRID]
    assert scalar(engine, "SELECT name FROM area WHERE code = :c", c=NEW_GRID) == "西二网格"
    # The cut follows the drawn line; the larger piece (the east one) keeps the old code.
    assert scalar(engine, "SELECT ST_XMin(geom) FROM area_current WHERE code = :c", c=WEST) == \
        pytest.approx(121.51, abs=1e-4)
    assert scalar(engine, "SELECT ST_XMax(geom) FROM area_current WHERE code = :c", c=NEW_GRID) == \
        pytest.approx(121.51, abs=1e-4)
    assert scalar(engine, "SELECT count(*) FROM area_current WHERE parent_id = "
                          "(SELECT id FROM area WHERE code = :c)", c=NEW_GRID) == 2
    page.wait_for_timeout(300)
    screenshot(page, "editor-split")
    assert_accessible(page)
    assert_clean(page, live_server)


@pytest.mark.browser
def test_non_supervisor_gets_a_403_page(live_server, strict_page):
    page = strict_page
    page.expect_problem(r"HTTP 403: GET .*/editor$")
    page.goto(f"{live_server}/login?next=/cases")
    page.fill("input[name=username]", "grid_worker")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/cases")
    assert page.locator("header.topbar a[href='/editor']").count() == 0       # not offered
    resp = page.goto(f"{live_server}/editor")
    assert resp.status == 403
    assert "无权编辑边界" in page.inner_text("#editor-forbidden")
    assert page.locator("#editor-map").count() == 0
    assert_clean(page, live_server)


@pytest.mark.browser
def test_a_rejected_edit_is_highlighted_with_its_message(live_server, strict_page, engine):
    """Pulling the middle of the line between the two grids onto the east grid's far edge
    pinches the east grid in two at one point: the server refuses the invalid ring, and
    the page draws the spot in red with the Chinese message."""
    community = "210204001002"                      # 121.50..121.55 E, 38.90..38.95 N
    east = community + "002"
    page = strict_page
    page.expect_problem(r"HTTP 400: PUT .*/api/boundaries/" + community)
    open_editor(page, live_server, "street_sup", community)
    before = scalar(engine, "SELECT count(*) FROM area_version")
    page.click("button[data-tool=edit]")
    page.wait_for_selector("#editor-map .ed-mid.shared")
    # Dragged beyond the community, the new vertex stops on its east edge.
    start, end = map_point(page, 121.525, 38.925), map_point(page, 121.56, 38.925)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, steps=5)
    page.mouse.move(*end, steps=5)
    page.mouse.up()
    page.click("#mode-save")
    page.wait_for_selector("#editor-map path.editor-problem")
    assert page.get_attribute("#editor-message", "data-error") == "invalid_geometry"
    message = page.inner_text("#editor-message")
    assert "几何无效" in message and "invalid" not in message
    assert page.get_attribute("#children-list li.problem", "data-code") == east
    screenshot(page, "editor-problem")
    assert_accessible(page)
    assert page.locator("#preview-box").is_hidden()
    assert scalar(engine, "SELECT count(*) FROM area_version") == before
    # The edit is still open: one undo and the east grid is whole again.
    page.click("#mode-undo")
    assert page.evaluate("(c) => gisappEditor.layers.childLayers[c].getLatLngs()[0][0].length",
                         east) == 4
    assert_clean(page, live_server)


@pytest.mark.browser
def test_history_lists_versions_and_reverts(live_server, strict_page, client, as_user, engine):
    community, grid = "210204002001", "210204002001001"        # 121.55..121.60 E, 38.95..39.00 N
    resp = client.post(f"/api/areas/{grid}/split", headers=as_user("district_sup"), json={
        "line": {"type": "LineString", "coordinates": [[121.56, 39.001], [121.56, 38.949]]},
        "version": 1, "reason": "按户数拆分网格"})
    assert resp.status_code == 200, resp.get_json()
    new_grid = resp.get_json()["created"][0]
    page = strict_page
    open_editor(page, live_server, "district_sup", community)
    assert listed_children(page) == [grid, community + "002", new_grid]
    page.click(f"#children-list li[data-code='{grid}']")
    page.click("button[data-tool=history]")
    page.wait_for_selector("#history-list li[data-version='1']")
    items = page.locator("#history-list li")
    assert items.count() == 2
    newest = items.nth(0).inner_text()
    assert "第 2 版" in newest and "district_sup" in newest and "按户数拆分网格" in newest
    assert "test" in items.nth(1).inner_text() and "tiny city" in items.nth(1).inner_text()
    # The newest version is shown against the one before it.
    assert page.locator("#editor-map path.editor-history.after").count() == 1
    assert page.locator("#editor-map path.editor-history.before").count() == 1
    screenshot(page, "editor-history")
    assert_accessible(page)
    page.click("#history-list li[data-version='1']")
    assert page.locator("#editor-map path.editor-history.before").count() == 0
    page.click("#history-list li[data-version='1'] button.revert")
    page.wait_for_selector("#preview-box:not([hidden])")
    assert new_grid in page.inner_text("#preview-summary")
    page.click("#preview-confirm")
    wait_for_summary(page, "() => document.querySelectorAll('#children-list li.child').length",
                     lambda n: n == 2)
    assert current_children(engine, community) == [grid, community + "002"]
    assert scalar(engine, "SELECT ST_Equals(geom, "
                          "ST_MakeEnvelope(121.55, 38.95, 121.575, 39.00, 4326)) "
                          "FROM area_current WHERE code = :c", c=grid)
    # The history stays open and now lists the revert as the third version.
    wait_for_summary(page, "() => document.querySelectorAll('#history-list li').length",
                     lambda n: n == 3)
    assert "恢复" in page.inner_text("#history-list li[data-version='3']")
    assert_clean(page, live_server)


@pytest.mark.browser
def test_a_conflict_shows_the_other_edit(live_server, strict_page, client, as_user, engine):
    community = "210204002002"                                  # 121.55..121.60 E, 38.90..38.95 N
    west, east = community + "001", community + "002"
    page = strict_page
    page.expect_problem(r"HTTP 409: POST .*/api/areas/%s/split" % east)
    open_editor(page, live_server, "admin", community)
    # Someone else splits the east grid after the page loaded it.
    resp = client.post(f"/api/areas/{east}/split", headers=as_user("district_sup"), json={
        "line": {"type": "LineString", "coordinates": [[121.59, 38.951], [121.59, 38.899]]},
        "version": 1, "reason": "东网格按楼栋拆分"})
    assert resp.status_code == 200, resp.get_json()
    page.click(f"#children-list li[data-code='{east}']")
    page.click("button[data-tool=split]")
    click_map(page, 121.58, 38.953)
    click_map(page, 121.58, 38.897)
    click_map(page, 121.58, 38.897)
    page.wait_for_selector("#conflict-box:not([hidden])")
    conflict = page.inner_text("#conflict-list")
    assert "第 2 版" in conflict and "district_sup" in conflict and "东网格按楼栋拆分" in conflict
    assert "你基于第 1 版" in conflict
    assert page.locator("#editor-map path.editor-problem.conflict").count() >= 1
    screenshot(page, "editor-conflict")
    assert_accessible(page)
    assert page.get_attribute("#editor-message", "data-error") == "conflict"
    assert page.locator("#preview-box").is_hidden()
    page.click("#conflict-reload")
    wait_for_summary(page, "() => document.querySelectorAll('#children-list li.child').length",
                     lambda n: n == 3)
    assert current_children(engine, community) == [west, east, community + "003"]
    assert_clean(page, live_server)


@pytest.mark.browser
def test_merge_delete_and_draw_a_new_area(live_server, strict_page, engine):
    """Micro-grids of the east grid 210204001001002 (121.525..121.55 E, 38.95..39.00 N):
    merge its two halves; then draw a new micro-grid over the north-west corner."""
    grid = EAST
    north, south = grid + "001", grid + "002"                 # split at 38.975
    page = strict_page
    open_editor(page, live_server, "community_sup")
    # The search box finds the grid by name; a click opens it.
    page.fill("#area-search", "测试网格01002")
    page.click(f"#search-results li[data-code='{grid}']")
    wait_for_summary(page, "() => document.getElementById('editor').dataset.area",
                     lambda v: v == grid)
    assert listed_children(page) == [north, south]
    assert page.evaluate(
        "() => [...document.querySelectorAll('#area-crumbs a')].map(a => a.textContent)") == \
        ["沙河口区", "测试街道04001", "测试社区01001"]

    page.click(f"#children-list li[data-code='{north}']")
    page.click("button[data-tool=merge]")
    click_map(page, 121.54, 38.96)                            # the south half
    page.wait_for_selector("#preview-box:not([hidden])")
    assert f"撤销：{south}" in page.inner_text("#preview-summary")
    screenshot(page, "editor-preview")
    assert_accessible(page)
    page.click("#preview-confirm")
    wait_for_summary(page, "() => document.querySelectorAll('#children-list li.child').length",
                     lambda n: n == 1)
    assert current_children(engine, grid) == [north]

    # A new micro-grid drawn over the north-west corner (clicks on the first point close it).
    page.click("button[data-tool=draw]")
    corners = [(121.5235, 39.0015), (121.535, 39.0015), (121.535, 38.985), (121.5235, 38.985)]
    for lng, lat in corners + corners[:1]:
        click_map(page, lng, lat)
    page.wait_for_selector("#preview-box:not([hidden])")
    page.fill("#preview-name", "新建微网格")
    page.click("#preview-confirm")
    wait_for_summary(page, "() => document.querySelectorAll('#children-list li.child').length",
                     lambda n: n == 2)
    new = grid + "003"
    assert current_children(engine, grid) == [north, new]
    assert child_paths(page) == [north, new]
    # Clipped to the parent: it starts at the grid's own west and north edges.
    bounds = page.evaluate("() => { const b = gisappEditor.layers.childLayers['%s'].getBounds();"
                           " return [b.getWest(), b.getNorth()]; }" % new)
    assert bounds == [pytest.approx(121.525, abs=1e-6), pytest.approx(39.0, abs=1e-6)]
    assert scalar(engine, "SELECT name FROM area WHERE code = :c", c=new) == "新建微网格"

    # Delete: the new micro-grid hands its territory back to the other.
    page.click(f"#children-list li[data-code='{new}']")
    page.click("button[data-tool=delete]")
    page.click(f"#children-list li[data-code='{north}']")
    page.wait_for_selector("#preview-box:not([hidden])")
    page.click("#preview-confirm")
    wait_for_summary(page, "() => document.querySelectorAll('#children-list li.child').length",
                     lambda n: n == 1)
    assert current_children(engine, grid) == [north]
    assert scalar(engine, "SELECT ST_Equals(a.geom, p.geom) FROM area_current a, area_current p "
                          "WHERE a.code = :a AND p.code = :p", a=north, p=grid)
    assert_clean(page, live_server)


# --- re-linking after an edit -----------------------------------------------------------

def test_relinked_points_agree_with_locate_leaf(client, as_user, engine):
    """A save re-links by the locate rule applied to the leaves near the change; every
    household, building and open case must then sit where locate_leaf() puts it — also
    those exactly on the new edge, where the smaller code wins."""
    grid = "210204002002001"            # 121.55..121.575 E, 38.90..38.95 N; homes at x = 121.5625
    with engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO building (name, geom, area_id)
            SELECT '跨线楼', ST_MakeEnvelope(121.5620, 38.930, 121.5660, 38.931, 4326), id
            FROM area WHERE code = :c"""), {"c": grid + "001"})
        conn.execute(text("""
            INSERT INTO case_file (kind, category, description, reporter_kind, geom, area_id, """
                          """area_code, state)
            SELECT 'incident', 'rubbish', '线上的案件', 'staff', """
                          """ST_SetSRID(ST_MakePoint(121.5625, 38.93), 4326),
                   id, code, 'dispatched' FROM area WHERE code = :c"""), {"c": grid + "001"})
    resp = client.post(f"/api/areas/{grid}/split", headers=as_user("admin"), json={
        "line": {"type": "LineString", "coordinates": [[121.5625, 38.951], [121.5625, 38.899]]},
        "version": 1})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["moved"]["buildings"] == 1          # its point on surface lies east
    with engine.connect() as conn:
        for table, point, extra in [("household", "geom", ""),
                                    ("building", "ST_PointOnSurface(geom)", ""),
                                    ("case_file", "geom", "AND state = 'dispatched'")]:
            wrong = conn.execute(text(f"SELECT count(*) FROM {table} "
                                      f"WHERE area_id IS DISTINCT FROM "
                                      f"locate_leaf({point}) {extra}")).scalar()
            assert wrong == 0, table
        # On the edge: the west piece (the smaller code, kept by the grid) takes the homes.
        homes = conn.execute(text("""SELECT a.code FROM household h JOIN area a ON a.id = h.area_id
                                     WHERE ST_X(h.geom) = 121.5625 AND ST_Y(h.geom) < 38.95 """
                                  """ORDER BY 1""")).scalars().all()
    assert homes and all(code.startswith(grid) for code in homes)


# --- the carve API (a new child drawn inside a parent) --------------------------------------

def test_carve_takes_the_new_area_from_the_children_there(client, as_user, engine):
    grid = "210204001002002"                    # 121.525..121.55 E, 38.90..38.95 N; two micro-grids
    north, south = grid + "001", grid + "002"   # split at 38.925
    body = {"polygon": box(121.53, 38.92, 121.54, 38.93), "name": "新微网格",
            "versions": {north: 1, south: 1}, "reason": "新楼盘入住"}
    dry = client.post(f"/api/areas/{grid}/carve", headers=as_user("street_sup"),
                      json={**body, "dry_run": True})
    assert dry.status_code == 200, dry.get_json()
    assert current_children(engine, grid) == [north, south]
    resp = client.post(f"/api/areas/{grid}/carve", headers=as_user("street_sup"), json=body)
    assert resp.status_code == 200, resp.get_json()
    created = resp.get_json()["created"]
    assert created == [grid + "003"] and sorted(resp.get_json()["versions"]) == [north, south]
    assert current_children(engine, grid) == [north, south, grid + "003"]
    assert scalar(engine, "SELECT ST_Equals(geom, "
                          "ST_Multi(ST_MakeEnvelope(121.53, 38.92, 121.54, 38.93, 4326)))"
                          " FROM area_current WHERE code = :c", c=grid + "003")
    # The others gave up exactly that square, and the parent is still covered exactly once.
    assert scalar(engine, """
        SELECT ST_Area(ST_SymDifference(p.geom, ST_Union(c.geom))::geography)
        FROM area_current p JOIN area_current c ON c.parent_id = p.id WHERE p.code = :p """
                          """GROUP BY p.geom""",
        p=grid) < 1e-3
    assert scalar(engine, "SELECT name FROM area WHERE code = :c", c=grid + "003") == "新微网格"


def test_carve_over_a_whole_child_retires_it(client, as_user, engine):
    grid = "210204001002001"                    # 121.50..121.525 E; north micro-grid 38.925..38.95
    resp = client.post(f"/api/areas/{grid}/carve", headers=as_user("street_sup"), json={
        "polygon": box(121.49, 38.925, 121.53, 38.96), "name": "北区"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["retired"] == [grid + "001"]
    assert current_children(engine, grid) == [grid + "002", grid + "003"]


@pytest.mark.parametrize("body, status, error", [
    ({"polygon": box(121.30, 38.20, 121.31, 38.21), "name": "外面"}, 400, "outside_parent"),
    ({"polygon": {"type": "Polygon", "coordinates": [[[121.58, 38.91], [121.59, 38.92],
                                                      [121.59, 38.91], [121.58, 38.92],
                                                      [121.58, 38.91]]]}, "name": "蝴蝶"},
     400, "invalid_geometry"),
    ({"polygon": box(121.58, 38.91, 121.59, 38.92)}, 400, "bad_input"),
    ({"polygon": {"type": "Point", "coordinates": [121.58, 38.91]}, "name": "点"}, 400,
     "bad_geojson"),
    ({"polygon": box(121.58, 38.91, 121.59, 38.92), "name": "旧版本",
      "versions": {"210204002002": 9}}, 409, "conflict"),
])
def test_carve_rejections_carry_the_geometry(client, as_user, engine, body, status, error):
    before = scalar(engine, "SELECT count(*) FROM area_version")
    resp = client.post("/api/areas/210204002/carve", headers=as_user("admin"), json=body)
    assert resp.status_code == status, resp.get_json()
    assert resp.get_json()["error"] == error
    if status == 400 and error != "bad_input":
        assert resp.get_json()["geometry"]["type"] in ("Polygon", "Point")
    assert scalar(engine, "SELECT count(*) FROM area_version") == before


def test_carve_needs_a_supervisor_of_the_area(client, as_user):
    body = {"polygon": box(121.53, 38.92, 121.54, 38.93), "name": "x"}
    assert client.post("/api/areas/210204001002002/carve", headers=as_user("grid_leader"),
                       json=body).status_code == 403
    assert client.post("/api/areas/210204001002002/carve", headers=as_user("community_sup"),
                       json=body).status_code == 403
    assert client.post("/api/areas/210204001002002/carve", json=body).status_code == 401


# --- split proposals (run last: the second one splits a community for good) --------------

def test_bisection_balances_households():
    import numpy as np

    from gisapp.boundaries.proposals import bisect
    rng = np.random.default_rng(7)
    xy, weights = rng.random((400, 2)), rng.integers(1, 80, 400).astype(float)
    for parts in (2, 3, 5):
        labels = bisect(xy, weights, parts)
        sums = [weights[labels == k].sum() for k in range(parts)]
        mean = weights.sum() / parts
        assert sorted(set(labels.tolist())) == list(range(parts))
        assert max(sums) - min(sums) <= 2 * 80            # at most a building or two apart
        assert all(abs(s - mean) / mean < 0.15 for s in sums)


def test_split_proposal_halves_a_community_and_saves(client, as_user, engine):
    """Community 210204001002 (121.50..121.55 E, 38.90..38.95 N) has a household at the
    centre of each micro-grid: the north-south extent is the longer, so the cut runs
    east-west at 38.925, two households on either side."""
    community, street = "210204001002", "210204001"
    resp = client.get(f"/api/areas/{community}/split-proposal?parts=2",
                      headers=as_user("street_sup"))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["households"] == 4 and body["balanced"] and body["spread"] == 0
    south, north = body["parts"]
    assert (south["households"], north["households"]) == (2, 2)
    with engine.connect() as conn:
        south_box = conn.execute(text("SELECT ST_Envelope(ST_GeomFromGeoJSON(:g))::box2d::text"),
                                 {"g": json.dumps(south["geometry"])}).scalar()
    assert south_box == "BOX(121.5 38.9,121.55 38.925)"
    # The supervisor saves it as the street's new set of communities.
    view = client.get(f"/api/boundaries/{street}", headers=as_user("street_sup")).get_json()
    children = [{"code": c["code"], "version": c["version"],
                 "geometry": south["geometry"] if c["code"] == community else c["geometry"]}
                for c in view["children"]]
    children.append({"code": None, "name": "测试社区01002（北）", "geometry": north["geometry"]})
    resp = client.put(f"/api/boundaries/{street}", headers=as_user("street_sup"),
                      json={"reason": "3000 户以上社区拆分", "children": children})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["created"][0] == "210204001003"
    assert scalar(engine, "SELECT households FROM area WHERE code = '210204001003'") == 2
    assert scalar(engine, "SELECT households FROM area WHERE code = :c", c=community) == 2


@pytest.mark.parametrize("path, user, status", [
    ("/api/areas/210204001001/split-proposal?parts=13", "admin", 400),
    ("/api/areas/210204001001/split-proposal?parts=x", "admin", 400),
    ("/api/areas/210204001001/split-proposal?parts=9", "admin", 400),     # 4 homes, 9 parts
    ("/api/areas/210204009009/split-proposal", "admin", 404),
    ("/api/areas/210204002001/split-proposal", "community_sup", 403),
    ("/api/areas/210204001001/split-proposal", "grid_worker", 403),
])
def test_split_proposal_refusals(client, as_user, path, user, status):
    assert client.get(path, headers=as_user(user)).status_code == status


@pytest.mark.browser
def test_split_proposal_in_the_editor(live_server, strict_page, engine):
    """Street 210204002: its west community is proposed in two by households, and saved."""
    street, community = "210204002", "210204002001"
    page = strict_page
    open_editor(page, live_server, "admin", street)
    before = current_children(engine, street)
    page.click(f"#children-list li[data-code='{community}']")
    page.click("button[data-tool=plan]")
    page.wait_for_selector("#preview-box:not([hidden])")
    summary = page.inner_text("#preview-summary")
    assert "为 2 部分" in summary and "各 2 / 2 户" in summary
    new = f"{street}{len(before) + 1:03d}"
    assert page.locator(
        f"#editor-map path.editor-preview.action-create[data-code='{new}']").count() == 1
    page.click("#preview-confirm")
    wait_for_summary(page, "() => document.querySelectorAll('#children-list li.child').length",
                     lambda n: n == len(before) + 1)
    assert current_children(engine, street) == before + [new]
    assert scalar(engine, "SELECT households FROM area WHERE code = :c", c=new) == 2
    assert_clean(page, live_server)


# The city plan review (/editor/plan, /api/boundaries/plan): tests/boundaries/test_plan_review.py.


# --- gridding an area that has no children yet (a fresh copy of the tiny city) ----------------

@pytest.fixture()
def bare_city(cluster, template_db):
    """A fresh tiny city whose community 210204002002 has lost its grids and micro-grids and
    gained 1,000 households on a regular lattice (so it needs gridding from scratch)."""
    import tempfile

    from gisapp import create_app
    from gisapp.accounts import auth

    from ..conftest import fresh_database
    from ..tiny_city import TINY_USERS
    app = create_app({"TESTING": True, "DATABASE_URL": fresh_database(cluster, template_db),
                      "PHOTO_DIR": tempfile.mkdtemp(prefix="gisapp-photos-")})
    engine = app.extensions["gisapp_engine"]
    with engine.begin() as conn:
        conn.execute(text("""
            WITH gone AS (UPDATE area SET retired_at = now()
                          WHERE code LIKE '210204002002_%' RETURNING id)
            UPDATE area_version SET valid_to = now() WHERE area_id IN (SELECT id FROM gone)
                                                       AND valid_to IS NULL"""))
        conn.execute(text("""
            INSERT INTO household (unit, room, head_name, phone, members, geom, area_id)
            SELECT 1, '101', '住户', '13800000000', 2,
                   ST_SetSRID(ST_MakePoint(121.55 + 0.05 * (i + 0.5) / 40, """
                          """38.90 + 0.05 * (j + 0.5) / 25), 4326),
                   (SELECT id FROM area WHERE code = '210204002002')
            FROM generate_series(0, 39) i, generate_series(0, 24) j"""))
        conn.execute(text("""UPDATE household SET area_id = (SELECT id FROM area """
                          """WHERE code = '210204002002')
                             WHERE area_id IN (SELECT id FROM area """
                          """WHERE code LIKE '210204002002_%')"""))
        conn.execute(text("SELECT refresh_area_counts()"))
        tokens = {u: auth.issue_token(conn, u, days=1) for u in TINY_USERS}
    app.bare_headers = {u: {"Authorization": f"Bearer {t}"} for u, t in tokens.items()}
    yield app
    engine.dispose()


def test_grid_proposal_and_save_for_a_bare_community(bare_city):
    client, engine, headers = (bare_city.test_client(), bare_city.extensions["gisapp_engine"],
                               bare_city.bare_headers)
    community = "210204002002"
    proposal = client.get(f"/api/areas/{community}/grid-proposal", headers=headers["district_sup"])
    assert proposal.status_code == 200, proposal.get_json()
    grids = proposal.get_json()["grids"]
    assert proposal.get_json()["households"] == 1004
    assert len(grids) == 4 and all(200 <= g["households"] <= 300 for g in grids)
    assert all(50 <= m["households"] <= 100 for g in grids for m in g["microgrids"])
    before = scalar(engine, "SELECT count(*) FROM area_version")
    dry = client.post(f"/api/areas/{community}/grid", headers=headers["district_sup"],
                      json={"dry_run": True})
    assert dry.status_code == 200, dry.get_json()
    assert scalar(engine, "SELECT count(*) FROM area_version") == before
    resp = client.post(f"/api/areas/{community}/grid", headers=headers["district_sup"], json={})
    assert resp.status_code == 200, resp.get_json()
    micro_count = sum(len(g["microgrids"]) for g in grids)
    assert len(resp.get_json()["created"]) == 4 + micro_count
    assert current_children(engine, community) == [community + f"{i:03d}" for i in range(3, 7)]
    with engine.connect() as conn:
        counts = conn.execute(text("""
            SELECT a.level, a.households FROM area_current a
            WHERE a.code LIKE :c || '_%' ORDER BY a.code"""), {"c": community}).all()
        # Every household sits in a new micro-grid, by the locate rule.
        assert conn.execute(text("SELECT count(*) FROM household WHERE area_id IS DISTINCT FROM "
                                 "locate_leaf(geom)")).scalar() == 0
    assert all(200 <= n <= 300 for level, n in counts if level == 4)
    assert all(50 <= n <= 100 for level, n in counts if level == 5)
    assert sum(n for level, n in counts if level == 5) == 1004
    for grid in current_children(engine, community):
        with engine.connect() as conn:
            mismatch = conn.execute(text("""
                SELECT ST_Area(ST_SymDifference(p.geom, ST_Union(c.geom))::geography)
                FROM area_current p JOIN area_current c ON c.parent_id = p.id
                WHERE p.code = :p GROUP BY p.geom"""), {"p": grid}).scalar()
        assert mismatch < 1e-3, grid
    # Now it has children: gridding again is refused.
    again = client.post(f"/api/areas/{community}/grid", headers=headers["district_sup"], json={})
    assert again.status_code == 400
    assert client.post(f"/api/areas/{community}/grid", headers=headers["community_sup"],
                       json={}).status_code == 403


@pytest.mark.browser
def test_gridding_a_bare_community_in_the_editor(bare_city, strict_page):
    import threading

    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, bare_city, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base, community = f"http://127.0.0.1:{server.server_port}", "210204002002"
    engine = bare_city.extensions["gisapp_engine"]
    try:
        page = strict_page
        open_editor(page, base, "district_sup", community)
        assert listed_children(page) == []
        assert page.locator("button[data-tool=split]").is_disabled()
        page.click("button[data-tool=grid]")
        page.wait_for_selector("#preview-box:not([hidden])")
        assert page.locator("#editor-map path.editor-preview.action-create").count() == 4
        page.click("#preview-confirm")
        wait_for_summary(page, "() => document.querySelectorAll('#children-list li.child').length",
                         lambda n: n == 4)
        assert current_children(engine, community) == [community + f"{i:03d}" for i in range(3, 7)]
        assert page.locator("button[data-tool=grid]").is_disabled()
        assert_clean(page, base)
    finally:
        server.shutdown()
        server.server_close()
