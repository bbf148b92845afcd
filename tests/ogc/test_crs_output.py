"""Coordinate systems: output in EPSG:4326, EPSG:4490 and EPSG:3857 checked against pyproj,
bbox-crs and filter-crs on input (with GCJ-02 and BD-09), the OGC names on point inputs,
and areas and distances in metres."""
from __future__ import annotations

import math
from urllib.parse import quote

import pytest
from pyproj import Geod, Transformer

from gisapp.areas.crs import gcj02_to_bd09, wgs84_to_gcj02

EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GRID = "210204001001001"            # 121.50..121.525 E, 38.95..39.00 N
ITEM = f"/ogc/collections/grids/items/{GRID}"


def ring(feature):
    return feature["geometry"]["coordinates"][0][0]


@pytest.mark.parametrize("code", ["4326", "4490", "3857"])
def test_output_crs_matches_pyproj(client, code):
    resp = client.get(f"{ITEM}?crs={quote(EPSG + code)}")
    assert resp.status_code == 200
    assert resp.headers["Content-Crs"] == f"<{EPSG}{code}>"
    tr = Transformer.from_crs("OGC:CRS84", f"EPSG:{code}")     # the CRS's own axis order
    plain = ring(client.get(ITEM).get_json())
    for (lng, lat), got in zip(plain, ring(resp.get_json())):
        want = tr.transform(lng, lat)
        assert got == pytest.approx(list(want), abs=1e-6 if code != "3857" else 1e-3)


def test_axis_order_is_the_crs_own(client):
    # EPSG:4326 and EPSG:4490 are latitude first; CRS84 is longitude first.
    first = ring(client.get(ITEM).get_json())[0]
    lat_first = ring(client.get(f"{ITEM}?crs=EPSG:4490").get_json())[0]
    assert first == [121.5, 38.95] and lat_first == pytest.approx([38.95, 121.5], abs=1e-6)
    x, y = ring(client.get(f"{ITEM}?crs=EPSG:3857").get_json())[0]
    # Spherical Mercator by its formula: x = R·λ, y = R·ln(tan(π/4 + φ/2)).
    r = 6378137.0
    assert x == pytest.approx(r * math.radians(121.5), abs=0.01)
    assert y == pytest.approx(r * math.log(math.tan(math.pi / 4 + math.radians(38.95) / 2)),
                              abs=0.01)


def test_items_in_another_crs(client):
    resp = client.get(f"/ogc/collections/communities/items?crs={quote(EPSG + '3857')}")
    assert resp.headers["Content-Crs"] == f"<{EPSG}3857>"
    xs = [p[0] for f in resp.get_json()["features"] for p in ring(f)]
    assert min(xs) > 1e7          # metres, not degrees
    assert client.get("/ogc/collections/communities/items").headers["Content-Crs"] == f"<{CRS84}>"


def test_collections_announce_crs(client):
    body = client.get("/ogc/collections/communities").get_json()
    assert body["storageCrs"] == CRS84
    assert set(body["crs"]) == {CRS84, EPSG + "4326", EPSG + "4490", EPSG + "3857"}


@pytest.mark.parametrize("bbox,crs", [
    ("121.51,38.96,121.52,38.97", None),
    ("38.96,121.51,38.97,121.52", EPSG + "4490"),
    ("38.96,121.51,38.97,121.52", "EPSG:4326"),
])
def test_bbox_crs(client, bbox, crs):
    q = f"bbox={bbox}" + (f"&bbox-crs={quote(crs)}" if crs else "")
    body = client.get(f"/ogc/collections/grids/items?{q}").get_json()
    assert [f["id"] for f in body["features"]] == [GRID]


def test_bbox_crs_web_mercator(client):
    tr = Transformer.from_crs("OGC:CRS84", "EPSG:3857", always_xy=True)
    x0, y0 = tr.transform(121.51, 38.96)
    x1, y1 = tr.transform(121.52, 38.97)
    body = client.get(
        f"/ogc/collections/grids/items?bbox={x0},{y0},{x1},{y1}&bbox-crs=EPSG:3857").get_json()
    assert [f["id"] for f in body["features"]] == [GRID]


@pytest.mark.parametrize("name,convert", [
    ("gcj02", lambda x, y: wgs84_to_gcj02(x, y)),
    ("bd09", lambda x, y: gcj02_to_bd09(*wgs84_to_gcj02(x, y))),
])
def test_phone_bbox_and_filter_crs(client, name, convert):
    # A small box around (121.51, 38.99) given in phone coordinates (offset by ~500 m).
    a = [float(v) for v in convert(121.509, 38.989)]
    b = [float(v) for v in convert(121.511, 38.991)]
    body = client.get(f"/ogc/collections/microgrids/items?bbox={a[0]},{a[1]},{b[0]},{b[1]}"
                      f"&bbox-crs={name}").get_json()
    assert [f["id"] for f in body["features"]] == [GRID + "001"]
    px, py = (float(v) for v in convert(121.51, 38.99))
    body = client.get("/ogc/collections/microgrids/items?filter="
                      + quote(f"S_INTERSECTS(geom, POINT({px} {py}))")
                      + f"&filter-crs={name}").get_json()
    assert [f["id"] for f in body["features"]] == [GRID + "001"]
    # The same bbox on the plain API.
    body = client.get(
        f"/api/areas?level=microgrid&bbox={a[0]},{a[1]},{b[0]},{b[1]}&bbox-crs={name}").get_json()
    assert [f["id"] for f in body["features"]] == [GRID + "001"]


def test_api_bbox_without_crs_is_unchanged(client):
    body = client.get("/api/areas?level=grid&bbox=121.51,38.96,121.52,38.97").get_json()
    assert [f["id"] for f in body["features"]] == [GRID]
    assert client.get("/api/areas?level=grid&bbox=121.51,38.96,121.52,38.97"
                      "&bbox-crs=EPSG:9999").status_code == 400


@pytest.mark.parametrize("crs", ["EPSG:4490", "http://www.opengis.net/def/crs/EPSG/0/4490",
                                 "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "EPSG:4326",
                                 "cgcs2000", "wgs84"])
def test_point_inputs_take_ogc_names(client, crs):
    # CGCS2000 and WGS 84 differ by centimetres: the same micro-grid either way.
    resp = client.get(f"/api/locate?lng=121.51&lat=38.99&crs={quote(crs)}")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["areas"]["microgrid"]["code"] == GRID + "001"


def test_area_in_square_metres_from_geography(client):
    props = client.get(ITEM).get_json()["properties"]
    geod = Geod(ellps="WGS84")
    area, _ = geod.polygon_area_perimeter([121.5, 121.525, 121.525, 121.5],
                                          [38.95, 38.95, 39.0, 39.0])
    assert props["area_m2"] == pytest.approx(abs(area), rel=1e-3)
