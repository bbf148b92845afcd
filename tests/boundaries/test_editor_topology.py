"""Topological editing in /editor, in headless Chromium: the line between two sibling
grids is one line, and a supervisor moves it with the mouse.

The tiny city (tests/tiny_city.py): community 210204001001 is the box 121.50..121.55 E,
38.95..39.00 N, split at 121.525 into the west grid ...001 and the east grid ...002, each
split at 38.975 into a north and a south micro-grid with one household at its centre.
So the shared line runs from (121.525, 39.00) on the north edge to (121.525, 38.95) on
the south edge, and the east grid's households sit at 121.5375.
"""
from __future__ import annotations

import pytest
from sqlalchemy import bindparam, text

from ..browser import assert_accessible, screenshot, wait_for_summary
from .test_editor import map_point, open_editor, scalar

pytest_plugins = ["tests.browser"]

COMMUNITY = "210204001001"
WEST, EAST = COMMUNITY + "001", COMMUNITY + "002"
NORTH_EAST_HOME = (121.5375, 38.9875)          # the household of the east grid's north half
SOUTH_EAST_HOME = (121.5375, 38.9625)


def drag(page, frm: tuple[float, float], to: tuple[float, float], offset=(0, 0)) -> None:
    """Press on the map at `frm` (lng, lat), move to `to` (and `offset` pixels on) in
    steps, release: a person's drag."""
    start, end = map_point(page, *frm), map_point(page, *to)
    end = (end[0] + offset[0], end[1] + offset[1])
    page.mouse.move(*start)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(start[0] + (end[0] - start[0]) * k / 10,
                        start[1] + (end[1] - start[1]) * k / 10)
    page.mouse.up()
    page.wait_for_timeout(150)


def ring(page, code: str) -> list[list[float]]:
    """The outer ring of a child as drawn on the map now, as (lng, lat), open."""
    return page.evaluate("(code) => { const ll = "
                         "gisappEditor.layers.childLayers[code].getLatLngs();"
                         " const r = Array.isArray(ll[0][0]) ? ll[0][0] : ll[0];"
                         " return r.map(p => [p.lng, p.lat]); }", code)


def has_vertex(points, lng, lat, tol=1e-9) -> bool:
    return any(abs(x - lng) <= tol and abs(y - lat) <= tol for x, y in points)


def grid_of_home(engine, lng: float, lat: float) -> str:
    """The grid (parent of the linked micro-grid) of the household at (lng, lat)."""
    return scalar(engine, "SELECT g.code FROM household h JOIN area m ON m.id = h.area_id "
                          "JOIN area g ON g.id = m.parent_id "
                          "WHERE ST_DWithin(h.geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326), 1e-7)",
                  x=lng, y=lat)


def versions(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text(
            "SELECT code, version FROM area_current WHERE code IN (:w, :e)"),
                                 {"w": WEST, "e": EAST}).all())


def uncovered_m2(engine) -> float:
    """Area of the parent not covered by exactly its children, and of children outside it (m²)."""
    return scalar(engine, """
        SELECT ST_Area(ST_SymDifference(p.geom, ST_Union(c.geom))::geography)
        FROM area_current p JOIN area_current c ON c.parent_id = p.id
        WHERE p.code = :p GROUP BY p.geom""", p=COMMUNITY)


def overlap_m2(engine) -> float:
    return scalar(engine, """
        SELECT coalesce(sum(ST_Area(ST_Intersection(a.geom, b.geom)::geography)), 0)
        FROM area_current a JOIN area_current b ON a.parent_id = b.parent_id AND a.id < b.id
        WHERE a.parent_id = (SELECT id FROM area WHERE code = :p)""", p=COMMUNITY)


@pytest.mark.browser
def test_supervisor_moves_the_line_between_two_grids(live_server, strict_page, engine):
    page = strict_page
    open_editor(page, live_server, "community_sup", COMMUNITY)
    assert grid_of_home(engine, *NORTH_EAST_HOME) == EAST
    page.click("button[data-tool=edit]")
    page.wait_for_selector("#editor-map .ed-node.shared.outer")
    # The line both grids share is drawn as one line, with a handle at each end.
    assert page.locator("#editor-map path.ed-shared-line").count() == 1
    assert page.locator("#editor-map .ed-node.shared").count() == 2

    # Drag the line's north end east and a little beyond the community: it slides along
    # the community's north edge and both grids follow.
    drag(page, (121.525, 39.0), (121.545, 39.003))
    west, east = ring(page, WEST), ring(page, EAST)
    assert has_vertex(west, 121.545, 39.0, tol=2e-4) and has_vertex(east, 121.545, 39.0, tol=2e-4)
    moved = [p for p in west if abs(p[0] - 121.545) < 2e-4]
    assert moved[0][1] == pytest.approx(39.0, abs=1e-9)            # on the outline, exactly
    assert has_vertex(east, *moved[0]), "the east grid has the very same vertex"
    assert not has_vertex(west, 121.525, 39.0) and not has_vertex(east, 121.525, 39.0)
    assert page.get_attribute("#editor", "data-edited") == f"{WEST} {EAST}"

    # Pull the middle of the line: a vertex is added to both grids, then undone.
    mid = ((moved[0][0] + 121.525) / 2, (39.0 + 38.95) / 2)
    drag(page, mid, (mid[0] + 0.006, mid[1]))
    assert len(ring(page, WEST)) == 5 and len(ring(page, EAST)) == 5
    bent = [p for p in ring(page, WEST) if abs(p[1] - mid[1]) < 2e-4 and p[0] > mid[0] + 0.003]
    assert len(bent) == 1 and has_vertex(ring(page, EAST), *bent[0])
    # A right click takes the new vertex out of both grids; each step can be undone.
    page.mouse.click(*map_point(page, *bent[0]), button="right")
    page.wait_for_timeout(150)
    assert len(ring(page, WEST)) == 4 and len(ring(page, EAST)) == 4
    page.click("#mode-undo")
    assert len(ring(page, WEST)) == 5 and len(ring(page, EAST)) == 5
    page.keyboard.press("Control+z")
    assert len(ring(page, WEST)) == 4 and len(ring(page, EAST)) == 4
    assert has_vertex(ring(page, EAST), *moved[0])                 # the first drag stays
    screenshot(page, "editor-shared-line-moved")
    assert_accessible(page)

    # One save: a preview naming both grids, then new versions of both.
    page.click("#mode-save")
    page.wait_for_selector("#preview-box:not([hidden])")
    summary = page.inner_text("#preview-summary")
    assert WEST in summary and EAST in summary and "住户 1 户" in summary
    assert versions(engine) == {WEST: 1, EAST: 1}
    page.click("#preview-confirm")
    wait_for_summary(page, "() => document.getElementById('editor-message').className",
                     lambda c: "ok" in c)
    assert versions(engine) == {WEST: 2, EAST: 2}
    # The household the line passed over now belongs to the west grid; the other stays.
    assert grid_of_home(engine, *NORTH_EAST_HOME) == WEST
    assert grid_of_home(engine, *SOUTH_EAST_HOME) == EAST
    assert uncovered_m2(engine) < 0.01 and overlap_m2(engine) < 0.01
    assert scalar(engine, "SELECT ST_XMax(geom) FROM area_current WHERE code = :c", c=WEST) == \
        pytest.approx(moved[0][0], abs=1e-7)
    screenshot(page, "editor-shared-line-saved")

    # Revert: the west grid's first version brings the line (and the household) back.
    page.click(f"#children-list li[data-code='{WEST}']")
    page.click("button[data-tool=history]")
    page.wait_for_selector("#history-list li[data-version='1'] button.revert")
    page.click("#history-list li[data-version='1'] button.revert")
    page.wait_for_selector("#preview-box:not([hidden])")
    page.click("#preview-confirm")
    wait_for_summary(page, "() => document.querySelectorAll('#history-list li').length",
                     lambda n: n == 3)
    assert versions(engine) == {WEST: 3, EAST: 3}
    assert scalar(engine, "SELECT ST_Equals(geom, "
                          "ST_MakeEnvelope(121.50, 38.95, 121.525, 39.00, 4326)) "
                          "FROM area_current WHERE code = :c", c=WEST)
    assert grid_of_home(engine, *NORTH_EAST_HOME) == EAST
    assert uncovered_m2(engine) < 0.01 and overlap_m2(engine) < 0.01
    screenshot(page, "editor-shared-line-reverted")
    assert_accessible(page)


@pytest.mark.browser
def test_snap_move_a_whole_line_then_cancel(live_server, strict_page, engine):
    """A vertex let go near the parent's corner lands on it; a drag on the middle of the
    line moves the whole line; Escape puts every grid back, nothing saved."""
    community = "210204001002"                                  # 121.50..121.55 E, 38.90..38.95 N
    west, east = community + "001", community + "002"
    page = strict_page
    open_editor(page, live_server, "street_sup", community)
    page.click("button[data-tool=edit]")
    page.wait_for_selector("#editor-map .ed-node.shared.outer")
    # Let go six pixels short of the community's corner: the vertex snaps onto it exactly.
    drag(page, (121.525, 38.90), (121.50, 38.90), offset=(6, -3))
    assert (has_vertex(ring(page, west), 121.50, 38.90)
            and has_vertex(ring(page, east), 121.50, 38.90))
    assert not has_vertex(ring(page, east), 121.525, 38.90)
    # Undo it; then, moving whole edges, drag the middle of the line: the whole line moves,
    # both ends along the community's edges, in both grids, and no vertex is added.
    page.keyboard.press("Control+z")
    assert (has_vertex(ring(page, west), 121.525, 38.90)
            and has_vertex(ring(page, east), 121.525, 38.90))
    page.check("#mode-edge")
    drag(page, (121.525, 38.925), (121.535, 38.927))
    for code in (west, east):
        points = ring(page, code)
        assert len(points) == 4
        assert (has_vertex(points, 121.535, 38.95, tol=1e-4)
                and has_vertex(points, 121.535, 38.90, tol=1e-4))
        assert [p[1] for p in points if abs(p[0] - 121.535) < 1e-4] in ([38.95, 38.90],
                                                                        [38.90, 38.95])
    screenshot(page, "editor-shared-line-shifted")
    loaded = page.get_attribute("#editor", "data-loaded")
    page.keyboard.press("Escape")
    wait_for_summary(page, "() => document.getElementById('editor').dataset.loaded",
                     lambda v: v != loaded)
    assert (has_vertex(ring(page, west), 121.525, 38.90)
            and has_vertex(ring(page, east), 121.525, 38.90))
    assert page.locator("#editor-map .ed-node").count() == 0
    assert scalar(engine, "SELECT max(version) FROM area_current WHERE code IN (:w, :e)",
                  w=west, e=east) == 1


@pytest.mark.browser
def test_a_vertex_three_grids_share_moves_in_all_three(live_server, strict_page, client, as_user,
                                                       engine):
    """Community 210204002001 (121.55..121.60 E, 38.95..39.00 N): its west grid is cut in
    two along 38.975, so the cut meets the east grid's edge at (121.575, 38.975), a vertex
    of two grids lying on the third one's edge. Dragging it moves all three."""
    community = "210204002001"
    west, east = community + "001", community + "002"
    resp = client.post(f"/api/areas/{west}/split", headers=as_user("district_sup"), json={
        "line": {"type": "LineString", "coordinates": [[121.549, 38.975], [121.576, 38.975]]},
        "version": 1, "reason": "按楼栋拆分"})
    assert resp.status_code == 200, resp.get_json()
    new = resp.get_json()["created"][0]
    page = strict_page
    open_editor(page, live_server, "district_sup", community)
    page.click("button[data-tool=edit]")
    page.wait_for_selector("#editor-map .ed-node.shared")
    node = page.locator("#editor-map .ed-node[data-lng='121.575'][data-lat='38.975']")
    assert sorted(node.get_attribute("data-codes").split()) == sorted([west, east, new])
    drag(page, (121.575, 38.975), (121.582, 38.97))
    target = [p for p in ring(page, new) if abs(p[0] - 121.582) < 2e-4 and abs(p[1] - 38.97) < 2e-4]
    assert len(target) == 1
    for code in (west, east, new):
        assert has_vertex(ring(page, code), *target[0]), code
        assert not has_vertex(ring(page, code), 121.575, 38.975), code
    screenshot(page, "editor-three-grids")
    page.click("#mode-save")
    page.wait_for_selector("#preview-box:not([hidden])")
    page.click("#preview-confirm")
    wait_for_summary(page, "() => document.getElementById('editor-message').className",
                     lambda c: "ok" in c)
    with engine.connect() as conn:
        got = dict(conn.execute(text("SELECT code, version FROM area_current WHERE code IN :codes")
                                .bindparams(bindparam("codes", expanding=True)),
                                {"codes": [west, east, new]}).all())
    assert got == {west: 3, east: 2, new: 2}
    assert scalar(engine, """
        SELECT ST_Area(ST_SymDifference(p.geom, ST_Union(c.geom))::geography)
        FROM area_current p JOIN area_current c ON c.parent_id = p.id
        WHERE p.code = :p GROUP BY p.geom""", p=community) < 0.01
    assert_accessible(page)
