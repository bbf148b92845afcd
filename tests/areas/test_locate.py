"""Location lookup: the locate rule, CRS input, ambiguity and bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest
from sqlalchemy import text

from gisapp.areas.crs import gcj02_to_bd09, wgs84_to_gcj02

NW = "210204001001001001"   # the north-west micro-grid of the tiny city


def areas_of(client, headers=None, **params):
    resp = client.get("/api/locate", query_string=params, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_point_gives_every_level_and_people(client, as_user):
    body = areas_of(client, as_user("grid_worker"), lng=121.51, lat=38.99)
    areas = body["areas"]
    assert [areas[k]["code"] for k in ("district", "street", "community", "grid", "microgrid")] == [
        "210204", "210204001", "210204001001", "210204001001001", NW]
    roles = [p["role"] for p in areas["grid"]["on_duty"]]
    assert roles == sorted(roles, key=["grid_leader", "grid_worker"].index)   # by rank
    assert "grid_worker" in roles and all(p["phone"] for p in areas["grid"]["on_duty"])
    assert areas["community"]["office"]["phone"].startswith("0411-")
    assert body["ambiguous"] is False


def test_south_east_corner(client):
    areas = areas_of(client, lng=121.59, lat=38.91)["areas"]
    assert areas["microgrid"]["code"] == "210204002002002002"


@pytest.mark.parametrize("crs,convert", [
    ("gcj02", lambda x, y: wgs84_to_gcj02(x, y)),
    ("bd09", lambda x, y: gcj02_to_bd09(*wgs84_to_gcj02(x, y))),
])
def test_phone_crs_are_converted(client, crs, convert):
    # 121.5249 is 0.0001 deg (~9 m) west of the 121.525 grid edge; the GCJ-02 offset at
    # Dalian is ~500 m, so an unconverted point would land in a different grid.
    x, y = convert(121.5249, 38.99)
    body = areas_of(client, lng=float(x), lat=float(y), crs=crs)
    assert body["areas"]["grid"]["code"] == "210204001001001"
    assert math.isclose(body["query"]["wgs84"][0], 121.5249, abs_tol=2e-6)


def test_unconverted_gcj_point_would_be_elsewhere(client):
    x, y = wgs84_to_gcj02(121.5249, 38.99)
    body = areas_of(client, lng=float(x), lat=float(y))
    assert body["areas"]["grid"]["code"] != "210204001001001"


def test_point_on_shared_edge_follows_smallest_code(client, engine):
    # 121.55 is the edge between streets 001 and 002; both cover the point.
    body = areas_of(client, lng=121.55, lat=38.99)
    assert body["areas"]["microgrid"]["code"] == "210204001001002001"
    with engine.connect() as conn:
        sql_leaf = conn.execute(text(
            "SELECT code FROM area "
            "WHERE id = locate_leaf(ST_SetSRID(ST_MakePoint(121.55, 38.99), 4326))"
        )).scalar()
    assert sql_leaf == body["areas"]["microgrid"]["code"]


def test_point_on_shared_vertex(client, engine):
    # The centre of the district is a vertex shared by four micro-grids.
    body = areas_of(client, lng=121.55, lat=38.95)
    with engine.connect() as conn:
        covering = conn.execute(text("""
            SELECT code FROM area_current WHERE level = 5
              AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(121.55, 38.95), 4326)) """
                                     """ORDER BY code""")).scalars().all()
    assert len(covering) == 4
    assert body["areas"]["microgrid"]["code"] == covering[0]


def test_accuracy_circle_across_a_boundary_is_ambiguous(client):
    body = areas_of(client, lng=121.5499, lat=38.99, accuracy=50)
    assert body["ambiguous"] is True
    codes = [c["code"] for c in body["candidates"]]
    assert len(codes) == 2
    assert codes[0] == body["areas"]["microgrid"]["code"]     # the larger overlap first
    assert body["candidates"][0]["overlap"] > body["candidates"][1]["overlap"]


def test_accuracy_circle_inside_one_area_is_not_ambiguous(client):
    body = areas_of(client, lng=121.51, lat=38.99, accuracy=20)
    assert body["ambiguous"] is False and len(body["candidates"]) == 1


def test_outside_every_area_is_404(client):
    resp = client.get("/api/locate", query_string={"lng": 121.70, "lat": 38.86})
    assert resp.status_code == 404
    assert resp.get_json()["error"] == "outside_all_areas"


@pytest.mark.parametrize("params,field", [
    ({"lat": 38.99}, "lng"),
    ({"lng": "abc", "lat": 38.99}, "lng"),
    ({"lng": "nan", "lat": 38.99}, "lng"),
    ({"lng": "inf", "lat": 38.99}, "lng"),
    ({"lng": 121.5, "lat": "1e308"}, "lat"),
    ({"lng": 38.99, "lat": 121.51}, "lat"),        # swapped
    ({"lng": 200, "lat": 38.99}, "lng"),
    ({"lng": 121.51, "lat": 38.99, "crs": "epsg:9999"}, "crs"),
    ({"lng": 121.51, "lat": 38.99, "accuracy": -5}, "accuracy"),
])
def test_bad_input_is_400(client, params, field):
    resp = client.get("/api/locate", query_string=params)
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["error"] == "bad_input" and body["field"] == field and body["message"]


def test_swapped_coordinates_are_named(client):
    body = client.get("/api/locate", query_string={"lng": 38.99, "lat": 121.51}).get_json()
    assert "swapped" in body["message"]


def test_batch_matches_single_calls(client):
    rng = np.random.default_rng(7)
    pts = np.column_stack([rng.uniform(121.49, 121.61, 300), rng.uniform(38.89, 39.01, 300)])
    resp = client.post("/api/locate", json={"points": pts.tolist()})
    assert resp.status_code == 200
    results = resp.get_json()["results"]
    for (x, y), res in zip(pts[:40], results[:40]):
        single = client.get("/api/locate", query_string={"lng": x, "lat": y})
        if single.status_code == 404:
            assert res["error"] == "outside_all_areas"
        else:
            assert (res["areas"]["microgrid"]["code"]
                    == single.get_json()["areas"]["microgrid"]["code"])


def test_batch_reports_bad_points_individually(client):
    resp = client.post("/api/locate",
                       json={"points": [[121.51, 38.99], ["x", 1], [121.51], [38.99, 121.51]]})
    results = resp.get_json()["results"]
    assert results[0]["areas"]["microgrid"]["code"] == NW
    assert [r.get("error") for r in results[1:]] == ["bad_input"] * 3


@pytest.mark.parametrize("body,status", [
    (b"{not json", 400),
    (b'{"points": [[NaN, 1]]}', 400),
    (b'{"points": "x"}', 400),
    (b'{"points": [[121.5, 38.9]], "crs": 5}', 400),
    (b'{"points": [[121.5, 38.9]], "crs": "mars"}', 400),
    (b"[" * 5000 + b"]" * 5000, 400),
])
def test_batch_bad_bodies(client, body, status):
    resp = client.post("/api/locate", data=body, content_type="application/json")
    assert resp.status_code == status
    assert resp.get_json()["error"]


def test_batch_limit_is_413(client):
    resp = client.post("/api/locate", json={"points": [[121.51, 38.99]] * 10_001})
    assert resp.status_code == 413


def test_index_agrees_with_postgis_on_random_points(app, engine):
    """The in-memory index and PostGIS give the same leaf for thousands of points."""
    from gisapp.areas.spatial_index import index
    rng = np.random.default_rng(11)
    n = 5000
    x, y = rng.uniform(121.48, 121.62, n), rng.uniform(38.88, 39.02, n)
    # Put some points exactly on grid lines and vertices too.
    x[:500] = rng.choice([121.5, 121.525, 121.55, 121.575, 121.6], 500)
    y[250:750] = rng.choice([38.9, 38.925, 38.95, 38.975, 39.0], 500)
    with app.app_context():
        snap = index().snapshot()
    leaves = snap.leaves_at(x, y)
    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT i, locate_leaf(ST_SetSRID(ST_MakePoint(px, py), 4326))
            FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) WITH ORDINALITY AS """
                                 """t(px, py, i)
            ORDER BY i"""), {"xs": x.tolist(), "ys": y.tolist()}).all()
    expected = np.array([r[1] if r[1] is not None else -1 for r in rows])
    assert (leaves == expected).all()
    assert (expected == -1).sum() > 100 and (expected != -1).sum() > 2000
    # Single points go through the cell grid, not the STRtree: the same answers.
    single = np.array([snap.leaf_at(float(a), float(b)) for a, b in zip(x, y)])
    assert (single == expected).all()


def test_cell_grid_agrees_on_vertices_and_cell_edges(app):
    """Every leaf vertex (edges shared by several leaves) and points on cell borders."""
    import shapely

    from gisapp.areas.spatial_index import CellGrid, index
    with app.app_context():
        snap = index().snapshot()
    xy = shapely.get_coordinates(snap.leaf_geoms)
    grid = snap.cells
    k = np.arange(-2, 60)
    edges = np.array([(grid.x0 + i / grid.inv, grid.y0 + j / grid.inv) for i in k for j in k[::7]])
    pts = np.vstack([xy, edges, [[grid.x0 - 1e-9, grid.y0], [0.0, 0.0], [-179.9, -89.9]]])
    expected = snap.leaves_at(pts[:, 0].copy(), pts[:, 1].copy())
    single = np.array([snap.leaf_at(float(a), float(b)) for a, b in pts])
    assert (single == expected).all()
    assert (expected[:len(xy)] != -1).all()          # a vertex is covered by its own leaf
    # A grid with one huge cell, or none at all, still answers by the same rule.
    coarse = CellGrid(snap.leaf_ids, snap.leaf_geoms, cell=10.0)
    assert [coarse.leaf_at(float(a), float(b)) for a, b in pts[:500]] == expected[:500].tolist()
    empty = CellGrid(snap.leaf_ids[:0], snap.leaf_geoms[:0])
    assert empty.leaf_at(121.5, 38.9) == -1


def test_public_sees_offices_not_staff(client):
    areas = areas_of(client, lng=121.51, lat=38.99)["areas"]
    assert all("on_duty" not in a for a in areas.values())
    assert areas["community"]["office"]["phone"]


def test_query_string_forms_agree(client):
    """The plain fast parse and werkzeug's (percent-encoded, repeated names) answer alike."""
    plain = client.get("/api/locate?lng=121.52&lat=38.97")
    encoded = client.get("/api/locate?lng=121%2E52&lat=38.97&crs=wgs%38%34")
    repeated = client.get("/api/locate?lng=121.52&lat=38.97&lng=0&&x")
    assert plain.status_code == encoded.status_code == repeated.status_code == 200
    assert plain.get_json() == encoded.get_json() == repeated.get_json()
    body = plain.get_json()
    assert body["query"] == {"lng": 121.52, "lat": 38.97, "crs": "wgs84",
                             "wgs84": [121.52, 38.97], "accuracy": None}
    assert body["ambiguous"] is False and "candidates" not in body
    assert client.get("/api/locate?lng=&lat=38.97").status_code == 400
    assert client.get("/api/locate?lat=38.97&lng").status_code == 400


def test_batch_nesting_limit(client):
    def nested(depth):
        body = 0
        for _ in range(depth):
            body = [body]
        return {"points": body}
    deep = client.post("/api/locate", json=nested(40))
    assert deep.status_code == 400 and "nested deeper" in deep.get_json()["message"]
    shallow = client.post("/api/locate", json=nested(20))
    assert shallow.status_code in (200, 400) and "nested" not in shallow.get_data(as_text=True)
    wide = client.post("/api/locate",
                       json={"points": [[121.52, 38.97]] * 3, "x": {"a": [{"b": 1}]}})
    assert wide.status_code == 200 and wide.get_json()["count"] == 3
