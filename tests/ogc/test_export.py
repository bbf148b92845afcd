"""Exports: every layer to GeoJSON, GeoPackage, zipped Shapefile and CSV, read back with
pyogrio; counts per viewer; household privacy; the `gisapp export` command."""
from __future__ import annotations

import io
import zipfile

import pyogrio
import pytest
from sqlalchemy import text

COUNTS = {"districts": 1, "streets": 2, "communities": 4, "grids": 8, "microgrids": 16}
EXT = {"geojson": "geojson", "gpkg": "gpkg", "shp": "zip", "csv": "csv"}


@pytest.fixture(scope="module", autouse=True)
def facilities_and_cases(engine):
    with engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO facility (kind, name, capacity, is_public, geom, area_id) VALUES
             ('elderly_canteen', '西北老年食堂', 40, true, """
                          """ST_SetSRID(ST_MakePoint(121.51, 38.99), 4326),
              (SELECT id FROM area WHERE code = '210204001001001001')),
             ('mediation_room', '东部调解室', NULL, false, """
                          """ST_SetSRID(ST_MakePoint(121.59, 38.99), 4326),
              (SELECT id FROM area WHERE code = '210204002001002001'))"""))
        conn.execute(text("""
            INSERT INTO case_file (kind, category, description, reporter_kind, geom, """
                          """area_code, area_id)
            SELECT 'hazard', 'fire_exit', '消防通道堵塞 ' || a.code, 'public',
                   ST_PointOnSurface(v.geom), a.code, a.id
            FROM area a JOIN area_version v ON v.area_id = a.id WHERE a.level = 5"""))


def read_back(content: bytes, fmt: str, tmp_path, layer: str):
    """The features of an exported file, read with pyogrio: (meta, geometries, fields)."""
    path = tmp_path / f"{layer}.{EXT[fmt]}"
    path.write_bytes(content)
    if fmt == "shp":
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            names = z.namelist()
            assert {f"{layer}.shp", f"{layer}.dbf", f"{layer}.shx", f"{layer}.prj"} <= set(names)
            z.extractall(tmp_path / "shp")
        path = tmp_path / "shp" / f"{layer}.shp"
    meta, _, geometry, fields = pyogrio.raw.read(str(path))
    return meta, geometry, dict(zip(meta["fields"], fields))


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp", "csv"])
@pytest.mark.parametrize("layer", [*COUNTS, "facilities"])
def test_layers_export_in_every_format(client, as_user, tmp_path, layer, fmt):
    resp = client.get(f"/api/export/{layer}?format={fmt}", headers=as_user("admin"))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert "attachment" in resp.headers["Content-Disposition"]
    meta, geometry, fields = read_back(resp.data, fmt, tmp_path, layer)
    want = COUNTS.get(layer, 2)
    assert len(geometry) == want == int(resp.headers["X-Feature-Count"])
    if fmt != "csv":
        assert "4326" in meta["crs"]
    if layer == "communities":
        assert sorted(fields["code"]) == ["210204001001", "210204001002", "210204002001",
                                          "210204002002"]
        assert "测试社区01001" in list(fields["name"])      # Chinese survives every format


def test_gpkg_geometry_is_longitude_first(client, as_user, tmp_path):
    resp = client.get("/api/export/districts?format=gpkg", headers=as_user("admin"))
    _, geometry, _ = read_back(resp.data, "gpkg", tmp_path, "districts")
    import shapely
    assert shapely.from_wkb(geometry[0]).bounds == pytest.approx((121.5, 38.9, 121.6, 39.0))


def test_area_filter(client, tmp_path):
    resp = client.get("/api/export/microgrids?format=geojson&area=210204001001")
    _, geometry, fields = read_back(resp.data, "geojson", tmp_path, "microgrids")
    assert len(geometry) == 4 and all(c.startswith("210204001001") for c in fields["code"])


def test_public_gets_public_facilities_only(client, tmp_path):
    resp = client.get("/api/export/facilities?format=csv")
    _, _, fields = read_back(resp.data, "csv", tmp_path, "facilities")
    assert list(fields["name"]) == ["西北老年食堂"]


def test_cases_as_the_viewer_may_see_them(client, as_user, tmp_path):
    assert client.get("/api/export/cases?format=csv").status_code == 401
    resp = client.get("/api/export/cases?format=gpkg", headers=as_user("grid_worker"))
    _, geometry, fields = read_back(resp.data, "gpkg", tmp_path, "cases")
    assert len(geometry) == 2 and all(c.startswith("210204001001001") for c in fields["area_code"])
    resp = client.get("/api/export/cases?format=geojson", headers=as_user("wall"))
    assert int(resp.headers["X-Feature-Count"]) == 16


def test_households_for_those_with_a_duty_only(client, as_user, engine, tmp_path):
    resp = client.get("/api/export/households?format=geojson", headers=as_user("grid_worker"))
    assert resp.status_code == 200
    _, geometry, fields = read_back(resp.data, "geojson", tmp_path, "households")
    assert len(geometry) == 2 and all(c.startswith("210204001001001") for c in fields["area_code"])
    assert set(fields["head_name"]) == {"住户"}
    for who in ("admin", "wall", "district_sup", "street_sup"):
        resp = client.get("/api/export/households?format=csv", headers=as_user(who))
        assert resp.status_code == 403 and resp.get_json()["error"] == "forbidden"
    assert client.get("/api/export/households?format=csv").status_code == 401
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'export.households'"
                                 " AND username = 'grid_worker'")).scalar() >= 1


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp", "csv"])
def test_grid_worker_cannot_export_another_grids_households(client, as_user, tmp_path, fmt):
    resp = client.get(f"/api/export/households?format={fmt}&area=210204002002002",
                      headers=as_user("grid_worker"))
    assert resp.status_code == 200
    assert resp.headers["X-Feature-Count"] == "0"
    _, geometry, _ = read_back(resp.data, fmt, tmp_path, "households")
    assert len(geometry) == 0
    # Its own worker does get them.
    resp = client.get(f"/api/export/households?format={fmt}&area=210204002002002",
                      headers=as_user("other_worker"))
    assert resp.headers["X-Feature-Count"] == "2"


@pytest.mark.parametrize("path", ["/api/export/buildings", "/api/export/grids?format=xlsx",
                                  "/api/export/grids?area=21'--", "/api/export/app_user"])
def test_bad_export_requests_are_400(client, path):
    resp = client.get(path)
    assert resp.status_code == 400 and resp.get_json()["error"] == "bad_input"


def test_cli_export(runner, tmp_path):
    out = tmp_path / "grids.gpkg"
    result = runner.invoke(args=["export", "grids", str(out)])
    assert result.exit_code == 0, result.output
    assert "exported 8 grids" in result.output
    assert pyogrio.read_info(str(out))["features"] == 8
    out = tmp_path / "households.csv"
    result = runner.invoke(args=["export", "households", str(out), "--as", "community_sup"])
    assert result.exit_code == 0, result.output
    assert pyogrio.read_info(str(out))["features"] == 4
    result = runner.invoke(args=["export", "households", str(tmp_path / "h.csv")])
    assert result.exit_code != 0 and "duty" in result.output


def test_import_facilities_from_a_geopackage_in_web_mercator(runner, engine, tmp_path):
    import numpy as np
    import shapely
    from pyproj import Transformer
    x, y = Transformer.from_crs("OGC:CRS84", "EPSG:3857", always_xy=True).transform(121.52, 38.98)
    path = tmp_path / "new.gpkg"
    pyogrio.raw.write(str(path), np.array([shapely.to_wkb(shapely.Point(x, y))], dtype=object),
                      [np.array(["clinic"], dtype=object), np.array(["新卫生站"], dtype=object),
                       np.array([12], dtype=np.int64), np.array(["ignored"], dtype=object)],
                      ["kind", "name", "capacity", "note"], driver="GPKG", geometry_type="Point",
                      crs="EPSG:3857", layer="facilities")
    count = lambda: engine.connect().execute(text("SELECT count(*) FROM facility")).scalar()  # noqa: E731
    before = count()
    result = runner.invoke(args=["import", "facilities", str(path)])
    assert result.exit_code == 0, result.output
    assert '"valid": 1' in result.output and "note" in result.output and "dry run" in result.output
    assert count() == before
    result = runner.invoke(args=["import", "facilities", str(path), "--commit"])
    assert result.exit_code == 0 and "committed" in result.output, result.output
    with engine.connect() as conn:
        row = conn.execute(text("SELECT ST_X(geom), ST_Y(geom), capacity FROM facility "
                                "WHERE name = '新卫生站'")).one()
    assert row[0] == pytest.approx(121.52, abs=1e-7) and row[1] == pytest.approx(38.98, abs=1e-7)
    assert row[2] == 12 and count() == before + 1


def test_import_households_from_an_exported_shapefile_is_a_dry_run(client, as_user, runner,
                                                                    engine, tmp_path):
    resp = client.get("/api/export/households?format=shp", headers=as_user("community_sup"))
    path = tmp_path / "households.zip"
    path.write_bytes(resp.data)
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM household")).scalar()
    result = runner.invoke(args=["import", "households", str(path)])
    assert result.exit_code == 0, result.output
    assert '"valid": 4' in result.output and "dry run" in result.output
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM household")).scalar() == before


def test_import_refuses_polygons_row_by_row(client, runner, tmp_path):
    path = tmp_path / "grids.geojson"
    path.write_bytes(client.get("/api/export/grids?format=geojson").data)
    result = runner.invoke(args=["import", "facilities", str(path)])
    assert result.exit_code != 0 and "must be a point" in result.output


def test_boundaries_round_trip_through_csv(client, runner, tmp_path):
    # The grids of one community, exported as CSV (WKT), import back as a no-change dry run.
    path = tmp_path / "grids.csv"
    path.write_bytes(client.get("/api/export/grids?format=csv&area=210204001001").data)
    result = runner.invoke(args=["boundaries", "import", str(path), "--parent", "210204001001"])
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output
