"""Base maps: none, an XYZ URL, an offline MBTiles file served by /tiles/basemap/..."""
from __future__ import annotations

import json
import logging
import re
import sqlite3
import struct
import zlib

import pytest

from gisapp import create_app
from gisapp.areas.basemap import find_mbtiles, read_tile

pytest.register_assert_rewrite("tests.browser")
from ..browser import csp_violations, foreign_requests, wait_for_summary  # noqa: E402

pytest_plugins = ["tests.browser"]

TIANDITU = "http://tianditu.intranet/vec_w/{z}/{x}/{y}.png"
SUMMARY = ("window.GisappAreasMap && GisappAreasMap.instance"
           " && GisappAreasMap.instance.summary()")


def png_1x1(rgb: tuple[int, int, int]) -> bytes:
    """A valid one-pixel PNG of one colour (stdlib only)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" + bytes(rgb))) + chunk(b"IEND", b""))


RED, GREEN, BLUE = png_1x1((200, 0, 0)), png_1x1((0, 200, 0)), png_1x1((0, 0, 200))


def make_mbtiles(path, tiles: dict, metadata: dict) -> None:
    """An MBTiles file; `tiles` maps TMS (z, column, row) -> bytes, as the format stores them."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE metadata (name text, value text)")
        conn.execute("CREATE TABLE tiles (zoom_level integer, tile_column integer, "
                     "tile_row integer, tile_data blob)")
        conn.executemany("INSERT INTO metadata VALUES (?, ?)", metadata.items())
        conn.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                         [(z, x, row, data) for (z, x, row), data in tiles.items()])
    conn.close()


# At zoom 1, TMS row 1 is the northern half: XYZ y = 2**1 - 1 - 1 = 0.
# XYZ (1, 1, 1), the south-east quarter, is left out on purpose.
TINY_TILES = {(1, 0, 1): RED, (1, 1, 1): GREEN, (1, 0, 0): BLUE}


@pytest.fixture(scope="module")
def tiles_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiles")
    make_mbtiles(folder / "b-dalian.mbtiles", TINY_TILES,
                 {"name": "大连离线底图", "format": "png", "minzoom": "1", "maxzoom": "1",
                  "attribution": "<b>测绘</b>"})
    # Sorted before the raster file and skipped: vector tiles are no raster base map.
    make_mbtiles(folder / "a-vector.mbtiles", {(0, 0, 0): b"\x1f\x8b..."}, {"format": "pbf"})
    return folder


@pytest.fixture(scope="module")
def make_app(db_url):
    """create_app with the test settings plus `extra`; engines disposed at the end."""
    made = []

    def make(**extra):
        made.append(create_app({"TESTING": True, "DATABASE_URL": db_url,
                                "INDEX_REFRESH_SECONDS": 0.0, **extra}))
        return made[-1]
    yield make
    for app in made:
        app.extensions["gisapp_engine"].dispose()


@pytest.fixture(scope="module")
def app(make_app, tiles_dir):
    """This module's app serves the offline base map (overrides conftest's `app`)."""
    return make_app(TILES_DIR=str(tiles_dir))


def js(text: str) -> str:
    """How folium writes a string into the page's script (non-ASCII as \\u escapes)."""
    return json.dumps(text)


def tile_layers(page: str) -> dict[str, tuple[str, bool]]:
    """URL -> (layer variable, whether it is added to the map on opening)."""
    layers = re.findall(r'var (tile_layer_\w+) = L\.tileLayer\(\s*"([^"]*)"', page)
    return {url: (var, f"{var}.addTo(" in page) for var, url in layers}


def test_tile_route_flips_y_from_xyz_to_tms(client):
    for y, expected in ((0, RED), (1, BLUE)):
        resp = client.get(f"/tiles/basemap/1/0/{y}.png")
        assert resp.status_code == 200 and resp.data == expected, y
        assert resp.mimetype == "image/png"
        assert "max-age" in resp.headers["Cache-Control"]
    assert client.get("/tiles/basemap/1/1/0.png").data == GREEN


def test_missing_tile_is_404(client):
    resp = client.get("/tiles/basemap/1/1/1.png")
    assert resp.status_code == 404 and resp.get_json()["error"] == "not_found"
    assert client.get("/tiles/basemap/0/0/0.png").status_code == 404


def test_wrong_extension_is_404(client):
    assert client.get("/tiles/basemap/1/0/0.jpg").status_code == 404


@pytest.mark.parametrize("address", ["1/2/0", "1/0/2", "25/0/0", "-1/0/0", "1/-1/0",
                                     "x/0/0", "1/0/y", "99999999999/0/0"])
def test_out_of_range_address_is_400(client, address):
    resp = client.get(f"/tiles/basemap/{address}.png")
    assert resp.status_code == 400, address
    assert resp.get_json()["error"] == "bad_input"


def test_vector_mbtiles_is_skipped_and_logged(tiles_dir, caplog):
    from gisapp.areas import basemap
    basemap._read_info.cache_clear()
    with caplog.at_level(logging.WARNING, logger="gisapp.areas.basemap"):
        found = find_mbtiles(tiles_dir)
    assert found.path.name == "b-dalian.mbtiles" and found.format == "png"
    assert any("pbf" in r.getMessage() and "a-vector" in r.getMessage() for r in caplog.records)


def test_format_is_sniffed_when_metadata_lacks_it(tmp_path):
    make_mbtiles(tmp_path / "x.mbtiles", {(0, 0, 0): RED}, {"name": "无格式"})
    found = find_mbtiles(tmp_path)
    assert found.format == "png" and read_tile(found, 0, 0, 0) == RED
    assert (found.minzoom, found.maxzoom) == (0, 0)      # from the tiles, as metadata lacks them


def test_no_mbtiles_no_tiles(tmp_path):
    assert find_mbtiles(tmp_path) is None and find_mbtiles(tmp_path / "absent") is None


def test_page_offers_the_offline_base_map(client):
    page = client.get("/").get_data(as_text=True)
    layers = tile_layers(page)
    assert list(layers) == ["/tiles/basemap/{z}/{x}/{y}.png"]
    assert layers["/tiles/basemap/{z}/{x}/{y}.png"][1]        # selected on opening
    assert js("离线底图") in page and '"maxNativeZoom": 1' in page
    # Attribution from the file is shown as text, not markup.
    assert "<b>" not in page and js("&lt;b&gt;测绘&lt;/b&gt;").replace("&", "\\u0026") in page


def test_plain_background_when_nothing_is_configured(make_app, tmp_path):
    page = make_app(TILES_DIR=str(tmp_path)).test_client().get("/").get_data(as_text=True)
    assert tile_layers(page) == {} and "L.tileLayer" not in page


def test_basemap_url_adds_an_xyz_layer(make_app, tmp_path):
    app = make_app(TILES_DIR=str(tmp_path), BASEMAP_URL=TIANDITU, BASEMAP_ATTRIBUTION="天地图")
    resp = app.test_client().get("/")
    page = resp.get_data(as_text=True)
    assert tile_layers(page) == {TIANDITU: (tile_layers(page)[TIANDITU][0], True)}
    assert f'"name": {js("底图")}' in page and f'"attribution": {js("天地图")}' in page
    assert "http://tianditu.intranet" in resp.headers["Content-Security-Policy"]


def test_both_offered_offline_selected(make_app, tiles_dir):
    app = make_app(TILES_DIR=str(tiles_dir), BASEMAP_URL=TIANDITU)
    page = app.test_client().get("/").get_data(as_text=True)
    layers = tile_layers(page)
    assert layers["/tiles/basemap/{z}/{x}/{y}.png"][1] is True
    assert layers[TIANDITU][1] is False
    assert f'"attribution": {js("底图")}' in page      # the default attribution


@pytest.mark.browser
def test_offline_base_map_loads_from_our_server(live_server, browser_page):
    page = browser_page
    page.goto(live_server + "/")
    wait_for_summary(page, SUMMARY, lambda s: s["pending"] == 0 and s["counts"]["district"] > 0)
    page.wait_for_selector("img.leaflet-tile-loaded", timeout=10_000)
    # Dalian lies in the north-east quarter of the world: XYZ tile 1/1/0, scaled up.
    assert f"{live_server}/tiles/basemap/1/1/0.png" in page.requests_seen
    assert "离线底图" in page.inner_text(".leaflet-control-layers")
    assert foreign_requests(page, live_server) == []
    assert csp_violations(page) == [] and page.errors_seen == []
