"""OGC API – Features at /ogc: core, paging, bbox, datetime, CQL2, access, and GDAL as a client.

The tiny city (tests/tiny_city.py) has 1 district, 2 streets, 4 communities, 8 grids
and 16 micro-grids, every one a rectangle, so counts and hits are obvious.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from urllib.parse import quote

import pytest
from sqlalchemy import text

pytest_plugins = ["tests.browser"]

COUNTS = {"districts": 1, "streets": 2, "communities": 4, "grids": 8, "microgrids": 16}
NW_GRID = "210204001001001"


@pytest.fixture(scope="module", autouse=True)
def facilities_and_cases(engine):
    """Three facilities (one not public, in the east) and cases: two public, one dispute."""
    with engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO facility (kind, name, capacity, is_public, geom, area_id) VALUES
             ('elderly_canteen', '西北老年食堂', 40, true, """
                          """ST_SetSRID(ST_MakePoint(121.51, 38.99), 4326),
              (SELECT id FROM area WHERE code = '210204001001001001')),
             ('clinic', '东南卫生服务站', 10, true, ST_SetSRID(ST_MakePoint(121.59, 38.91), 4326),
              (SELECT id FROM area WHERE code = '210204002002002002')),
             ('mediation_room', '东部调解室', NULL, false, """
                          """ST_SetSRID(ST_MakePoint(121.59, 38.99), 4326),
              (SELECT id FROM area WHERE code = '210204002001002001'))"""))
        conn.execute(text("""
            INSERT INTO case_file (kind, category, description, contact, reporter_kind, geom,
                                   reported_at, area_code, state)
            VALUES ('hazard', 'fire_exit', '三号楼消防通道堵塞', '13812345678', 'public',
                    ST_SetSRID(ST_MakePoint(121.51, 38.99), 4326), '2024-03-01 10:00+08',
                    '210204001001001001', 'reported'),
                   ('incident', 'rubbish', '垃圾', NULL, 'public',
                    ST_SetSRID(ST_MakePoint(121.59, 38.91), 4326), '2024-06-01 10:00+08',
                    '210204002002002002', 'closed'),
                   ('dispute', 'family_dispute', '家庭纠纷：张三', '13900000000', 'staff',
                    ST_SetSRID(ST_MakePoint(121.511, 38.991), 4326), '2024-03-02 10:00+08',
                    '210204001001001001', 'reported')"""))


def items(client, collection, query="", headers=None):
    return client.get(f"/ogc/collections/{collection}/items?{query}", headers=headers or {})


# --- Part 1: core -----------------------------------------------------------------------

def test_landing_page_links(client):
    body = client.get("/ogc").get_json()
    rels = {link["rel"] for link in body["links"]}
    assert {"self", "alternate", "service-desc", "service-doc", "conformance", "data"} <= rels


def test_conformance_declares_parts_1_to_4(client):
    classes = client.get("/ogc/conformance").get_json()["conformsTo"]
    for part in ("features-1/1.0/conf/core", "features-2/1.0/conf/crs",
                 "features-3/1.0/conf/filter", "features-4/1.0/conf/create-replace-delete"):
        assert any(part in c for c in classes)


def test_public_sees_areas_and_facilities_but_no_cases(client):
    ids = [c["id"] for c in client.get("/ogc/collections").get_json()["collections"]]
    assert ids == [*COUNTS, "facilities"]
    assert items(client, "public_cases").status_code == 401


def test_staff_see_public_cases_collection(client, as_user):
    body = client.get("/ogc/collections", headers=as_user("grid_worker")).get_json()
    assert "public_cases" in [c["id"] for c in body["collections"]]


@pytest.mark.parametrize("collection,count", COUNTS.items())
def test_every_level_is_a_collection_with_counts(client, collection, count):
    resp = items(client, collection)
    assert resp.status_code == 200 and resp.mimetype == "application/geo+json"
    body = resp.get_json()
    assert body["numberMatched"] == count == body["numberReturned"] == len(body["features"])
    assert body["timeStamp"] and resp.headers["Content-Crs"].endswith("/OGC/1.3/CRS84>")


def test_collection_metadata(client):
    body = client.get("/ogc/collections/grids").get_json()
    assert body["extent"]["spatial"]["bbox"] == [[121.5, 38.9, 121.6, 39.0]]
    assert body["storageCrs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert "http://www.opengis.net/def/crs/EPSG/0/4490" in body["crs"]
    assert {"self", "alternate", "items"} <= {link["rel"] for link in body["links"]}


def test_paging_links_and_counts(client):
    body = items(client, "microgrids", "limit=5&offset=5").get_json()
    assert body["numberMatched"] == 16 and body["numberReturned"] == 5
    links = {link["rel"]: link["href"] for link in body["links"]}
    assert "offset=10" in links["next"] and "offset=0" in links["prev"]
    assert links["collection"].endswith("/ogc/collections/microgrids?f=json")
    # Following next to the end gathers every feature exactly once.
    seen, url = [], "/ogc/collections/microgrids/items?limit=5"
    while url:
        page = client.get(url).get_json()
        seen += [f["id"] for f in page["features"]]
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        url = nxt[0].replace("http://localhost", "") if nxt else None
    assert len(seen) == len(set(seen)) == 16


@pytest.mark.parametrize("query", ["limit=0", "limit=5001", "limit=abc", "offset=-1",
                                   "bbox=1,2,3", "bbox=121.6,38.9,121.5,39", "bbox=a,b,c,d",
                                   "datetime=yesterday", "datetime=../..", "crs=EPSG:9999",
                                   "bbox-crs=EPSG:1", "f=xml", "colour=red", "households=many",
                                   "code=%00", "filter=code%3D%27a%00%27", "datetime=2024-01-01%00",
                                   "bbox=-91,0,1,1&bbox-crs=EPSG:4326", "households=1e400"])
def test_bad_parameters_are_400(client, query):
    resp = items(client, "grids", query)
    assert resp.status_code == 400, query
    assert resp.get_json()["error"] == "bad_input" and resp.get_json()["message"]


def test_bbox_selects_intersecting_areas(client):
    body = items(client, "grids", "bbox=121.51,38.96,121.52,38.97").get_json()
    assert [f["id"] for f in body["features"]] == [NW_GRID]
    # A box over the middle touches all four quadrant grids around (121.55, 38.95).
    body = items(client, "grids", "bbox=121.54,38.94,121.56,38.96").get_json()
    assert body["numberMatched"] == 4


def test_property_filters(client):
    body = items(client, "grids", f"code={NW_GRID}").get_json()
    assert [f["id"] for f in body["features"]] == [NW_GRID]
    body = items(client, "grids", "parent_code=210204001001").get_json()
    assert body["numberMatched"] == 2
    body = items(client, "facilities", "kind=clinic").get_json()
    assert [f["properties"]["name"] for f in body["features"]] == ["东南卫生服务站"]


def test_single_item_and_etag(client):
    resp = client.get(f"/ogc/collections/grids/items/{NW_GRID}")
    assert resp.status_code == 200 and resp.headers["ETag"] == '"1"'
    body = resp.get_json()
    assert body["id"] == NW_GRID and body["properties"]["households"] == 2
    assert {"self", "alternate", "collection"} <= {link["rel"] for link in body["links"]}
    # Area in m² from geography: 0.025° x 0.05° at 39° N is about 2,166 m x 5,550 m.
    assert body["properties"]["area_m2"] == pytest.approx(12.03e6, rel=0.01)


@pytest.mark.parametrize("fid", ["999999999999999", "abc", "1' OR '1'='1", NW_GRID + "@99"])
def test_missing_items_are_404(client, fid):
    resp = client.get(f"/ogc/collections/grids/items/{quote(fid)}")
    assert resp.status_code == 404 and resp.get_json()["error"] == "not_found"


def test_unknown_collection_is_404(client):
    assert client.get("/ogc/collections/households/items").status_code == 404


def test_html_output(client):
    resp = client.get("/ogc/collections/grids/items", headers={"Accept": "text/html"})
    assert resp.mimetype == "text/html" and NW_GRID in resp.get_data(as_text=True)
    resp = client.get("/ogc/collections?f=html")
    assert resp.mimetype == "text/html" and "microgrids" in resp.get_data(as_text=True)
    assert client.get(f"/ogc/collections/grids/items/{NW_GRID}?f=html").mimetype == "text/html"


# --- access ----------------------------------------------------------------------------

def test_facilities_not_open_to_the_public_are_for_staff(client, as_user):
    names = lambda h: sorted(f["properties"]["name"] for f in items(client, "facilities", "", h)
                             .get_json()["features"])                                  # noqa: E731
    assert names({}) == ["东南卫生服务站", "西北老年食堂"]
    assert names(as_user("grid_worker")) == ["东南卫生服务站", "东部调解室", "西北老年食堂"]
    assert items(client, "facilities", "is_public=false").get_json()["numberMatched"] == 0


def test_public_cases_hide_personal_details_and_disputes(client, as_user):
    body = items(client, "public_cases", "", as_user("admin")).get_json()
    assert body["numberMatched"] == 2
    for f in body["features"]:
        assert set(f["properties"]) == {"id", "kind", "category", "category_zh", "state",
                                        "reported_at", "closed_at", "area_code"}
    assert "张三" not in json.dumps(body, ensure_ascii=False)
    # A grid worker sees only the case in their grid.
    mine = items(client, "public_cases", "", as_user("grid_worker")).get_json()
    assert [f["properties"]["area_code"] for f in mine["features"]] == ["210204001001001001"]


def test_public_cases_datetime(client, as_user):
    h = as_user("admin")
    body = items(client, "public_cases", "datetime=2024-05-01T00:00:00Z/..", h).get_json()
    assert [f["properties"]["category"] for f in body["features"]] == ["rubbish"]
    body = items(client, "public_cases", "datetime=../2024-05-01T00:00:00Z", h).get_json()
    assert [f["properties"]["category"] for f in body["features"]] == ["fire_exit"]


# --- datetime on boundaries ---------------------------------------------------------------

def test_datetime_gives_boundaries_as_they_stood(client, engine):
    with engine.begin() as conn:   # a second version of one micro-grid, from 2024 on
        conn.execute(text("""
            UPDATE area_version SET valid_to = '2024-01-01 00:00+08'
            WHERE area_id = (SELECT id FROM area WHERE code = :c) AND valid_to IS NULL"""),
            {"c": NW_GRID + "001"})
        conn.execute(text("""
            INSERT INTO area_version (area_id, version, geom, valid_from, author, reason)
            SELECT area_id, 2, geom, '2024-01-01 00:00+08', 'test', 'v2' FROM area_version
            WHERE area_id = (SELECT id FROM area WHERE code = :c) AND version = 1"""),
            {"c": NW_GRID + "001"})
    q = f"code={NW_GRID}001"
    old = items(client, "microgrids", q + "&datetime=2023-06-01T00:00:00Z").get_json()
    new = items(client, "microgrids", q + "&datetime=2024-06-01T00:00:00%2B08:00").get_json()
    assert [f["properties"]["version"] for f in old["features"]] == [1]
    assert [f["properties"]["version"] for f in new["features"]] == [2]
    assert items(client, "microgrids",
                 q + "&datetime=2021-01-01T00:00:00Z").get_json()["numberMatched"] == 0
    both = items(client, "microgrids", q + "&datetime=2023-01-01T00:00:00Z/..").get_json()
    assert [f["id"] for f in both["features"]] == [f"{NW_GRID}001@1", f"{NW_GRID}001@2"]
    assert client.get(f"/ogc/collections/microgrids/items/{NW_GRID}001@1").status_code == 200
    assert items(client, "microgrids", q).get_json()["features"][0]["properties"]["version"] == 2


# --- Part 3: CQL2 ---------------------------------------------------------------------------

def cql(client, collection, expr, extra="", headers=None):
    return items(client, collection, "filter-lang=cql2-text&filter=" + quote(expr) + extra, headers)


@pytest.mark.parametrize("expr,expected", [
    (f"code = '{NW_GRID}'", 1),
    (f"code <> '{NW_GRID}'", 7),
    ("households >= 2", 8),
    ("households < 2", 0),
    ("parent_code = '210204001001' OR parent_code = '210204002002'", 4),
    ("parent_code = '210204001001' AND code > '210204001001001'", 1),
    ("NOT (code = '210204001001001')", 7),
    ("(code = '210204001001001' OR code = '210204001001002') AND households = 2", 2),
    ("valid_from < TIMESTAMP('2023-01-01T00:00:00Z')", 8),
    ("valid_to IS NULL", 8),
    ("S_INTERSECTS(geom, POINT(121.51 38.99))", 1),
    ("S_INTERSECTS(geom, "
     "POLYGON((121.51 38.91, 121.59 38.91, 121.59 38.92, 121.51 38.92, 121.51 38.91)))", 4),
    ("S_INTERSECTS(geom, LINESTRING(121.51 38.99, 121.59 38.99)) AND households = 2", 4),
])
def test_cql2_subset(client, expr, expected):
    resp = cql(client, "grids", expr)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["numberMatched"] == expected, expr


def test_cql2_intersects_in_another_crs(client):
    # The same point as POINT(121.51 38.99), in EPSG:4490's latitude-first order.
    resp = cql(client, "grids", "S_INTERSECTS(geom, POINT(38.99 121.51))",
               "&filter-crs=" + quote("http://www.opengis.net/def/crs/EPSG/0/4490"))
    assert [f["id"] for f in resp.get_json()["features"]] == [NW_GRID]


@pytest.mark.parametrize("expr", [
    "code = '1' OR 1=1",                               # literal against literal
    "secret_column = 'x'",                             # not a queryable
    "head_name = '住户'",                               # household columns are not there
    "code = 5",                                        # wrong type
    "households = 'many'",
    "code LIKE '2102%'",                               # outside the subset
    "households BETWEEN 1 AND 3",
    "code = 'x' OR code = 'y' AND households = 2",     # AND/OR mixed without parentheses
    "code = 'x'; DROP TABLE area; --",
    "code = '' ; DELETE FROM area_version WHERE ''=''",
    "code = 'x' UNION SELECT * FROM app_user",
    "S_INTERSECTS(geom, POLYGON((0 0, 1 1, 1 0, 0 1, 0 0)))",   # self-intersecting
    "S_INTERSECTS(geom, POINT(500 500))",
    "S_WITHIN(geom, POINT(121.51 38.99))",
    "S_INTERSECTS(name, POINT(121.51 38.99))",
    "households + 1 = 3",
    "",
    "((((",
])
def test_cql2_bad_or_hostile_filters_are_400_and_change_nothing(client, engine, as_user, expr):
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM area_version")).scalar()
    resp = cql(client, "grids", expr, headers=as_user("admin")) if expr else \
        items(client, "grids", "filter-lang=cql2-json&filter=x")
    assert resp.status_code == 400, (expr, resp.get_data(as_text=True)[:300])
    assert resp.get_json()["error"] == "bad_input" and resp.get_json()["message"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM area_version")).scalar() == before
        assert conn.execute(text("SELECT count(*) FROM app_user")).scalar() == 10


def test_cql2_long_chains_and_deep_parentheses(client):
    flat = " AND ".join(["households >= 0"] * 50)
    assert cql(client, "grids", flat).get_json()["numberMatched"] == 8
    deep = "(" * 1900 + "households >= 0" + ")" * 1900
    assert cql(client, "grids", deep).get_json()["numberMatched"] == 8
    too_deep = " AND ".join(["households >= 0"] * 150)
    resp = cql(client, "grids", too_deep)
    assert resp.status_code == 400 and "nested deeper" in resp.get_json()["message"]


def test_cql2_on_cases_cannot_reach_hidden_fields(client, as_user):
    resp = cql(client, "public_cases", "contact = '13812345678'", headers=as_user("admin"))
    assert resp.status_code == 400
    resp = cql(client, "public_cases", "category = 'family_dispute'", headers=as_user("admin"))
    assert resp.get_json()["numberMatched"] == 0


def test_queryables(client):
    body = client.get("/ogc/collections/facilities/queryables").get_json()
    assert body["properties"]["kind"] == {"type": "string"}
    assert body["properties"]["geom"]["x-ogc-role"] == "primary-geometry"


# --- GDAL's OGC API client ---------------------------------------------------------------------

def _gdal(args: list[str], tmp_path, **env_extra) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GDAL_HTTP_TIMEOUT": "30",
           "CPL_VSIL_CURL_CACHE_SIZE": "0", "GDAL_HTTP_USE_CAPI_STORE": "NO", **env_extra}
    return subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)


def test_gdal_lists_collections_and_copies_a_layer(live_server, tmp_path, as_user):
    if shutil.which("ogrinfo") is None or shutil.which("ogr2ogr") is None:
        pytest.skip("GDAL's ogrinfo/ogr2ogr are not installed (apt-get install gdal-bin)")
    url = f"OAPIF:{live_server}/ogc"
    listed = _gdal(["ogrinfo", "-ro", url], tmp_path)
    assert listed.returncode == 0, listed.stderr
    for collection in (*COUNTS, "facilities"):
        assert (f": {collection} (" in listed.stdout
                or f": {collection}\n" in listed.stdout), listed.stdout
    out = tmp_path / "communities.geojson"
    copied = _gdal(["ogr2ogr", "-f", "GeoJSON", str(out), url, "communities"], tmp_path)
    assert copied.returncode == 0, copied.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["features"]) == COUNTS["communities"]
    assert sorted(f["properties"]["code"] for f in data["features"]) == [
        "210204001001", "210204001002", "210204002001", "210204002002"]
    # Paging through GDAL: micro-grids five at a time still arrive complete.
    out = tmp_path / "microgrids.geojson"
    copied = _gdal(["ogr2ogr", "-f", "GeoJSON", str(out), url, "microgrids",
                    "-oo", "PAGE_SIZE=5"], tmp_path)
    assert copied.returncode == 0, copied.stderr
    assert len(json.loads(out.read_text(encoding="utf-8"))["features"]) == COUNTS["microgrids"]
    summary = _gdal(["ogrinfo", "-ro", "-so", url, "grids"], tmp_path)
    assert summary.returncode == 0 and "Feature Count: 8" in summary.stdout, summary.stdout
    assert "public_cases" not in listed.stdout
    # With a token, as the README tells QGIS and GDAL users: staff collections appear.
    token = {"GDAL_HTTP_HEADERS": "Authorization: " + as_user("admin")["Authorization"]}
    out = tmp_path / "cases.geojson"
    copied = _gdal(["ogr2ogr", "-f", "GeoJSON", str(out), url, "public_cases"], tmp_path, **token)
    assert copied.returncode == 0, copied.stderr
    cases = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert len(cases) == 2 and all("contact" not in f["properties"] for f in cases)


# --- OpenAPI ------------------------------------------------------------------------------------

def test_openapi_describes_every_route(client, app):
    from openapi_spec_validator import validate

    from gisapp.ogc.openapi import SKIPPED_PREFIXES, openapi_path
    resp = client.get("/openapi.json")
    assert resp.status_code == 200 and "openapi" in resp.headers["Content-Type"]
    doc = resp.get_json()
    validate(doc)                                   # a valid OpenAPI 3.0 document
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith(SKIPPED_PREFIXES):
            continue
        path = openapi_path(rule.rule.rstrip("/") or "/")[0]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"][path], (path, method)
    items = doc["paths"]["/ogc/collections/{collection_id}/items"]
    assert {"get", "post"} <= set(items)
    assert {p["name"] for p in items["get"]["parameters"]} >= {"limit", "bbox", "datetime", "crs",
                                                                "filter", "filter-lang"}
    assert "/api/locate" in doc["paths"] and "/api/export/{layer}" in doc["paths"]
    assert client.get("/ogc/api").get_json()["paths"].keys() == doc["paths"].keys()
    assert client.get("/ogc/api?f=html").mimetype == "text/html"
