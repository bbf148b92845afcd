"""Coverage analysis on the tiny city: households farther than N metres from a facility kind.

The tiny city has one household at the centre of each of its 16 micro-grids: x in
121.5125, 121.5375, 121.5625, 121.5875 and y in 38.9875, 38.9625, 38.9375, 38.9125
(neighbours are about 2.16 km apart east-west and 2.78 km north-south). Expected
answers come from pyproj's geodesic on WGS 84, computed here independently of PostGIS.
"""
from __future__ import annotations

import csv
import io
import random

import pytest
from pyproj import Geod
from sqlalchemy import text

GEOD = Geod(ellps="WGS84")
NW_HOME = (121.5125, 38.9875)


def metres(a, b) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


@pytest.fixture()
def facilities(engine):
    """Place facilities straight in the database; removed after the test."""
    ids = []

    def place(points, kind="elderly_canteen"):
        with engine.begin() as conn:
            for x, y in points:
                ids.append(conn.execute(text("""
                    INSERT INTO facility (kind, name, geom, area_id)
                    VALUES (:k, '测试设施', ST_SetSRID(ST_MakePoint(:x, :y), 4326),
                            locate_leaf(ST_SetSRID(ST_MakePoint(:x, :y), 4326))) RETURNING id"""),
                    {"k": kind, "x": x, "y": y}).scalar())
    yield place
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM facility WHERE id = ANY(:ids)"), {"ids": ids})


def rows_by_code(body):
    return {r["code"]: (r["households"], r["gaps"]) for r in body["rows"]}


def get(client, query, headers=None):
    r = client.get("/api/coverage?" + query, headers=headers or {})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_one_canteen_leaves_the_rest_of_the_city_uncovered(client, facilities):
    facilities([NW_HOME])
    body = get(client, "kind=elderly_canteen&distance=1000&level=community")
    assert rows_by_code(body) == {"210204001001": (4, 3), "210204001002": (4, 4),
                                  "210204002001": (4, 4), "210204002002": (4, 4)}
    assert body["totals"] == {"households": 16, "gaps": 15, "covered": 1, "gap_share": 0.9375}
    assert body["kind_name"] == "老年食堂" and body["distance_m"] == 1000


def test_walking_distance_reaches_the_east_neighbour_not_the_south_one(client, facilities):
    facilities([NW_HOME])
    assert metres(NW_HOME, (121.5375, 38.9875)) < 2500 < metres(NW_HOME, (121.5125, 38.9625))
    body = get(client, "kind=elderly_canteen&distance=2500&level=grid&area=210204001001")
    assert rows_by_code(body) == {"210204001001001": (2, 1), "210204001001002": (2, 1)}
    streets = get(client, "kind=elderly_canteen&distance=2500&level=street")
    assert rows_by_code(streets) == {"210204001": (8, 6), "210204002": (8, 8)}
    assert [r["code"] for r in streets["rows"]] == ["210204002", "210204001"]   # ranked by gaps


def test_the_distance_is_exact_in_metres_at_the_edge(client, facilities):
    spot = (121.5125 + 0.004, 38.9875 + 0.003)           # about 434 m from the household
    facilities([spot])
    exact = metres(NW_HOME, spot)
    inside = get(client,
                 f"kind=elderly_canteen&distance={exact + 0.05:.3f}&area=210204001001&level=grid")
    outside = get(client,
                  f"kind=elderly_canteen&distance={exact - 0.05:.3f}&area=210204001001&level=grid")
    assert rows_by_code(inside)["210204001001001"] == (2, 1)
    assert rows_by_code(outside)["210204001001001"] == (2, 2)


def test_matches_a_brute_force_geodesic_count(client, facilities, engine):
    """Many households per micro-grid, so whole micro-grids are in, out and on the edge."""
    rng = random.Random(8)
    homes = [(round(rng.uniform(121.50, 121.60), 6), round(rng.uniform(38.90, 39.00), 6))
             for _ in range(400)]
    homes += [(121.5870 + rng.uniform(0, 0.0008), 38.9120 + rng.uniform(0, 0.0008))
              for _ in range(60)]
    sites = [(121.52, 38.98), (121.588, 38.9125), (121.57, 38.93), (121.54, 38.91)]
    with engine.begin() as conn:
        for x, y in homes:
            conn.execute(text("""INSERT INTO household (geom, area_id, colour, tags)
                VALUES (ST_SetSRID(ST_MakePoint(:x, :y), 4326),
                        locate_leaf(ST_SetSRID(ST_MakePoint(:x, :y), 4326)), 3, '{}')"""),
                         {"x": x, "y": y})
    facilities(sites, kind="clinic")
    try:
        with engine.connect() as conn:
            all_homes = conn.execute(text("SELECT ST_X(h.geom), ST_Y(h.geom), a.code "
                                          "FROM household h "
                                          "JOIN area a ON a.id = h.area_id")).all()
        for d in (300, 1500, 4000):
            want: dict[str, list[int]] = {}
            for x, y, code in all_homes:
                cell = want.setdefault(code[:12], [0, 0])
                cell[0] += 1
                cell[1] += min(metres((x, y), s) for s in sites) > d
            body = get(client, f"kind=clinic&distance={d}&level=community")
            assert rows_by_code(body) == {k: tuple(v) for k, v in want.items()}, d
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM household WHERE colour = 3"))


def test_filters_by_colour_and_tag(client, as_user, facilities):
    facilities([NW_HOME])
    base = "kind=elderly_canteen&distance=1000&level=street"
    # every tiny household is red
    assert get(client, base + "&colour=red")["totals"]["gaps"] == 15
    assert get(client, base + "&colour=1")["totals"]["gaps"] == 15
    assert get(client, base + "&colour=orange", as_user("admin"))["totals"] == {
        "households": 0, "gaps": 0, "covered": 0, "gap_share": None}
    # Without a duty, a small count of a colour reads "<5" (test_small_counts).
    assert get(client, base + "&colour=orange")["totals"] == {
        "households": "<5", "gaps": "<5", "covered": "<5", "gap_share": None}
    staff = as_user("street_sup")
    assert get(client, base + "&tag=独居老人", staff)["totals"]["gaps"] == 15
    assert get(client, base + "&tag=低保", as_user("district_sup"))["totals"]["households"] == 0
    # The street supervisor has no duty toward the other street: its small count is hidden.
    assert get(client, base + "&tag=低保", staff)["totals"]["households"] == "<5"


def test_the_public_gets_aggregates_and_no_counts_by_tag(client, facilities):
    facilities([NW_HOME])
    body = get(client, "kind=elderly_canteen&distance=1000&level=grid")
    assert set(body["rows"][0]) == {"code", "name", "path", "households", "gaps", "gap_share"}
    fc = get(client, "kind=elderly_canteen&distance=1000&level=grid&format=geojson")
    assert {f["geometry"]["type"] for f in fc["features"]} <= {"Polygon", "MultiPolygon"}
    assert len(fc["features"]) == 8 and sum(f["properties"]["gaps"] for f in fc["features"]) == 15
    r = client.get("/api/coverage?kind=elderly_canteen&distance=1000&tag=独居老人")
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden"


def test_csv(client, facilities):
    facilities([NW_HOME])
    r = client.get("/api/coverage?kind=elderly_canteen&distance=1000&level=community&format=csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[-1] == {"code": "210204001001", "name": "测试社区01001", "households": "4",
                        "gaps": "3", "gap_share": "0.75"}
    assert len(rows) == 4


def test_no_facility_of_the_kind_means_everyone_is_a_gap(client):
    body = get(client, "kind=swap_station&distance=5000&level=street")
    assert body["totals"]["gaps"] == 16


@pytest.mark.parametrize("query, status", [
    ("distance=1000", 400), ("kind=spaceport&distance=1000", 400), ("kind=clinic", 400),
    ("kind=clinic&distance=-5", 400), ("kind=clinic&distance=0", 400),
    ("kind=clinic&distance=abc", 400), ("kind=clinic&distance=nan", 400),
    ("kind=clinic&distance=inf", 400), ("kind=clinic&distance=1e9", 400),
    ("kind=clinic&distance=1000&level=microgrid", 400), ("kind=clinic&distance=1000&area=999", 400),
    ("kind=clinic&distance=1000&area=210204009", 404),
    ("kind=clinic&distance=1000&level=street&area=210204001001", 400),
    ("kind=clinic&distance=1000&colour=purple", 400), ("kind=clinic&distance=1000&format=xml", 400),
])
def test_bad_input(client, as_user, query, status):
    r = client.get("/api/coverage?" + query, headers=as_user("admin"))
    assert r.status_code == status, (query, r.get_json())
    assert r.get_json()["error"] in ("bad_input", "not_found")


def test_pages_for_the_public(client):
    page = client.get("/coverage")
    assert page.status_code == 200 and "服务覆盖分析" in page.get_data(as_text=True)
    assert 'name="tag"' not in page.get_data(as_text=True)          # counts by tag are for staff
    facilities_page = client.get("/facilities").get_data(as_text=True)
    assert "服务设施" in facilities_page and 'id="fac-form"' not in facilities_page
    assert client.get("/staffing").status_code == 303               # staff only: log in first


def test_gap_households_only_for_those_with_a_duty_toward_them(client, as_user, facilities, engine):
    facilities([NW_HOME])
    query = "/api/coverage/households?kind=elderly_canteen&distance=1000"
    # grid_worker's grid (210204001001001) has two households; the one at the canteen is covered.
    r = client.get(query, headers=as_user("grid_worker"))
    assert r.status_code == 200, r.get_json()
    fc = r.get_json()
    assert len(fc["features"]) == 1
    assert fc["features"][0]["geometry"]["coordinates"] == pytest.approx([121.5125, 38.9625])
    props = fc["features"][0]["properties"]
    assert props["area_code"] == "210204001001001002" and props["colour"] == "red"
    assert props["nearest_m"] == pytest.approx(metres(NW_HOME, (121.5125, 38.9625)), abs=0.1)
    other = client.get(query, headers=as_user("other_worker")).get_json()
    assert all(f["properties"]["area_code"].startswith("210204002002002")
               for f in other["features"])
    assert len(other["features"]) == 2
    # Aggregate-only roles and the public get no points at all.
    assert client.get(query, headers=as_user("street_sup")).status_code == 403
    assert client.get(query, headers=as_user("wall")).status_code == 403
    assert client.get(query).status_code == 401
    with engine.connect() as conn:
        audited = conn.execute(text("SELECT count(*) FROM audit_log "
                                    "WHERE action = 'read.households' "
                                    "AND detail->>'via' = 'coverage'")).scalar()
    assert audited == 2


@pytest.mark.parametrize("query",
                         ["kind=clinic&tag=%00", "kind=clinic&tag=a%00b", "kind=cli%00nic"])
def test_nul_characters_are_bad_input(client, as_user, query):
    r = client.get("/api/coverage?distance=1000&" + query, headers=as_user("admin"))
    assert r.status_code == 400, r.get_json()
    r = client.get("/api/coverage/households?distance=1000&" + query,
                   headers=as_user("grid_worker"))
    assert r.status_code == 400, r.get_json()
