"""The offline vector base map: tiles of roads, water and names from PostGIS, their
invalidation, the styles, and `gisapp import roads FILE [--commit]`."""
from __future__ import annotations

import json

import numpy as np
import pyogrio.raw
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import text

from gisapp.tiles.service import tile_cache

from ..tiny_city import load_tiny_roads
from ..wall_support import close_app, features, make_app, tile_at, url

# its z13 tile holds 黄河路 (y 38.95), 西安路 (x 121.525), 中山路 (x 121.55)
NORTH_WEST = (121.54, 38.955)


@pytest.fixture(scope="module")
def app(db_url):
    app = make_app(db_url)
    load_tiny_roads(app.extensions["gisapp_engine"])
    yield app
    close_app(app)


def base_tile(client, zxy, layer):
    resp = client.get(url("base", *zxy))
    assert resp.status_code == 200, resp.get_json()
    assert resp.headers["Cache-Control"] == "public, no-cache"   # the public shares them
    return features(resp.data, layer)


def road_names(client, z, lng_lat=NORTH_WEST):
    return {f["name"]: f["class"] for f in base_tile(client, tile_at(*lng_lat, z), "roads")}


def test_the_public_gets_roads_with_names_and_classes(client):
    assert road_names(client, 13) == {"中山路": "主干路", "黄河路": "次干路", "西安路": "支路"}


def test_minor_roads_appear_only_when_zoomed_in(client):
    assert set(road_names(client, 10)) == {"中山路"}
    assert set(road_names(client, 12)) == {"中山路", "黄河路"}


def test_water_and_place_names(client):
    lake = tile_at(121.575, 38.935, 14)
    assert base_tile(client, lake, "water") == [{"name": "星海湖", "kind": "lake"}]
    places = {f["name"]: f["level"]
              for f in base_tile(client, tile_at(121.525, 38.975, 13), "places")}
    assert places.get("测试社区01001") == 3
    district = base_tile(client, tile_at(121.55, 38.95, 9), "places")
    assert {"name": "沙河口区", "level": 1} in district


def test_a_new_road_invalidates_the_base_tiles_it_crosses(app, client, engine):
    near, far = tile_at(*NORTH_WEST, 14), tile_at(121.59, 38.91, 14)
    for zxy in (near, far):
        base_tile(client, zxy, "roads")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO road (name, class, geom) VALUES ('五四路', '支路', "
                          "ST_GeomFromText('LINESTRING(121.535 38.945, 121.545 38.945)', 4326))"))
    with app.app_context(), app.extensions["gisapp_engine"].connect() as conn:
        tile_cache(app).sync(conn)
    keys = set(tile_cache(app).memory_keys())
    assert ("any", "base", *near) not in keys and ("any", "base", *far) in keys
    assert "五四路" in road_names(client, 14)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM road WHERE name = '五四路'"))


def test_styles_point_at_our_tiles(client):
    for name in ("base-light", "base-dark"):
        style = client.get(f"/styles/{name}.json").get_json()
        assert style["version"] == 8 and "glyphs" not in style
        assert style["sources"]["base"]["tiles"] == ["http://localhost/tiles/base/{z}/{x}/{y}.pbf"]
        labels = [ly for ly in style["layers"] if ly["type"] == "symbol"]
        assert any(ly["layout"].get("symbol-placement") == "line" for ly in labels)
    resp = client.get("/styles/nope.json")
    assert resp.status_code == 404 and resp.get_json()["error"]


def test_a_configured_raster_base_map_replaces_the_vector_one(app, client):
    assert b"maplibre-gl-csp.js" in client.get("/report").data
    app.config["BASEMAP_URL"] = "http://tianditu.intranet/vec/{z}/{x}/{y}.png"
    try:
        assert b"maplibre-gl-csp.js" not in client.get("/report").data
    finally:
        app.config["BASEMAP_URL"] = None


# --- gisapp import roads ------------------------------------------------------------------

def feature_collection(features_):
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geom} for props, geom in features_]}


OSM = feature_collection([
    ({"name": "人民路", "highway": "primary"},
     {"type": "LineString", "coordinates": [[121.56, 38.96], [121.59, 38.96]]}),
    ({"name": "民主街", "highway": "residential"},
     {"type": "MultiLineString", "coordinates": [[[121.56, 38.97], [121.57, 38.97]],
                                                [[121.57, 38.97], [121.58, 38.975]]]}),
    ({"name": None, "highway": "service"},
     {"type": "LineString", "coordinates": [[121.56, 38.98], [121.565, 38.985]]}),
    ({"name": "小径", "highway": "footway"},
     {"type": "LineString", "coordinates": [[121.56, 38.99], [121.57, 38.99]]}),
    ({"name": "路口", "highway": "traffic_signals"},
     {"type": "Point", "coordinates": [121.56, 38.96]}),
])


def count_roads(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM road")).scalar()


def test_import_roads_is_a_dry_run_until_commit(runner, engine, tmp_path):
    path = tmp_path / "osm.geojson"
    path.write_text(json.dumps(OSM, ensure_ascii=False))
    before = count_roads(engine)
    result = runner.invoke(args=["import", "roads", str(path)])
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output and count_roads(engine) == before
    report = json.loads(result.output[:result.output.rindex("}") + 1])
    assert report["roads"] == 4 and report["by_class"] == {"主干路": 1, "支路": 3}
    assert report["skipped"] == {"not a road": 1, "not a line": 1}
    result = runner.invoke(args=["import", "roads", str(path), "--commit"])
    assert result.exit_code == 0 and "committed" in result.output, result.output
    assert count_roads(engine) == before + 4
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name, class, source FROM road "
                                 "WHERE source = 'osm.geojson' "
                                 "ORDER BY name NULLS LAST")).all()
    assert [tuple(r) for r in rows] == [("人民路", "主干路", "osm.geojson"),
                                        ("民主街", "支路", "osm.geojson"),
                                        ("民主街", "支路", "osm.geojson"),
                                        (None, "支路", "osm.geojson")]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM road WHERE source = 'osm.geojson'"))


def test_import_roads_reprojects_a_geopackage(runner, engine, tmp_path):
    path = tmp_path / "roads.gpkg"
    line = shapely.LineString([(13_530_000, 4_710_000), (13_531_000, 4_710_500)])   # EPSG:3857
    pyogrio.raw.write(str(path), geometry=np.array(shapely.to_wkb([line]), dtype=object),
                      field_data=[np.array(["长江路"], dtype=object),
                                  np.array(["主干路"], dtype=object)],
                      fields=["name", "class"], crs="EPSG:3857", geometry_type="LineString",
                      driver="GPKG")
    result = runner.invoke(args=["import", "roads", str(path), "--commit"])
    assert result.exit_code == 0, result.output
    with engine.begin() as conn:
        x, y = conn.execute(text("SELECT ST_X(ST_StartPoint(geom)), ST_Y(ST_StartPoint(geom)) "
                                 "FROM road WHERE name = '长江路'")).one()
        conn.execute(text("DELETE FROM road WHERE name = '长江路'"))
    lng, lat = Transformer.from_crs("EPSG:3857", "OGC:CRS84", always_xy=True).transform(
        13_530_000, 4_710_000)
    assert 121 < x < 122 and (x, y) == (pytest.approx(lng), pytest.approx(lat))


@pytest.mark.parametrize("name, content, message", [
    ("broken.geojson", "{not json", "cannot read broken.geojson"),
    ("plain.geojson", json.dumps(feature_collection([(
        {"name": "无名"}, {"type": "LineString", "coordinates": [[121.5, 38.9], [121.6, 38.9]]})])),
     "no `class` or `highway` column"),
    ("roads.csv", "name,highway\n", "give a GeoJSON, GeoPackage or (zipped) Shapefile"),
    ("roads.zip", "not a zip", "is not a zip file"),
])
def test_a_bad_roads_file_is_a_clear_error(runner, engine, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    before = count_roads(engine)
    result = runner.invoke(args=["import", "roads", str(path), "--commit"])
    assert result.exit_code != 0 and message in result.output, result.output
    assert "Traceback" not in result.output and count_roads(engine) == before
