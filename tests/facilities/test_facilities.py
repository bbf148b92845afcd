"""Facilities registry and nearest-of-a-kind on the tiny city.

The tiny city's north-west community is 121.50..121.55 E, 38.95..39.00 N; community_sup
supervises it (210204001001), other_worker is a grid worker in the south-east.
Expected distances come from pyproj's geodesic on WGS 84, independent of PostGIS.
"""
from __future__ import annotations

import pytest
from pyproj import Geod
from sqlalchemy import text

from gisapp.areas.crs import wgs84_to_gcj02

GEOD = Geod(ellps="WGS84")


def metres(a, b) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


def facility(kind="elderly_canteen", lng=121.51, lat=38.99, **extra):
    return {"kind": kind, "name": extra.pop("name", "测试老年食堂"), "capacity": 60,
            "opening_hours": "10:30-13:00", "location": {"lng": lng, "lat": lat}, **extra}


@pytest.fixture()
def made(client, as_user, engine):
    """Create facilities as the city admin; remove them after the test."""
    ids = []

    def make(**kw):
        r = client.post("/api/facilities", json=facility(**kw), headers=as_user("admin"))
        assert r.status_code == 201, r.get_json()
        ids.append(r.get_json()["facility"]["id"])
        return r.get_json()["facility"]
    yield make
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM facility WHERE id = ANY(:ids)"), {"ids": ids})


def test_kinds_are_listed(client):
    kinds = {k["kind"]: k["name_zh"] for k in client.get("/api/facility-kinds").get_json()["kinds"]}
    assert kinds["elderly_canteen"] == "老年食堂" and "mediation_room" in kinds


def test_supervisor_creates_reads_changes_and_deletes_with_audit(client, as_user, engine):
    h = as_user("community_sup")
    r = client.post("/api/facilities", json=facility(phone="0411-8888888"), headers=h)
    assert r.status_code == 201, r.get_json()
    f = r.get_json()["facility"]
    assert f["area_code"] == "210204001001001001" and f["kind_name"] == "老年食堂"
    assert (f["lng"], f["lat"], f["capacity"]) == (121.51, 38.99, 60)
    r = client.patch(f"/api/facilities/{f['id']}", json={"capacity": 80, "is_public": False},
                     headers=h)
    assert r.status_code == 200 and r.get_json()["facility"]["capacity"] == 80
    assert client.get(f"/api/facilities/{f['id']}",
                      headers=h).get_json()["facility"]["is_public"] is False
    assert client.delete(f"/api/facilities/{f['id']}", headers=h).status_code == 204
    assert client.get(f"/api/facilities/{f['id']}", headers=h).status_code == 404
    with engine.connect() as conn:
        actions = conn.execute(text("SELECT action FROM audit_log WHERE target = :t "
                                    "AND action LIKE 'facility.%' ORDER BY id"),
                               {"t": str(f["id"])}).scalars().all()
    assert actions == ["facility.create", "facility.update", "facility.delete"]


def test_gcj02_input_is_stored_as_wgs84(client, as_user, made):
    gx, gy = wgs84_to_gcj02(121.52, 38.98)
    f = made(location={"lng": float(gx), "lat": float(gy), "crs": "gcj02"})
    assert metres((f["lng"], f["lat"]), (121.52, 38.98)) < 0.05


def test_writes_only_for_supervisors_inside_their_jurisdiction(client, as_user, made):
    # A community supervisor cannot register a facility in another community.
    r = client.post("/api/facilities", json=facility(lng=121.59, lat=38.91),
                    headers=as_user("community_sup"))
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden"
    # A grid worker cannot create facilities at all, even in their own grid.
    for user, point in (("grid_worker", (121.51, 38.99)), ("other_worker", (121.59, 38.91))):
        r = client.post("/api/facilities", json=facility(lng=point[0], lat=point[1]),
                        headers=as_user(user))
        assert r.status_code == 403
    assert client.post("/api/facilities", json=facility()).status_code in (401, 403)
    # Moving a facility out of the jurisdiction, or changing one outside it, is refused too.
    inside, outside = made(), made(lng=121.59, lat=38.91)
    h = as_user("community_sup")
    r = client.patch(f"/api/facilities/{inside['id']}",
                     json={"location": {"lng": 121.59, "lat": 38.91}}, headers=h)
    assert r.status_code == 403
    assert client.delete(f"/api/facilities/{outside['id']}", headers=h).status_code == 403
    assert client.patch(f"/api/facilities/{outside['id']}", json={"name": "x"},
                        headers=as_user("grid_worker")).status_code == 403


def test_public_sees_only_public_facilities(client, as_user, made):
    open_one, staff_only = (made(name="公开食堂"),
                            made(name="内部调解室", kind="mediation_room", is_public=False))
    public_ids = {f["id"] for f in client.get("/api/facilities").get_json()["facilities"]}
    assert open_one["id"] in public_ids and staff_only["id"] not in public_ids
    assert client.get(f"/api/facilities/{staff_only['id']}").status_code == 404
    staff_ids = {f["id"] for f in client.get(
        "/api/facilities", headers=as_user("grid_worker")).get_json()["facilities"]}
    assert staff_only["id"] in staff_ids
    near = client.get("/api/facilities/nearest?kind=mediation_room&lng=121.51&lat=38.99").get_json()
    assert staff_only["id"] not in [f["id"] for f in near["facilities"]]


def test_list_filters_by_kind_area_and_bbox(client, made):
    west, east = made(), made(lng=121.59, lat=38.91)
    clinic = made(kind="clinic", lng=121.52, lat=38.98)

    def ids(query):
        r = client.get("/api/facilities?" + query)
        assert r.status_code == 200, r.get_json()
        return {f["id"] for f in r.get_json()["facilities"]}
    assert (ids("kind=elderly_canteen") >= {west["id"], east["id"]}
            and clinic["id"] not in ids("kind=elderly_canteen"))
    assert (ids("area=210204001") >= {west["id"], clinic["id"]}
            and east["id"] not in ids("area=210204001"))
    assert ids("bbox=121.58,38.90,121.60,38.92") == {east["id"]}
    fc = client.get("/api/facilities?format=geojson&bbox=121.58,38.90,121.60,38.92").get_json()
    assert fc["features"][0]["geometry"]["coordinates"] == [121.59, 38.91]


@pytest.mark.parametrize("query, field", [
    ("kind=spaceport", "kind"), ("area=12", "area"), ("bbox=1,2,3", "bbox"), ("limit=0", "limit"),
    ("format=xml", "format"),
])
def test_list_bad_input(client, query, field):
    r = client.get("/api/facilities?" + query)
    assert r.status_code == 400 and r.get_json()["error"] == "bad_input", r.get_json()


@pytest.mark.parametrize("body", [
    {"kind": "spaceport", "name": "x", "location": {"lng": 121.51, "lat": 38.99}},
    {"kind": "clinic", "name": " ", "location": {"lng": 121.51, "lat": 38.99}},
    {"kind": "clinic", "name": "x", "location": {"lng": 38.99, "lat": 121.51}},
    {"kind": "clinic", "name": "x", "location": {"lng": "abc", "lat": 38.99}},
    {"kind": "clinic", "name": "x", "location": {"lng": 121.51, "lat": 38.99, "crs": "mars"}},
    {"kind": "clinic", "name": "x", "capacity": -1, "location": {"lng": 121.51, "lat": 38.99}},
    {"kind": "clinic", "name": "x", "capacity": 2.5, "location": {"lng": 121.51, "lat": 38.99}},
    {"kind": "clinic", "name": "x", "phone": "call me", "location": {"lng": 121.51, "lat": 38.99}},
    {"kind": "clinic", "name": "x", "is_public": "yes", "location": {"lng": 121.51, "lat": 38.99}},
    {"kind": "clinic", "name": "x", "colour": "red", "location": {"lng": 121.51, "lat": 38.99}},
    {"kind": "clinic", "name": "x"},
    ["not", "an", "object"],
])
def test_create_bad_input(client, as_user, body):
    r = client.post("/api/facilities", json=body, headers=as_user("admin"))
    assert r.status_code == 400 and r.get_json()["error"] == "bad_input", r.get_json()


def test_unknown_facility_is_404(client, as_user):
    assert client.get("/api/facilities/999999").status_code == 404
    assert client.patch("/api/facilities/999999", json={"name": "x"},
                        headers=as_user("admin")).status_code == 404
    assert client.delete("/api/facilities/999999", headers=as_user("admin")).status_code == 404


def test_nearest_orders_by_metres(client, made):
    here = (121.51, 38.99)
    a = made(lng=121.51, lat=38.99)          # on the spot
    b = made(lng=121.52, lat=38.99)          # about 866 m east
    c = made(lng=121.51, lat=38.97)          # about 2.2 km south
    made(kind="clinic", lng=121.5101, lat=38.9901)   # nearer, but another kind
    r = client.get("/api/facilities/nearest?kind=elderly_canteen&lng=121.51&lat=38.99&limit=3")
    assert r.status_code == 200, r.get_json()
    got = r.get_json()["facilities"]
    assert [f["id"] for f in got] == [a["id"], b["id"], c["id"]]
    for f in got:
        assert f["distance_m"] == pytest.approx(metres(here, (f["lng"], f["lat"])), abs=0.1)
    assert 860 < got[1]["distance_m"] < 870


def test_nearest_from_a_gcj02_point_and_from_a_household(client, as_user, made, engine):
    a = made(lng=121.5125, lat=38.9875)      # at the household of micro-grid ...001001001001
    gx, gy = wgs84_to_gcj02(121.5125, 38.9875)
    r = client.get(
        f"/api/facilities/nearest?kind=elderly_canteen&lng={gx}&lat={gy}&crs=gcj02&limit=1")
    assert r.get_json()["facilities"][0]["id"] == a["id"]
    assert r.get_json()["facilities"][0]["distance_m"] < 0.1
    with engine.connect() as conn:
        hid = conn.execute(text("SELECT h.id FROM household h JOIN area a ON a.id = h.area_id "
                                "WHERE a.code = '210204001001001001'")).scalar()
    r = client.get(f"/api/facilities/nearest?kind=elderly_canteen&household={hid}&limit=1",
                   headers=as_user("grid_worker"))
    assert r.status_code == 200 and r.get_json()["facilities"][0]["distance_m"] < 0.1
    # Someone without a duty toward that household cannot use it to learn where it is.
    assert client.get(f"/api/facilities/nearest?kind=elderly_canteen&household={hid}",
                      headers=as_user("other_worker")).status_code == 404
    assert client.get(
        f"/api/facilities/nearest?kind=elderly_canteen&household={hid}").status_code == 401


@pytest.mark.parametrize("query", [
    "lng=121.51&lat=38.99", "kind=spaceport&lng=121.51&lat=38.99", "kind=clinic&lng=121.51",
    "kind=clinic&lng=x&lat=38.99", "kind=clinic&lng=121.51&lat=95",
    "kind=clinic&lng=121.51&lat=38.99&crs=mars",
    "kind=clinic&lng=121.51&lat=38.99&limit=500", "kind=clinic&lng=nan&lat=38.99",
    "kind=clinic&household=abc", "kind=clinic&household=1&lng=121.51&lat=38.99",
])
def test_nearest_bad_input(client, as_user, query):
    r = client.get("/api/facilities/nearest?" + query, headers=as_user("admin"))
    assert r.status_code == 400 and r.get_json()["error"] == "bad_input", (query, r.get_json())


# --- CSV import (gisapp facilities import FILE [--commit]) ---------------------------------

GOOD_CSV = """kind,name,address,phone,capacity,opening_hours,is_public,lng,lat,crs
老年食堂,导入测试食堂,测试路1号,0411-8000001,50,10:30-13:00,是,121.531,38.981,
clinic,导入测试卫生站,,,,,否,121.541,38.971,wgs84
mediation_room,导入测试调解室,,,8,,,121.5512,38.9612,gcj02
"""


def count_named(engine, prefix="导入测试") -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM facility WHERE name LIKE :p || '%'"),
                            {"p": prefix}).scalar()


def test_import_is_a_dry_run_unless_commit(runner, engine, tmp_path):
    path = tmp_path / "facilities.csv"
    path.write_text("\ufeff" + GOOD_CSV, encoding="utf-8")
    result = runner.invoke(args=["facilities", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert '"valid": 3' in result.output and "dry run" in result.output
    assert count_named(engine) == 0
    result = runner.invoke(args=["facilities", "import", str(path), "--commit"])
    assert result.exit_code == 0, result.output
    try:
        with engine.connect() as conn:
            rows = {r.name: r for r in conn.execute(text(
                "SELECT f.name, f.kind, f.is_public, f.capacity, a.code FROM facility f "
                "LEFT JOIN area a ON a.id = f.area_id WHERE f.name LIKE '导入测试%'"))}
            audited = conn.execute(
                text("SELECT count(*) FROM audit_log WHERE action = 'facility.import'")).scalar()
        assert (rows["导入测试食堂"].kind == "elderly_canteen"
                and rows["导入测试食堂"].capacity == 50)
        assert rows["导入测试卫生站"].is_public is False
        # Given in GCJ-02 just east of the streets' boundary (121.55); in WGS 84 it lies ~0.5 km
        # west.
        assert rows["导入测试调解室"].code.startswith("210204001")
        assert audited == 1
        # The same file again: every row is already registered, so nothing is written.
        again = runner.invoke(args=["facilities", "import", str(path), "--commit"])
        assert again.exit_code != 0 and "already registered" in again.output
        assert count_named(engine) == 3
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM facility WHERE name LIKE '导入测试%'"))


def test_import_reports_every_bad_row_and_writes_nothing(runner, engine, tmp_path):
    bad = GOOD_CSV + ("spaceport,坏行一,,,,,,121.5,38.9,\n"
                      "clinic,坏行二,,,-3,,,121.5,91,\n"
                      "clinic,坏行三,,,,,也许,121.5,38.95,\n")
    path = tmp_path / "bad.csv"
    path.write_bytes(bad.encode("gb18030"))
    result = runner.invoke(args=["facilities", "import", str(path), "--commit"])
    assert result.exit_code != 0
    assert ('"row": 5' in result.output and '"row": 6' in result.output
            and '"row": 7' in result.output)
    assert '"row": 2' not in result.output
    assert "nothing was written" in result.output
    assert count_named(engine) == 0 and count_named(engine, "坏行") == 0


def test_import_refuses_a_file_without_the_needed_columns(runner, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("name,lng\n食堂,121.5\n", encoding="utf-8")
    result = runner.invoke(args=["facilities", "import", str(path)])
    assert result.exit_code != 0 and "kind" in result.output and "lat" in result.output


@pytest.mark.parametrize("field", ["name", "address", "opening_hours"])
def test_nul_characters_in_text_are_bad_input(client, as_user, field):
    r = client.post("/api/facilities", json=facility(**{field: "食\u0000堂"}),
                    headers=as_user("admin"))
    assert r.status_code == 400 and r.get_json()["error"] == "bad_input", r.get_json()
