"""Vector tiles: features decoded from tiles, access rules, caching, exact invalidation."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

from gisapp.tiles.service import tile_cache

from ..wall_support import (
    GRID_WORKER_HOME,
    OTHER_WORKER_HOME,
    close_app,
    features,
    make_app,
    tile_at,
    tile_dir,
    url,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def app(db_url):
    app = make_app(db_url)
    yield app
    close_app(app)


def get_tile(client, layer, zxy, headers=None):
    resp = client.get(url(layer, *zxy), headers=headers or {})
    assert resp.status_code == 200, resp.get_json()
    assert resp.mimetype == "application/vnd.mapbox-vector-tile"
    return features(resp.data, layer)


def sync(app):
    with app.app_context(), app.extensions["gisapp_engine"].connect() as conn:
        tile_cache(app).sync(conn)


def report(client, headers, lng, lat, kind="incident", category="rubbish"):
    resp = client.post("/api/cases", headers=headers, json={
        "kind": kind, "category": category, "description": "测试案件",
        "location": {"lng": lng, "lat": lat}})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["case"]["id"]


def test_area_layers_carry_codes_names_and_counts(client):
    district = get_tile(client, "district", tile_at(121.55, 38.95, 10))
    assert [f["code"] for f in district] == ["210204"]
    assert district[0]["households"] == 16 and district[0]["red"] == 16
    communities = get_tile(client, "community", tile_at(121.51, 38.99, 12))
    assert "210204001001" in {f["code"] for f in communities}
    micro = get_tile(client, "microgrid", tile_at(*GRID_WORKER_HOME, 15))
    assert "210204001001001001" in {f["code"] for f in micro}
    assert all(set(f) >= {"code", "name", "households"} for f in micro)


def test_household_aggregates_for_the_public_and_citywide_roles(client, as_user):
    zxy = tile_at(*GRID_WORKER_HOME, 17)
    for headers in ({}, as_user("wall"), as_user("admin"), as_user("district_sup"),
                    as_user("street_sup")):
        feats = get_tile(client, "households", zxy, headers)
        assert feats, "the micro-grid's counts must be there"
        assert all("id" not in f and "colour" not in f for f in feats)   # never a home
        micro = next(f for f in feats if f["code"] == "210204001001001001")
        assert micro["households"] == 1
        # Colours below the community only for a duty toward them (test_small_counts).
        assert micro.get("red") == (None if headers in ({}, as_user("wall")) else 1)
    # At low zooms everyone gets counts per street.
    streets = get_tile(client, "households", tile_at(121.55, 38.95, 9))
    assert sorted(f["code"] for f in streets) == ["210204001", "210204002"]
    assert sum(f["households"] for f in streets) == 16


def test_household_points_only_for_duty_inside_the_jurisdiction(client, as_user, engine):
    zxy = tile_at(*GRID_WORKER_HOME, 17)
    mine = get_tile(client, "households", zxy, as_user("grid_worker"))
    points = [f for f in mine if "id" in f]
    assert len(points) == 1 and points[0]["colour"] == 1
    assert not any(f.get("code") == "210204001001001001" for f in mine)   # points replace counts
    # The other grid's worker sees the same place as counts only ...
    theirs = get_tile(client, "households", zxy, as_user("other_worker"))
    assert theirs and all("id" not in f for f in theirs)
    # ... and their own home as a point; the grid worker sees that one as counts only.
    far = tile_at(*OTHER_WORKER_HOME, 17)
    assert any("id" in f for f in get_tile(client, "households", far, as_user("other_worker")))
    assert all("id" not in f for f in get_tile(client, "households", far, as_user("grid_worker")))
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'read.household_tile' "
                              "AND username = 'grid_worker'")).scalar()
    assert n >= 1       # reading household points is audited


def test_case_tiles_follow_case_visibility(client, as_user):
    lng, lat = 121.5131, 38.9889
    case_id = report(client, as_user("grid_worker"), lng, lat)
    zxy = tile_at(lng, lat, 17)
    ids = lambda who: {f.get("id") for f in get_tile(client, "cases", zxy, as_user(who))}
    assert case_id in ids("grid_worker") and case_id in ids("wall") and case_id in ids("admin")
    assert case_id not in ids("other_worker")
    assert client.get(url("cases", *zxy)).status_code == 401          # the public: no cases
    case = next(f for f in get_tile(client, "cases", zxy, as_user("wall"))
                if f.get("id") == case_id)
    assert case["state"] == "reported" and case["kind"] == "incident" and case["overdue"] is False


def test_public_hazards_are_counts_per_area(client, as_user):
    lng, lat = 121.5141, 38.9871
    case_id = report(client, as_user("grid_worker"), lng, lat, "hazard", "gas")
    staff = get_tile(client, "hazards", tile_at(lng, lat, 17), as_user("wall"))
    assert case_id in {f.get("id") for f in staff}
    public = get_tile(client, "hazards", tile_at(lng, lat, 13))
    assert public and all("id" not in f for f in public)
    assert next(f for f in public if f["code"] == "210204001001")["hazards"] >= 1


def test_low_zoom_cases_are_clusters_with_counts(client, as_user, engine):
    with engine.begin() as conn:
        for dx in (0.0001, 0.0002, 0.0003):
            conn.execute(text("""INSERT INTO case_file (kind, category, description, reporter_kind,
                                 geom, area_code) VALUES ('incident', 'parking', '集群', 'staff',
                                 ST_SetSRID(ST_MakePoint(:x, 38.9601), 4326), """
                              """'210204001001001002')"""),
                         {"x": 121.5101 + dx})
    sync(client.application)
    feats = get_tile(client, "cases", tile_at(121.5103, 38.9601, 9), as_user("admin"))
    clusters = [f for f in feats if f["cluster"]]
    assert clusters and max(f["count"] for f in clusters) >= 3
    assert sum(f["count"] for f in feats) >= 5      # nothing dropped: every case counted


def test_too_many_points_fall_back_to_clusters(db_url, client, as_user):
    zxy = tile_at(121.5103, 38.9601, 16)      # z16 shows single points ...
    normal = get_tile(client, "cases", zxy, as_user("admin"))
    assert sum(f["count"] for f in normal) == 3 and not any(f["cluster"] for f in normal)
    # ... unless a tile would hold more than max_points: then 8-px clusters, all counted.
    tiles = Path(tempfile.mkdtemp(prefix="gisapp-layers-"))
    shutil.copytree(ROOT / "tiles", tiles, dirs_exist_ok=True)
    toml = (tiles / "layers.toml").read_text().replace("max_points = 5000", "max_points = 2")
    (tiles / "layers.toml").write_text(toml)
    small = make_app(db_url, TILES_DIR=str(tiles))
    feats = get_tile(small.test_client(), "cases", zxy, as_user("admin"))
    assert sum(f["count"] for f in feats) == 3 and any(f["cluster"] for f in feats)
    close_app(small)


def test_new_case_invalidates_exactly_its_tiles(app, client, as_user):
    lng, lat = 121.5217, 38.9811
    admin = as_user("admin")
    cache = tile_cache(app)
    cache.clear()
    near = {z: tile_at(lng, lat, z) for z in range(8, 19)}
    for zxy in near.values():
        get_tile(client, "cases", zxy, admin)
    far = tile_at(*OTHER_WORKER_HOME, 16)
    get_tile(client, "cases", far, admin)
    get_tile(client, "microgrid", near[16])
    get_tile(client, "hazards", near[13])                 # the public's hazard counts
    disk = tile_dir(app)
    assert list(disk.rglob(f"cases/16/{near[16][1]}/{near[16][2]}.pbf"))
    before = set(cache.memory_keys())

    case_id = report(client, as_user("grid_worker"), lng, lat)
    sync(app)
    dropped = before - set(cache.memory_keys())
    assert dropped == {("city", "cases", *zxy) for zxy in near.values()}
    assert not list(disk.rglob(f"cases/16/{near[16][1]}/{near[16][2]}.pbf"))
    for z, zxy in near.items():
        feats = get_tile(client, "cases", zxy, admin)
        assert any(f.get("id") == case_id or f.get("cluster") for f in feats), z
    assert case_id in {f.get("id") for f in get_tile(client, "cases", near[18], admin)}


def test_etag_and_304(client):
    path = url("district", *tile_at(121.55, 38.95, 11))
    first = client.get(path)
    assert first.status_code == 200 and first.headers["ETag"]
    assert "no-cache" in first.headers["Cache-Control"]
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other = client.get(path, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.data == first.data


def test_private_tiles_say_so(client, as_user):
    resp = client.get(url("households", *tile_at(*GRID_WORKER_HOME, 17)),
                      headers=as_user("grid_worker"))
    assert resp.headers["Cache-Control"].startswith("private")
    assert "Authorization" in resp.headers["Vary"]


@pytest.mark.parametrize("path", [
    "/tiles/district/4/1/1.pbf",          # below the layer's minzoom
    "/tiles/grid/23/1/1.pbf",             # above any zoom
    "/tiles/district/10/1024/5.pbf",      # x outside the zoom's grid
    "/tiles/district/10/5/1024.pbf",
    "/tiles/district/10/-1/5.pbf",
    "/tiles/district/ten/1/1.pbf",
    "/tiles/cases/12/1/1.pbf?g=abc",
])
def test_bad_addresses_are_400(client, path, as_user):
    resp = client.get(path, headers=as_user("admin"))
    assert resp.status_code == 400 and resp.get_json()["error"] == "bad_input"


def test_unknown_layer_is_404(client):
    resp = client.get("/tiles/people/12/1/1.pbf")
    assert resp.status_code == 404 and resp.get_json()["error"] == "not_found"


def test_layer_catalogue(client):
    layers = {l["name"]: l for l in client.get("/tiles/layers.json").get_json()["layers"]}
    assert set(layers) >= {"district", "street", "community", "grid", "microgrid", "cases",
                           "hazards", "households", "facilities"}
    assert layers["grid"]["minzoom"] == 12


def test_boundary_change_invalidates_the_area_tiles_it_touches(app, client, engine):
    cache = tile_cache(app)
    cache.clear()
    near = tile_at(*GRID_WORKER_HOME, 14)
    far = tile_at(*OTHER_WORKER_HOME, 14)
    for zxy in (near, far):
        get_tile(client, "microgrid", zxy)
    with engine.begin() as conn:
        area_id = conn.execute(
            text("SELECT id FROM area WHERE code = '210204001001001001'")).scalar()
        conn.execute(text("UPDATE area_version SET valid_to = now() "
                          "WHERE area_id = :a AND valid_to IS NULL"), {"a": area_id})
        conn.execute(text("""INSERT INTO area_version (area_id, version, geom, valid_from)
                             VALUES (:a, 2, """
                          """ST_Multi(ST_MakeEnvelope(121.50, 38.975, 121.525, 38.999, 4326)),
                                     now())"""), {"a": area_id})
    sync(app)
    keys = set(cache.memory_keys())
    assert ("any", "microgrid", *near) not in keys
    assert ("any", "microgrid", *far) in keys
    assert "210204001001001001" in {f["code"] for f in get_tile(client, "microgrid", near)}


def test_bench_urls_cover_every_layer_and_sample_high_zooms():
    from gisapp.tiles.bench import tile_urls
    urls = tile_urls("http://127.0.0.1:5000", per_zoom=50)
    layers = {u.split("/")[4] for u in urls}
    assert layers == {"district", "street", "community", "grid", "microgrid", "cases",
                      "case_areas", "hazards", "households", "facilities", "base"}
    z18 = [u for u in urls if "/cases/18/" in u]
    assert len(z18) == 50 and len(set(z18)) == 50
    assert all(u.endswith(".pbf") for u in urls)


def test_case_tiles_expire_exactly_when_a_deadline_passes(app, client, as_user, engine):
    """`overdue` flips by time alone: the cache keeps a tile until the next running
    deadline in it (no fixed TTL), then renders it again, from memory and from disk."""
    import time as _time
    lng, lat = 121.5312, 38.9688
    with engine.begin() as conn:
        deadline = conn.execute(text("""
            INSERT INTO case_file (kind, category, description, reporter_kind, geom, area_code,
                                   state, deadline_at)
            VALUES ('incident', 'parking', '限时', 'staff', ST_SetSRID(ST_MakePoint(:x, :y), 4326),
                    '210204001002002001', 'dispatched', now() + interval '3 seconds')
            RETURNING extract(epoch FROM deadline_at)"""), {"x": lng, "y": lat}).scalar()
    sync(app)
    admin, zxy = as_user("admin"), tile_at(lng, lat, 18)
    first = client.get(url("cases", *zxy), headers=admin)
    assert [f["overdue"] for f in features(first.data, "cases")] == [False]
    entry = tile_cache(app).get(("city", "cases", *zxy))
    assert entry is not None and abs(entry.expires - float(deadline)) < 0.01
    # Another process reads the same expiry from the disk entry.
    other = make_app(app.config["DATABASE_URL"], TILE_CACHE_DIR=app.config["TILE_CACHE_DIR"])
    with other.app_context():
        on_disk = tile_cache(other).get(("city", "cases", *zxy))
    close_app(other)
    assert on_disk is not None and abs(on_disk.expires - float(deadline)) < 0.01
    # A tile without a running clock in it does not expire.
    quiet = tile_at(*OTHER_WORKER_HOME, 18)
    client.get(url("cases", *quiet), headers=admin)
    assert tile_cache(app).get(("city", "cases", *quiet)).expires is None
    _time.sleep(max(0.0, float(deadline) - _time.time()) + 0.2)
    again = client.get(url("cases", *zxy), headers=admin)
    assert [f["overdue"] for f in features(again.data, "cases")] == [True]
    assert again.headers["ETag"] != first.headers["ETag"]


@pytest.mark.parametrize("path", ["/tiles/district/10/1/1", "/tiles/district/10/1/1.png",
                                  "/tiles/district/10/1/1/1.pbf", "/tiles/district/10/1.pbf",
                                  "/tiles/district/10//1.pbf", "/tiles/.pbf"])
def test_malformed_tile_paths_are_404_json(client, path):
    resp = client.get(path)
    assert resp.status_code in (400, 404) and resp.get_json()["error"]


def test_address_parts_must_be_ascii_digits(client):
    assert client.get("/tiles/district/1０/1/1.pbf").status_code == 400
    assert client.get("/tiles/district/10/²/1.pbf").status_code == 400


def test_a_hazard_report_refreshes_the_public_counts_and_an_incident_does_not(app, client, as_user):
    lng, lat = GRID_WORKER_HOME
    zxy = tile_at(lng, lat, 13)
    cache = tile_cache(app)

    def count():
        feats = get_tile(client, "hazards", zxy)
        return sum(f["hazards"] for f in feats)
    before = count()
    report(client, as_user("grid_worker"), lng, lat, "incident", "rubbish")
    sync(app)
    assert ("public", "hazards", *zxy) in cache.memory_keys()      # not a hazard: kept
    report(client, as_user("grid_worker"), lng, lat, "hazard", "gas")
    sync(app)
    assert ("public", "hazards", *zxy) not in cache.memory_keys()
    assert count() == before + 1
