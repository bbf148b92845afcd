"""Privacy of small numbers, over every route and every tile layer (issue 14 point 4).

Anyone without a duty toward the households (the public, a wall screen, staff outside
their jurisdiction) gets no colour breakdown below the community, and any count of a
sensitive class under SMALL_COUNT as "<5". The tiny city has one red household per
micro-grid, so every community (4 red), grid (2) and micro-grid (1) is a small cell.
"""
from __future__ import annotations

import csv
import io

import pytest

from gisapp.tiles.layers import load_registry

from ..wall_support import GRID_WORKER_HOME, close_app, features, make_app, tile_at, url
from ..web.test_route_sweep import _routes

COLOURS = ("red", "orange", "yellow", "blue", "green")
# The viewers without a duty toward the north-west households the sweep asks about.
OUTSIDERS = ["public", "wall", "other_worker"]
# Routes whose interesting answers need query arguments (the sweep adds these to the URL map).
EXTRA = [
    "/api/households?area=210204", "/api/households?area=210204001001",
    "/api/households?area=210204001001001&format=geojson",
    "/api/areas/210204001001", "/api/areas/210204001001001", "/api/areas/210204001001001001",
    "/api/coverage?kind=elderly_canteen&distance=1000&colour=red&level=community",
    "/api/coverage?kind=elderly_canteen&distance=1000&colour=red&level=grid",
    "/api/coverage?kind=elderly_canteen&distance=1000&colour=red&level=grid&format=geojson",
    "/api/coverage?kind=elderly_canteen&distance=1000&tag=独居老人&level=community",
    "/api/wall/summary", "/api/wall/choropleth?level=grid", "/api/wall/choropleth?level=community",
    "/ogc/collections/microgrids/items", "/ogc/collections/grids/items?f=json",
]


def leaks(value, path="", level=None) -> list[str]:
    """Where a JSON value shows a colour count under 5, or colours below the community."""
    found: list[str] = []
    if isinstance(value, list):
        for i, v in enumerate(value):
            found += leaks(v, f"{path}[{i}]", level)
    elif isinstance(value, dict):
        code = value.get("code")
        if isinstance(code, str) and code.isdigit():
            level = (len(code) - 3) // 3
        for key, v in value.items():
            if key in COLOURS and isinstance(v, int) and not isinstance(v, bool):
                if v < 5:
                    found.append(f"{path}.{key}={v}")
                if level is not None and level > 3:
                    found.append(f"{path}.{key} below the community (level {level})")
            found += leaks(v, f"{path}.{key}", level)
    return found


def _coloured_counts(rows: list[dict], level: int | None) -> list[str]:
    """CSV rows: counts by colour or group (households, gaps) must be hidden the same way."""
    return [f"{r.get('code')}: {k}={r[k]}" for r in rows for k in ("households", "gaps")
            if r.get(k, "").isdigit() and int(r[k]) < 5]


@pytest.fixture(scope="module")
def app(db_url):
    app = make_app(db_url)
    yield app
    close_app(app)


@pytest.mark.parametrize("who", OUTSIDERS)
def test_no_route_shows_a_small_colour_count_to_an_outsider(app, as_user, who):
    client = app.test_client()
    headers = {} if who == "public" else as_user(who)
    paths = [path for _, path in _routes(app, "GET")] + EXTRA
    problems, seen = [], 0
    for path in paths:
        resp = client.get(path, headers=headers)
        assert resp.status_code < 500, (who, path)
        if resp.is_json:
            seen += 1
            problems += [f"{path} {p}" for p in leaks(resp.get_json())]
    assert seen > 40
    assert not problems, (who, problems)


def test_coverage_csv_by_colour_hides_small_counts(app):
    client = app.test_client()
    resp = client.get("/api/coverage?kind=elderly_canteen&distance=1000&colour=red"
                      "&level=community&format=csv")
    assert resp.status_code == 200
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows and not _coloured_counts(rows, 3)
    assert {r["households"] for r in rows} == {"<5"}


def test_duty_sees_exact_numbers(app, as_user):
    """The rule can fail: staff with a duty see the very counts the outsiders do not."""
    client = app.test_client()
    mine = client.get("/api/households?area=210204001001", headers=as_user("community_sup"))
    body = mine.get_json()["aggregate"]
    assert body["area"]["colours"]["red"] == 4
    assert [c["colours"]["red"] for c in body["children"]] == [2, 2]
    public = client.get("/api/households?area=210204001001").get_json()["aggregate"]
    assert public["area"]["colours"]["red"] == "<5"
    assert [c["colours"] for c in public["children"]] == [{}, {}]     # grids: no breakdown
    # Outside their own grid, a grid worker is an outsider too.
    other = client.get("/api/areas/210204001001", headers=as_user("other_worker")).get_json()
    assert other["properties"]["colour_counts"]["red"] == "<5"
    worker = client.get("/api/areas/210204001001001", headers=as_user("grid_worker")).get_json()
    assert worker["properties"]["colour_counts"]["red"] == 2


def test_the_threshold_is_configurable(db_url):
    app = make_app(db_url, SMALL_COUNT=3)
    try:
        body = app.test_client().get("/api/areas/210204001001").get_json()
        assert body["properties"]["colour_counts"]["red"] == 4     # 4 >= 3: shown
        street = app.test_client().get("/api/households?area=210204001001").get_json()
        assert street["aggregate"]["area"]["colours"]["orange"] == "<3"
    finally:
        close_app(app)


def _layer_tiles(app):
    """(layer, z/x/y) for every tile layer at every zoom, over the north-west home."""
    reg = load_registry(app.config["TILES_DIR"])
    for layer in reg.layers.values():
        for z in range(layer.minzoom, layer.maxzoom + 1):
            yield layer.name, tile_at(*GRID_WORKER_HOME, z)


@pytest.mark.parametrize("who", OUTSIDERS)
def test_no_tile_shows_a_small_colour_count_to_an_outsider(app, as_user, who):
    client = app.test_client()
    headers = {} if who == "public" else as_user(who)
    problems, coloured = [], 0
    for name, zxy in _layer_tiles(app):
        resp = client.get(url(name, *zxy), headers=headers)
        if resp.status_code == 401 and who == "public":
            continue                  # case tiles are for staff
        assert resp.status_code == 200, (name, zxy, resp.get_data(as_text=True)[:200])
        for props in features(resp.data, name):
            coloured += any(k in props for k in COLOURS)
            problems += [f"{name} {zxy} {p}" for p in leaks(props)]
    assert coloured > 0               # the sweep saw colour counts at all
    assert not problems, (who, problems)


def test_duty_tiles_carry_exact_counts(app, as_user):
    client = app.test_client()
    grid = features(client.get(url("grid", *tile_at(*GRID_WORKER_HOME, 14)),
                               headers=as_user("community_sup")).data, "grid")
    assert next(f for f in grid if f["code"] == "210204001001001")["red"] == 2
    public = features(client.get(url("grid", *tile_at(*GRID_WORKER_HOME, 14))).data, "grid")
    assert all("red" not in f for f in public)
    community = features(client.get(url("community", *tile_at(*GRID_WORKER_HOME, 12))).data,
                         "community")
    assert next(f for f in community if f["code"] == "210204001001")["red"] == "<5"
