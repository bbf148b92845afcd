"""Topological editing on the demo district (Voronoi grids, many vertices), in Chromium:
the community supervisor drags a vertex inside the community that several grids share,
and one save gives all of them new versions with no gap or overlap."""
from __future__ import annotations

import os
import tempfile
import threading

import pytest
from sqlalchemy import text
from werkzeug.serving import make_server

from gisapp import create_app
from gisapp.db import apply_schema, make_engine
from gisapp.demo import city as demo
from gisapp.demo.users import create_demo_users

from ..browser import assert_accessible, screenshot, wait_for_summary
from ..conftest import ROOT, _admin, _url

pytest_plugins = ["tests.browser"]


@pytest.fixture(scope="module")
def demo_site(cluster):
    """The district demo in a database of its own, served on a local port; yields
    (base URL, engine, the community supervisor's login and community)."""
    name = f"editor_demo_{os.getpid()}"
    _admin(cluster, f"CREATE DATABASE {name}")
    eng = make_engine(_url(cluster, name))
    apply_schema(eng, ROOT / "sql")
    demo.load_demo(eng, "district", progress=False)
    with eng.begin() as conn:
        user = next(u for u in create_demo_users(conn) if u["username"] == "demo.community")
    app = create_app({"TESTING": True, "DATABASE_URL": _url(cluster, name),
                      "INDEX_REFRESH_SECONDS": 0.0,
                      "PHOTO_DIR": tempfile.mkdtemp(prefix="gisapp-photos-")})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", eng, user
    finally:
        server.shutdown()
        server.server_close()
        app.extensions["gisapp_engine"].dispose()
        eng.dispose()
        _admin(cluster, f"DROP DATABASE {name}")


def children_report(eng, community: str) -> tuple[dict, float, float]:
    """The grids' versions, the parent's area not covered exactly once, and overlaps (m²)."""
    with eng.connect() as conn:
        versions = dict(conn.execute(text(
            "SELECT c.code, c.version FROM area_current c JOIN area p ON p.id = c.parent_id "
            "WHERE p.code = :p"), {"p": community}).all())
        gap = conn.execute(text("""
            SELECT ST_Area(ST_SymDifference(p.geom, ST_Union(c.geom))::geography)
            FROM area_current p JOIN area_current c ON c.parent_id = p.id
            WHERE p.code = :p GROUP BY p.geom"""), {"p": community}).scalar()
        overlap = conn.execute(text("""
            SELECT coalesce(sum(ST_Area(ST_Intersection(a.geom, b.geom)::geography)), 0)
            FROM area_current a JOIN area_current b ON a.parent_id = b.parent_id AND a.id < b.id
                 AND ST_Intersects(a.geom, b.geom)
            WHERE a.parent_id = (SELECT id FROM area WHERE code = :p)"""),
                               {"p": community}).scalar()
    return versions, gap, overlap


@pytest.mark.browser
def test_a_vertex_several_demo_grids_share_moves_in_all(demo_site, strict_page):
    base, eng, user = demo_site
    community = user["area"]
    page = strict_page
    page.goto(f"{base}/login?next=/editor")
    page.fill("input[name=username]", user["username"])
    page.fill("input[name=password]", user["password"])
    page.click("button[type=submit]")
    wait_for_summary(page, "() => document.getElementById('editor') && "
                           "document.getElementById('editor').dataset.area",
                     lambda v: v == community)
    before, _, _ = children_report(eng, community)
    assert len(before) > 3
    # The tool starts synchronously in the click: index, junctions, handles.
    ms = page.evaluate("() => { const t = performance.now(); "
                       "document.querySelector('button[data-tool=edit]').click(); return "
                       "performance.now() - t; }")
    page.wait_for_selector("#editor-map .ed-node.shared")
    handles = page.locator("#editor-map .ed-node, #editor-map .ed-mid").count()
    # The inner vertex that the most grids share, at least two (where three grids meet).
    node = page.evaluate("""() => ["""
                         """...document.querySelectorAll('#editor-map .ed-node.shared:not(.outer)')]
        .map(n => ({codes: n.dataset.codes.split(' '), lng: +n.dataset.lng, lat: +n.dataset.lat}))
        .sort((a, b) => b.codes.length - a.codes.length)[0]""")
    assert len(node["codes"]) >= 2
    x, y = page.evaluate("([lat, lng]) => { const p = "
                         "gisappEditor.map.latLngToContainerPoint([lat, lng]);"
                         " return [p.x, p.y]; }", [node["lat"], node["lng"]])
    frame = page.locator("#editor-map").bounding_box()
    start = (frame["x"] + x, frame["y"] + y)
    page.mouse.move(*start)
    page.mouse.down()
    for k in range(1, 9):
        page.mouse.move(start[0] + 2.5 * k, start[1] + 1.5 * k)
    page.mouse.up()
    assert page.get_attribute("#editor", "data-edited") == " ".join(sorted(node["codes"]))
    screenshot(page, "editor-demo-shared-vertex")
    assert_accessible(page)
    page.click("#mode-save")
    page.wait_for_selector("#preview-box:not([hidden])")
    page.click("#preview-confirm")
    wait_for_summary(page, "() => document.getElementById('editor-message').className",
                     lambda c: "ok" in c)
    after, gap, overlap = children_report(eng, community)
    assert {c: after[c] - before[c] for c in node["codes"]} == {c: 1 for c in node["codes"]}
    assert all(after[c] == before[c] for c in before if c not in node["codes"])
    assert gap < 0.01 and overlap < 0.01
    print(f"\n{len(before)} grids, {handles} handles; the vertex tool started in {ms:.0f} ms")
