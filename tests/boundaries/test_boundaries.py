"""The boundary editor API against the tiny city (tests/tiny_city.py).

The community 210204001001 is the box 121.50..121.55 E, 38.95..39.00 N; its grids are the
west half 210204001001001 (121.50..121.525) and the east half ...002 (121.525..121.55); each
grid's micro-grids are its north (...001) and south (...002) halves, with one household at
each micro-grid's centre (so the household of 210204001001001001 is at 121.5125, 38.9875).
Each test gets its own copy of the city, so the expected answers stay obvious.
"""
from __future__ import annotations

import json
import tempfile
import threading
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from gisapp import create_app
from gisapp.accounts import auth

from ..conftest import fresh_database
from ..tiny_city import TINY_USERS

COMMUNITY = "210204001001"
WEST, EAST = "210204001001001", "210204001001002"
NEW_GRID = "210204001001003"


def box(x0, y0, x1, y1) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


WEST_BOX, EAST_BOX = box(121.50, 38.95, 121.525, 39.00), box(121.525, 38.95, 121.55, 39.00)


@dataclass
class City:
    app: object
    client: object
    engine: object
    tokens: dict

    def headers(self, user: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def put(self, parent: str, children: list, user: str = "community_sup", **extra):
        body = {"reason": "测试调整", "children": children, **extra}
        return self.client.put(f"/api/boundaries/{parent}", json=body, headers=self.headers(user))

    def post(self, path: str, body: dict, user: str = "community_sup"):
        return self.client.post(path, json=body, headers=self.headers(user))

    def scalar(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def execute(self, sql: str, **params):
        with self.engine.begin() as conn:
            return conn.execute(text(sql), params)

    def rows_written(self) -> tuple:
        return (self.scalar("SELECT count(*) FROM area_version"),
                self.scalar("SELECT count(*) FROM area"),
                self.scalar("SELECT count(*) FROM area_version WHERE valid_to IS NOT NULL"))

    def tessellation(self, parent: str) -> tuple[float, float]:
        """(area of parent XOR union of children, overlap between children), in m²."""
        row = self.execute("""
            SELECT ST_Area(ST_SymDifference(p.geom, ST_Union(c.geom))::geography),
                   sum(ST_Area(c.geom::geography)) - ST_Area(ST_Union(c.geom)::geography)
            FROM area_current p JOIN area_current c ON c.parent_id = p.id
            WHERE p.code = :code GROUP BY p.geom""", code=parent).first()
        return row[0], row[1]

    def locate(self, lng: float, lat: float) -> str:
        areas = self.client.get(f"/api/locate?lng={lng}&lat={lat}").get_json()["areas"]
        return (areas.get("microgrid") or areas["grid"])["code"]


@pytest.fixture()
def city(cluster, template_db):
    """A fresh copy of the tiny city with its own app, client and tokens."""
    url = fresh_database(cluster, template_db)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "INDEX_REFRESH_SECONDS": 60.0,
                      "PHOTO_DIR": tempfile.mkdtemp(prefix="gisapp-photos-")})
    engine = app.extensions["gisapp_engine"]
    with engine.begin() as conn:
        tokens = {u: auth.issue_token(conn, u, days=1) for u in TINY_USERS}
    yield City(app, app.test_client(), engine, tokens)
    engine.dispose()


def split_west_grid(city: City, x: float = 121.51, **extra):
    """Split the west grid at longitude x: the west part keeps its code, the east is new."""
    return city.put(COMMUNITY, [
        {"code": WEST, "version": 1, "geometry": box(121.50, 38.95, x, 39.00)},
        {"code": None, "name": "新网格", "geometry": box(x, 38.95, 121.525, 39.00)},
        {"code": EAST, "version": 1, "geometry": EAST_BOX},
    ], **extra)


def add_case(city: City, lng: float, lat: float, state: str) -> int:
    return city.execute("""
        INSERT INTO case_file (kind, category, description, reporter_kind, geom, area_id, area_code,
                               state, cancel_reason)
        SELECT 'incident', 'rubbish', '测试', 'staff', ST_SetSRID(ST_MakePoint(:x, :y), 4326),
               id, code, :state, NULL FROM area """
                        """WHERE id = locate_leaf(ST_SetSRID(ST_MakePoint(:x, :y), 4326))
        RETURNING id""", x=lng, y=lat, state=state).scalar()


# --- a valid save ----------------------------------------------------------------------

def test_split_saves_new_versions_and_codes(city):
    resp = split_west_grid(city)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["versions"] == [WEST, WEST + "001", WEST + "002"]
    assert body["created"] == [NEW_GRID, NEW_GRID + "001", NEW_GRID + "002"]
    assert body["retired"] == []
    # The east grid was sent unchanged: no new version, same code.
    assert city.scalar("SELECT max(version) FROM area_version v JOIN area a ON a.id = v.area_id "
                       "WHERE a.code = :c", c=EAST) == 1
    # The old version is closed at the moment the new one starts.
    closed, opened = city.execute("""
        SELECT max(valid_to) FILTER (WHERE version = 1), max(valid_from) FILTER (WHERE version = 2)
        FROM area_version v JOIN area a ON a.id = v.area_id WHERE a.code = :c""", c=WEST).first()
    assert closed is not None and closed == opened
    history = city.client.get(f"/api/areas/{WEST}/history",
                              headers=city.headers("community_sup")).get_json()
    assert [v["version"] for v in history["versions"]] == [2, 1]
    assert history["versions"][0]["author"] == "community_sup"
    assert history["versions"][0]["reason"] == "测试调整"
    assert history["versions"][1]["valid_to"] is not None


def test_saved_children_tessellate_exactly(city):
    assert split_west_grid(city).status_code == 200
    for parent in (COMMUNITY, WEST, NEW_GRID):
        mismatch, overlap = city.tessellation(parent)
        assert mismatch < 1e-3 and abs(overlap) < 1e-3, parent
    assert city.scalar("SELECT count(*) FROM area_current WHERE parent_id = "
                       "(SELECT id FROM area WHERE code = :c)", c=NEW_GRID) == 2


def test_sub_tolerance_slips_are_snapped_shut(city):
    """Edges a few centimetres off the neighbours and the parent still tessellate exactly."""
    resp = city.put(COMMUNITY, [
        {"code": WEST, "version": 1, "geometry": box(121.50, 38.95, 121.510001, 39.00)},
        # 0.2 m north of the parent, 0.1 m short of the east grid, 0.17 m gap to the west.
        {"code": None, "name": "新网格", "geometry": box(121.510003, 38.95, 121.524999, 39.000002)},
        {"code": EAST, "version": 1, "geometry": EAST_BOX},
    ])
    assert resp.status_code == 200, resp.get_json()
    mismatch, overlap = city.tessellation(COMMUNITY)
    assert mismatch < 1e-3 and abs(overlap) < 1e-3
    # The shared edge is exactly shared: the two grids meet along a line, never a sliver.
    shared = city.scalar("""
        SELECT ST_Length(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 2)::geography)
        FROM area_current a, area_current b WHERE a.code = :a AND b.code = :b""",
        a=WEST, b=NEW_GRID)
    assert shared == pytest.approx(5560, rel=0.01)
    assert city.scalar("SELECT ST_Area(ST_Intersection(a.geom, b.geom)) FROM area_current a, "
                       "area_current b WHERE a.code = :a AND b.code = :b", a=NEW_GRID, b=EAST) == 0


def test_households_and_open_cases_follow_the_new_areas(city):
    open_case = add_case(city, 121.5125, 38.9875, "dispatched")
    closed_case = add_case(city, 121.5125, 38.9875, "closed")
    old_code = WEST + "001"
    assert split_west_grid(city).status_code == 200
    home = city.scalar("SELECT a.code FROM household h JOIN area a ON a.id = h.area_id "
                       "WHERE ST_Equals(h.geom, ST_SetSRID(ST_MakePoint(121.5125, 38.9875), 4326))")
    assert home == NEW_GRID + "001"
    assert city.scalar("SELECT area_code FROM case_file WHERE id = :i",
                       i=open_case) == NEW_GRID + "001"
    assert city.scalar("SELECT area_code FROM case_file WHERE id = :i", i=closed_case) == old_code
    counts = city.execute("SELECT code, households FROM area WHERE code IN (:a, :b, :c, :d)",
                          a=WEST, b=NEW_GRID, c=COMMUNITY, d=old_code).all()
    assert dict(counts) == {WEST: 0, NEW_GRID: 2, COMMUNITY: 4, old_code: 0}


def test_summary_reports_what_moved(city):
    add_case(city, 121.5125, 38.9625, "registered")
    body = split_west_grid(city).get_json()
    assert body["moved"] == {"households": 2, "buildings": 0, "facilities": 0, "duties": 0,
                             "open_cases": 1}


def test_locate_sees_the_new_edge_at_once(city):
    assert city.locate(121.5101, 38.99) == WEST + "001"       # warms the index first
    assert split_west_grid(city).status_code == 200
    assert city.locate(121.5099, 38.99) == WEST + "001"
    assert city.locate(121.5101, 38.99) == NEW_GRID + "001"
    assert city.locate(121.5101, 38.96) == NEW_GRID + "002"
    # Exactly on the new edge: the smaller code wins, as everywhere.
    assert city.locate(121.51, 38.99) == WEST + "001"


def test_retired_child_hands_duties_to_its_successor(city):
    resp = city.put(COMMUNITY, [{"code": WEST, "version": 1,
                                 "geometry": box(121.50, 38.95, 121.55, 39.00)}])
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert EAST in body["retired"] and EAST + "001" in body["retired"]
    # The east grid's worker now serves the west grid, which took its territory.
    assert body["moved"]["duties"] >= 1
    assert city.scalar("SELECT count(*) FROM duty d JOIN area a ON a.id = d.area_id "
                       "WHERE a.retired_at IS NOT NULL AND d.ends_on IS NULL") == 0
    assert city.scalar("SELECT retired_at IS NOT NULL FROM area WHERE code = :c", c=EAST)


# --- validation: 4xx with the offending geometry, nothing written ----------------------

def _rejected(city, resp, kind: str, status: int = 400) -> dict:
    body = resp.get_json()
    assert resp.status_code == status, body
    assert body["error"] == kind, body
    assert "geometry" in body
    return body


BOW_TIE = {"type": "Polygon", "coordinates": [[[121.50, 38.95], [121.525, 39.00], [121.525, 38.95],
                                               [121.50, 39.00], [121.50, 38.95]]]}


@pytest.mark.parametrize("kind, west, new", [
    ("invalid_geometry", BOW_TIE, box(121.51, 38.95, 121.525, 39.00)),
    ("outside_parent", box(121.50, 38.95, 121.51, 39.01), box(121.51, 38.95, 121.525, 39.00)),
    ("overlap", box(121.50, 38.95, 121.515, 39.00), box(121.51, 38.95, 121.525, 39.00)),
    ("gap", box(121.50, 38.95, 121.505, 39.00), box(121.51, 38.95, 121.525, 39.00)),
])
def test_invalid_geometry_is_rejected_with_it(city, kind, west, new):
    before = city.rows_written()
    resp = city.put(COMMUNITY, [{"code": WEST, "version": 1, "geometry": west},
                                {"code": None, "name": "新网格", "geometry": new},
                                {"code": EAST, "version": 1, "geometry": EAST_BOX}])
    body = _rejected(city, resp, kind)
    assert "(" in body["message"] and any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    assert body["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert city.rows_written() == before


def test_bow_tie_names_the_reason_and_spot(city):
    resp = city.put(COMMUNITY, [{"code": WEST, "version": 1, "geometry": BOW_TIE},
                                {"code": EAST, "version": 1, "geometry": EAST_BOX}])
    body = _rejected(city, resp, "invalid_geometry")
    assert "Self-intersection" in body["reason"] and body["code"] == WEST
    assert body["location"]["coordinates"] == pytest.approx([121.5125, 38.975])


def test_offending_parts_are_the_ones_returned(city):
    resp = city.put(COMMUNITY, [{"code": WEST, "version": 1,
                                 "geometry": box(121.50, 38.95, 121.515, 39.00)},
                                {"code": None, "name": "新网格",
                                 "geometry": box(121.51, 38.95, 121.525, 39.00)},
                                {"code": EAST, "version": 1, "geometry": EAST_BOX}])
    body = resp.get_json()
    xs = [p[0] for p in body["geometry"]["coordinates"][0][0]]
    assert min(xs) == pytest.approx(121.51) and max(xs) == pytest.approx(121.515)
    assert (body["code"], body["other"]) == (WEST, 1)


@pytest.mark.parametrize("geometry, kind", [
    ({"type": "Point", "coordinates": [121.51, 38.96]}, "bad_geojson"),
    ({"type": "Polygon"}, "bad_geojson"),
    ({"type": "Polygon", "coordinates": [[[121.50, 38.95], [121.51, 38.95], [121.51, 39.0]]]},
     "bad_geojson"),
    ({"type": "Polygon", "coordinates": [[[121.50, 38.95], [121.51, 38.95], [121.51, 39.0],
                                          [121.50, 39.0], [121.50, 38.96]]]}, "bad_geojson"),
    ({"type": "Polygon", "coordinates": [[[38.95, 121.50], [38.95, 121.51], [39.0, 121.51],
                                          [38.95, 121.50]]]}, "bad_geojson"),
    ({"type": "Polygon", "coordinates": [[["121.5", 38.95], [121.51, 38.95], [121.51, 39.0],
                                          ["121.5", 38.95]]]}, "bad_geojson"),
])
def test_bad_geojson_is_rejected(city, geometry, kind):
    before = city.rows_written()
    resp = city.put(COMMUNITY, [{"code": WEST, "version": 1, "geometry": geometry},
                                {"code": EAST, "version": 1, "geometry": EAST_BOX}])
    body = _rejected(city, resp, kind)
    assert body["child"] == 0 and body["code"] == WEST
    assert city.rows_written() == before


def test_nan_coordinates_are_rejected(city):
    before = city.rows_written()
    raw = json.dumps({"reason": "x", "children": [
        {"code": EAST, "version": 1, "geometry": EAST_BOX},
        {"code": WEST, "version": 1, "geometry": box(121.50, 38.95, 121.525, 39.00)}]})
    raw = raw.replace("121.525, 39.0]", "NaN, 39.0]", 1)
    resp = city.client.put(f"/api/boundaries/{COMMUNITY}", data=raw,
                           content_type="application/json", headers=city.headers("community_sup"))
    body = _rejected(city, resp, "non_finite")
    assert body["child"] == 0 and body["geometry"]["type"] == "Polygon"
    assert None in [v for ring in body["geometry"]["coordinates"] for p in ring for v in p]
    assert city.rows_written() == before


def test_too_many_vertices_is_rejected(city):
    n = 10_001
    ring = [[121.50 + 0.025 * i / n, 38.95] for i in range(n)] + [[121.525, 38.95], [121.525, 39.0],
                                                                   [121.50, 39.0], [121.50, 38.95]]
    before = city.rows_written()
    resp = city.put(COMMUNITY, [{"code": WEST, "version": 1,
                                 "geometry": {"type": "Polygon", "coordinates": [ring]}},
                                {"code": EAST, "version": 1, "geometry": EAST_BOX}])
    body = _rejected(city, resp, "too_many_vertices")
    assert body["vertices"] > 10_000 and body["geometry"]["type"] == "Polygon"
    assert city.rows_written() == before


@pytest.mark.parametrize("body", [
    [], {"children": []}, {"reason": "", "children": [{"code": WEST}]}, {"reason": "x"},
    {"reason": "x", "children": [{"code": WEST, "geometry": WEST_BOX}]},           # no version
    {"reason": "x", "children": [{"code": None, "geometry": WEST_BOX}]},            # no name
    {"reason": "x", "children": [{"code": "xyz", "version": 1, "geometry": WEST_BOX}]},
    {"reason": "x", "children": [{"code": WEST, "version": 1, "geometry": WEST_BOX},
                                 {"code": WEST, "version": 1, "geometry": EAST_BOX}]},
    {"reason": "x", "children": [{"code": "210204002001001", "version": 1, "geometry": WEST_BOX},
                                 {"code": EAST, "version": 1, "geometry": EAST_BOX}]},
])
def test_malformed_requests_are_400(city, body):
    before = city.rows_written()
    resp = city.client.put(f"/api/boundaries/{COMMUNITY}", json=body,
                           headers=city.headers("community_sup"))
    assert resp.status_code == 400, resp.get_json()
    assert city.rows_written() == before


def test_micro_grid_has_no_children(city):
    resp = city.put(WEST + "001", [{"code": None, "name": "x", "geometry": WEST_BOX}])
    assert resp.status_code == 400


# --- concurrency and rights ------------------------------------------------------------

def test_stale_version_is_409_with_the_other_edit(city):
    assert split_west_grid(city, user="street_sup").status_code == 200
    before = city.rows_written()
    resp = city.put(COMMUNITY, [{"code": WEST, "version": 1,
                                 "geometry": box(121.50, 38.95, 121.52, 39.00)},
                                {"code": EAST, "version": 1,
                                 "geometry": box(121.52, 38.95, 121.55, 39.00)}])
    body = resp.get_json()
    assert resp.status_code == 409 and body["error"] == "conflict"
    other = body["conflicts"][0]
    assert other["code"] == WEST and other["version"] == 2 and other["sent_version"] == 1
    assert other["author"] == "street_sup" and other["reason"] == "测试调整"
    assert other["valid_from"] and other["geometry"]["type"] == "MultiPolygon"
    assert "street_sup" in body["message"]
    assert city.rows_written() == before


def test_concurrent_saves_wait_and_the_slower_gets_409(city):
    """A save in progress holds the parent: the second waits for it, then sees its version."""
    from gisapp.boundaries.input_checks import parse_edit
    from gisapp.boundaries.save import save_children
    edit = parse_edit({"reason": "先到的修改", "children": [
        {"code": WEST, "version": 1, "geometry": box(121.50, 38.95, 121.52, 39.00)},
        {"code": EAST, "version": 1, "geometry": box(121.52, 38.95, 121.55, 39.00)}]})
    result = {}
    with city.engine.begin() as conn:
        user = conn.execute(text("SELECT id FROM app_user WHERE username = 'street_sup'")).scalar()
        save_children(conn, auth.viewer_for_user(conn, user), COMMUNITY, edit)
        slower = threading.Thread(target=lambda: result.update(resp=split_west_grid(city)))
        slower.start()
        slower.join(timeout=1.0)
        assert slower.is_alive()            # blocked on the parent's lock
    slower.join(timeout=30)
    resp = result["resp"]
    assert resp.status_code == 409
    assert resp.get_json()["conflicts"][0]["reason"] == "先到的修改"
    assert city.scalar("SELECT count(*) FROM area WHERE code = :c", c=NEW_GRID) == 0


def test_known_versions_guard_children_left_out(city):
    assert split_west_grid(city).status_code == 200
    resp = city.put(COMMUNITY, [{"code": WEST, "version": 2,
                                 "geometry": box(121.50, 38.95, 121.525, 39.0)},
                                {"code": EAST, "version": 1, "geometry": EAST_BOX}],
                    known_versions={NEW_GRID: 7})
    assert resp.status_code == 409 and resp.get_json()["conflicts"][0]["code"] == NEW_GRID


@pytest.mark.parametrize("user, parent, status", [
    ("grid_worker", COMMUNITY, 403), ("grid_leader", COMMUNITY, 403),
    ("community_sup", "210204001", 403), ("community_sup", "210204002001", 403),
    ("wall", COMMUNITY, 403), ("street_sup", "210204002001", 403),
])
def test_only_supervisors_of_the_area_may_save(city, user, parent, status):
    before = city.rows_written()
    resp = city.put(parent, [{"code": None, "name": "x", "geometry": WEST_BOX}], user=user)
    assert resp.status_code == status
    assert city.rows_written() == before


def test_public_may_not_save(city):
    resp = city.client.put(f"/api/boundaries/{COMMUNITY}", json={"reason": "x", "children": []})
    assert resp.status_code == 401
    resp = city.put(COMMUNITY, [], user="grid_worker")      # rights are checked before input
    assert resp.status_code == 403


def test_save_is_audited(city):
    split_west_grid(city)
    row = city.execute("SELECT username, target, detail FROM audit_log "
                       "WHERE action = 'boundary.save'"
                       ).mappings().first()
    assert row["username"] == "community_sup" and row["target"] == COMMUNITY
    assert row["detail"]["created"][0] == NEW_GRID


# --- the editor's read, history, revert and the operations ------------------------------

def test_editor_read(city):
    body = city.client.get(f"/api/boundaries/{COMMUNITY}",
                           headers=city.headers("community_sup")).get_json()
    assert body["parent"]["code"] == COMMUNITY and body["editable"] is True
    assert [c["code"] for c in body["children"]] == [WEST, EAST]
    assert body["children"][0]["version"] == 1 and body["children"][0]["households"] == 2
    assert [n["code"] for n in body["neighbours"]] == ["210204001002"]
    other = city.client.get("/api/boundaries/210204002001", headers=city.headers("community_sup"))
    assert other.status_code == 200 and other.get_json()["editable"] is False


def test_search_stays_in_the_jurisdiction(city):
    found = city.client.get("/api/boundaries/search?q=2102040",
                            headers=city.headers("community_sup")).get_json()
    assert {a["code"] for a in found["areas"]} == {COMMUNITY, WEST, EAST}
    by_name = city.client.get("/api/boundaries/search?q=网格",
                              headers=city.headers("admin")).get_json()
    assert len(by_name["areas"]) == 8 and all(a["level_key"] == "grid" for a in by_name["areas"])


def test_revert_restores_the_earlier_geometry(city):
    assert split_west_grid(city).status_code == 200
    resp = city.post(f"/api/areas/{WEST}/revert", {"version": 1})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert NEW_GRID in body["retired"] and WEST in body["versions"]
    assert city.scalar("SELECT ST_Equals(geom, "
                       "ST_MakeEnvelope(121.50, 38.95, 121.525, 39.00, 4326)) "
                       "FROM area_current WHERE code = :c", c=WEST)
    history = city.client.get(f"/api/areas/{WEST}/history",
                              headers=city.headers("community_sup")).get_json()
    assert [v["version"] for v in history["versions"]] == [3, 2, 1]
    mismatch, overlap = city.tessellation(WEST)
    assert mismatch < 1e-3 and abs(overlap) < 1e-3
    assert city.locate(121.52, 38.99).startswith(WEST)


def test_revert_brings_back_a_merged_area(city):
    assert city.post(f"/api/areas/{WEST}/merge", {"with": EAST, "version": 1, "with_version": 1}
                     ).status_code == 200
    body = city.post(f"/api/areas/{WEST}/revert", {"version": 1}).get_json()
    # The east grid and its micro-grids come back with their codes, exactly as they were.
    assert body["restored"] == [EAST, EAST + "001", EAST + "002"] and WEST in body["versions"]
    assert sorted(body["retired"]) == [WEST + "003", WEST + "004"]
    assert city.scalar("SELECT retired_at IS NULL FROM area WHERE code = :c", c=EAST)
    assert city.locate(121.54, 38.96) == EAST + "002"
    assert city.tessellation(COMMUNITY)[0] < 1e-3


def test_split_endpoint(city):
    line = {"type": "LineString", "coordinates": [[121.54, 39.001], [121.54, 38.949]]}
    resp = city.post(f"/api/areas/{EAST}/split", {"line": line, "version": 1, "name": "东二网格"})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert EAST in body["versions"] and NEW_GRID in body["created"]
    # The larger piece (121.525..121.54) keeps the code; the new one is named as asked.
    assert city.scalar("SELECT name FROM area WHERE code = :c", c=NEW_GRID) == "东二网格"
    assert city.scalar("SELECT ST_XMax(geom) FROM area_current WHERE code = :c",
                       c=EAST) == pytest.approx(121.54)
    assert city.tessellation(COMMUNITY)[0] < 1e-3


def test_dry_run_previews_without_writing(city):
    before = city.rows_written()
    line = {"type": "LineString", "coordinates": [[121.54, 39.001], [121.54, 38.949]]}
    resp = city.post(f"/api/areas/{EAST}/split", {"line": line, "version": 1, "dry_run": True})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["dry_run"] is True and body["created"][0] == NEW_GRID
    assert [c["code"] for c in body["children"]] == [WEST, EAST, NEW_GRID]
    assert city.rows_written() == before
    assert city.locate(121.545, 38.99) == EAST + "001"


def test_split_line_that_misses_is_rejected(city):
    before = city.rows_written()
    line = {"type": "LineString", "coordinates": [[121.54, 38.99], [121.54, 38.98]]}
    resp = city.post(f"/api/areas/{EAST}/split", {"line": line, "version": 1})
    assert _rejected(city, resp, "split_failed")["geometry"]["type"] == "LineString"
    assert city.rows_written() == before


def test_split_with_stale_version_is_409(city):
    line = {"type": "LineString", "coordinates": [[121.54, 39.001], [121.54, 38.949]]}
    resp = city.post(f"/api/areas/{EAST}/split", {"line": line, "version": 3})
    assert resp.status_code == 409


def test_merge_endpoint(city):
    resp = city.post(f"/api/areas/{WEST}/merge", {"with": EAST, "version": 1, "with_version": 1})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["retired"] == [EAST, EAST + "001", EAST + "002"]
    # The east grid's micro-grids come along as new areas under the merged grid.
    assert body["created"] == [WEST + "003", WEST + "004"]
    assert city.locate(121.54, 38.99) == WEST + "003"
    assert city.tessellation(COMMUNITY)[0] < 1e-3 and city.tessellation(WEST)[0] < 1e-3


def test_merge_needs_neighbours(city):
    resp = city.post("/api/areas/210204001001/merge", {"with": "210204002002"}, user="district_sup")
    assert resp.status_code == 400


def test_delete_hands_territory_to_a_neighbour(city):
    resp = city.post(f"/api/areas/{EAST}/delete", {"to": WEST})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert EAST in body["retired"] and WEST in body["versions"]
    assert city.locate(121.54, 38.96) == WEST + "004"
    # Codes are never reused: a later new grid takes the next sequence after the retired one.
    children = city.client.get(f"/api/boundaries/{COMMUNITY}", headers=city.headers("community_sup")
                               ).get_json()["children"]
    resp = city.put(COMMUNITY, [
        {"code": WEST, "version": children[0]["version"],
         "geometry": box(121.50, 38.95, 121.53, 39.00)},
        {"code": None, "name": "新网格", "geometry": box(121.53, 38.95, 121.55, 39.00)}])
    assert resp.status_code == 200 and resp.get_json()["created"][0] == NEW_GRID


# --- import and export ------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp"])
def test_export_then_import_round_trip(city, tmp_path, fmt):
    runner = city.app.test_cli_runner()
    path = tmp_path / f"grids.{fmt}"
    result = runner.invoke(args=["boundaries", "export", "--parent", COMMUNITY, "--format", fmt,
                                 str(path)])
    assert result.exit_code == 0, result.output
    before = city.rows_written()
    # Importing what was exported changes nothing, committed or not.
    result = runner.invoke(
        args=["boundaries", "import", str(path), "--parent", COMMUNITY, "--commit"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.split("\ncommitted")[0])["versions"] == []
    assert city.rows_written() == before


def test_import_is_a_dry_run_unless_committed(city, tmp_path):
    path = tmp_path / "split.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": WEST, "name": "西网格", "version": 1},
         "geometry": box(121.50, 38.95, 121.51, 39.00)},
        {"type": "Feature", "properties": {"name": "新网格"},
         "geometry": box(121.51, 38.95, 121.525, 39.00)},
        {"type": "Feature", "properties": {"code": EAST}, "geometry": EAST_BOX}]}))
    runner = city.app.test_cli_runner()
    before = city.rows_written()
    result = runner.invoke(args=["boundaries", "import", str(path), "--parent", COMMUNITY])
    assert result.exit_code == 0, result.output
    assert NEW_GRID in result.output and "dry run" in result.output
    assert city.rows_written() == before
    result = runner.invoke(args=["boundaries", "import", str(path), "--parent", COMMUNITY,
                                 "--commit", "--reason", "按规划调整"])
    assert result.exit_code == 0, result.output
    assert city.scalar("SELECT name FROM area WHERE code = :c", c=WEST) == "西网格"
    assert city.scalar("SELECT v.author FROM area_version v JOIN area a ON a.id = v.area_id "
                       "WHERE a.code = :c", c=NEW_GRID).startswith("cli:")


def test_import_reports_validation_errors(city, tmp_path):
    path = tmp_path / "gap.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": WEST},
         "geometry": box(121.50, 38.95, 121.51, 39.00)},
        {"type": "Feature", "properties": {"code": EAST}, "geometry": EAST_BOX}]}))
    before = city.rows_written()
    result = city.app.test_cli_runner().invoke(
        args=["boundaries", "import", str(path), "--parent", COMMUNITY, "--commit"])
    assert result.exit_code != 0 and '"gap"' in result.output
    assert city.rows_written() == before
