"""The shared tile cache in the proxy: a varnishd with the project's VCL in front of a live
app server (docs/cluster.md, "The shared tile cache").

(a) 100 walls read the same tiles through the proxy: the app renders each tile once, and
once more per change that touches it; (b) a case event refreshes exactly the tiles it
touches, within 1 s of the report's acknowledgement; (c) a personal tile and a per-user
tile are never stored by the proxy, whatever a client claims.
"""
from __future__ import annotations

import json
import re
import shutil
import threading
import time
import urllib.error
import urllib.request

import pytest

from gisapp.tiles.service import tile_cache

from ..browser import assert_accessible, screenshot, wait_for_summary
from ..live.test_wall import login
from ..live.test_wall_map import WALL, settle
from ..wall_support import (
    GRID_WORKER_HOME,
    OTHER_WORKER_HOME,
    close_app,
    features,
    make_app,
    tile_at,
    url,
)
from .test_tile_layer_edits import copied_tiles, edit_extent
from .varnish_support import free_ports, running_varnish

pytest_plugins = ["tests.browser"]

WALLS = 100
# Shared tiles every wall reads: the same for the public and for a wall viewer ("any").
AREA_TILES = [("district", tile_at(121.55, 38.95, 10)), ("community", tile_at(121.51, 38.99, 12)),
              ("grid", tile_at(*GRID_WORKER_HOME, 14)), ("base", tile_at(121.55, 38.95, 12))]
# The public's own copies ("public"): hazard counts per area, household aggregates.
HOME_HAZARDS = ("hazards", tile_at(*GRID_WORKER_HOME, 13))
PUBLIC_TILES = [HOME_HAZARDS, ("hazards", tile_at(*OTHER_WORKER_HOME, 13)),
                ("hazards", tile_at(*GRID_WORKER_HOME, 16)),
                ("hazards", tile_at(*OTHER_WORKER_HOME, 16)),
                ("households", tile_at(*OTHER_WORKER_HOME, 14))]


@pytest.fixture(scope="module")
def proxy_ports():
    return free_ports(2)


@pytest.fixture(scope="module")
def tiles_dir():
    tiles = copied_tiles()          # the last test edits them
    yield tiles
    shutil.rmtree(tiles)


@pytest.fixture(scope="module")
def app(db_url, proxy_ports, tiles_dir):
    app = make_app(db_url, TILE_SYNC_SECONDS=1.0, TILES_DIR=str(tiles_dir),
                   TILE_PROXY_BAN_URL=f"http://127.0.0.1:{proxy_ports[1]}/")
    yield app
    close_app(app)


@pytest.fixture(scope="module")
def proxy(live_server, proxy_ports):
    with running_varnish(int(live_server.rsplit(":", 1)[1]), *proxy_ports) as varnish:
        yield varnish


def get(base: str, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(base + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def report_hazard(base: str, token: str, lng: float, lat: float) -> None:
    body = json.dumps({"kind": "hazard", "category": "gas", "description": "燃气泄漏",
                       "location": {"lng": lng, "lat": lat}}).encode()
    request = urllib.request.Request(base + "/api/cases", data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        assert resp.status == 201


def hazards_shown(data: bytes) -> int:
    return sum(f["hazards"] for f in features(data, "hazards"))


def walls_read(base: str, wall_token: str) -> dict[str, set[bytes]]:
    """100 walls at once (half public, half the wall viewer) read their tiles through the
    proxy; the distinct bodies seen per tile URL."""
    seen: dict[str, set[bytes]] = {}
    errors: list[str] = []
    lock, start = threading.Lock(), threading.Barrier(WALLS)

    def wall(i: int) -> None:
        public = i % 2 == 0
        headers = {} if public else {"Authorization": f"Bearer {wall_token}"}
        start.wait()
        for layer, zxy in AREA_TILES + (PUBLIC_TILES if public else []):
            status, resp_headers, body = get(base, url(layer, *zxy), headers)
            with lock:
                if status != 200 or resp_headers.get("X-Cache") not in ("HIT", "MISS"):
                    errors.append(f"{layer}/{zxy}: {status} {resp_headers.get('X-Cache')}")
                seen.setdefault(url(layer, *zxy), set()).add(body)

    threads = [threading.Thread(target=wall, args=(i,)) for i in range(WALLS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:5]
    return seen


def wait_until(check, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, f"{what} not within {timeout} s"
        time.sleep(0.02)
    return time.monotonic() - started


def test_a_hundred_walls_cost_one_render_per_tile_and_change(app, proxy, tokens):
    cache = tile_cache(app)
    renders = cache.renders
    seen = walls_read(proxy.url, tokens["wall"])
    tiles = len(AREA_TILES) + len(PUBLIC_TILES)
    assert len(seen) == tiles and all(len(bodies) == 1 for bodies in seen.values())
    assert cache.renders - renders == tiles            # each tile once, for 100 walls

    gen = cache.applied
    report_hazard(proxy.url, tokens["grid_worker"], *GRID_WORKER_HOME)
    wait_until(lambda: cache.applied > gen, 5, "the app applying the change")
    keys = [(("public" if layer in ("hazards", "households") else "any"), layer, *zxy)
            for layer, zxy in AREA_TILES + PUBLIC_TILES]
    touched = [k for k in keys if cache.raced(k, gen)]
    assert 1 <= len(touched) < tiles
    renders = cache.renders
    walls_read(proxy.url, tokens["wall"])
    assert cache.renders - renders == len(touched)     # once per changed tile, again


def test_a_case_event_refreshes_exactly_the_touched_tiles_within_a_second(app, proxy, tokens):
    cache = tile_cache(app)
    warm = AREA_TILES + PUBLIC_TILES
    for layer, zxy in warm:
        get(proxy.url, url(layer, *zxy))
    for layer, zxy in warm:
        assert get(proxy.url, url(layer, *zxy))[1]["X-Cache"] == "HIT", (layer, zxy)
    home = url("hazards", *HOME_HAZARDS[1])
    before = hazards_shown(get(proxy.url, home)[2])
    gen = cache.applied

    report_hazard(proxy.url, tokens["grid_worker"], *GRID_WORKER_HOME)
    elapsed = wait_until(lambda: hazards_shown(get(proxy.url, home)[2]) == before + 1, 1.0,
                         "the new hazard in the proxy's tile")
    print(f"refreshed through the proxy {elapsed * 1000:.0f} ms after the acknowledgement")

    for layer, zxy in AREA_TILES + PUBLIC_TILES[1:]:
        key = ("public" if layer in ("hazards", "households") else "any", layer, *zxy)
        expected = "MISS" if cache.raced(key, gen) else "HIT"
        assert get(proxy.url, url(layer, *zxy))[1]["X-Cache"] == expected, (layer, zxy)
    far = ("public", "hazards", *tile_at(*OTHER_WORKER_HOME, 16))
    assert not cache.raced(far, gen)                    # so it was checked to be a HIT


def test_personal_and_per_user_tiles_are_never_stored(app, proxy, tokens):
    worker = {"Authorization": f"Bearer {tokens['grid_worker']}"}
    personal = url("households", *tile_at(*GRID_WORKER_HOME, 16))     # household points
    own_cases = url("cases", *tile_at(*GRID_WORKER_HOME, 16))          # class user<id>-...
    for path in (personal, own_cases):
        get(proxy.url, path, worker)                    # the class lookup is kept 5 s
        objects, passes = proxy.stat("MAIN.n_object"), proxy.stat("MAIN.s_pass")
        for claim in ({}, {"X-Tile-Class": "any"}, {"X-Tile-Class": "public"}):
            status, headers, _ = get(proxy.url, path, {**worker, **claim})
            assert status == 200 and headers["X-Cache"] == "PASS", (path, claim, headers)
            assert "private" in headers["Cache-Control"] and "X-Tile" not in headers
        assert proxy.stat("MAIN.s_pass") == passes + 3
        assert proxy.stat("MAIN.n_object") <= objects, path     # (lookups may expire)
    # The public still gets its own copy: aggregates, never the worker's points.
    status, _, public_body = get(proxy.url, personal)
    status_worker, _, worker_body = get(proxy.url, personal, worker)
    assert status == status_worker == 200 and public_body != worker_body
    assert get(proxy.url, own_cases)[0] == 401


def test_bans_name_exactly_the_tiles_the_app_drops(app):
    """The ban expressions and the app's own cache agree on every tile near a change."""
    from gisapp.tiles.cache import Region
    from gisapp.tiles.proxy import ban_patterns
    from gisapp.tiles.regions import Regions
    from gisapp.tiles.service import registry
    with app.app_context():
        reg = registry()
    street = Region(1, "hazard_areas", (121.5, 38.9, 121.55, 39.0))
    point = Region(2, "cases", (121.5125, 38.9875, 121.5125, 38.9875))
    patterns = [re.compile(p) for p in ban_patterns([street, point], reg)]
    rules, checked = Regions(lambda: reg), 0
    for z in (8, 12, 14, 16, 18):
        x0, y0, x1, y1 = tile_at(121.45, 39.05, z)[1:] + tile_at(121.65, 38.85, z)[1:]
        for x in range(x0, x1 + 1, max(1, (x1 - x0) // 40)):
            for y in range(y0, y1 + 1, max(1, (y1 - y0) // 40)):
                for layer, classes in (("hazards", ("public", "city")), ("base", ("any",))):
                    # One ban for every class of a tile: stale in any of them.
                    stale = any(rules.touches(r, (cls, layer, z, x, y))
                                for r in (street, point) for cls in classes)
                    banned = any(p.match(f"{layer}/{z}/{x}/{y}") for p in patterns)
                    assert banned == stale, (layer, z, x, y)
                    checked += stale
    assert checked > 100 and not any(p.match("base/16/54888/25049") for p in patterns)


def test_the_class_lookup_names_only_shared_slots(client, tokens):
    def slot(layer, z, who=None):
        headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
        resp = client.get(f"/tiles/access-class/{layer}/{z}", headers=headers)
        return resp.status_code, resp.headers.get("X-Tile-Class")
    assert slot("community", 12) == slot("community", 12, "wall") == (200, "any")
    assert slot("hazards", 13) == (200, "public")
    assert slot("households", 16, "grid_worker") == (200, "private")    # personal
    assert slot("cases", 16, "grid_worker") == (200, "private")         # user<id>-...
    assert slot("cases", 16) == (200, "private")                        # the view says 401
    assert slot("nowhere", 3)[0] == 404 and slot("district", 99)[0] == 400


def test_only_the_app_nodes_may_ban(proxy):
    ban = {"X-Ban": "^.*$"}
    for where in (proxy.url + "/tiles/base/5/1/1.pbf", proxy.ban_url):
        request = urllib.request.Request(where, method="BAN", headers=ban)
        try:
            status = urllib.request.urlopen(request, timeout=10).status
        except urllib.error.HTTPError as exc:
            status = exc.code
        assert status == (200 if where == proxy.ban_url else 403), where


SHARED_FOR_THE_WALL = {"district", "street", "community", "grid", "microgrid", "base"}


@pytest.mark.browser
def test_a_second_wall_screen_gets_the_shared_tiles_from_the_proxy(proxy, open_context):
    """Two screens of the command centre open the wall through the proxy, one after the
    other: the second gets every area and base tile from Varnish, and its case tiles
    (the wall viewer's own class) from the app."""
    seen: dict[str, list[tuple[str, str]]] = {"first": [], "second": []}
    for screen in seen:
        page = open_context(WALL)
        page.context.on("response", lambda resp, screen=screen: seen[screen].append(
            (resp.url, resp.headers.get("x-cache"))) if ".pbf" in resp.url else None)
        login(page, proxy.url, "wall")
        wait_for_summary(page, "() => document.getElementById('wall').dataset.ready",
                         lambda v: v == "1")
        settle(page)
    first = {url for url, _ in seen["first"]}
    by_layer: dict[str, set[str]] = {}
    for url_, cache in seen["second"]:
        layer = url_.split("/tiles/")[1].split("/")[0]
        by_layer.setdefault(layer, set()).add(cache if url_ in first else "new")
    assert all("HIT" in by_layer[layer] for layer in SHARED_FOR_THE_WALL & set(by_layer))
    assert SHARED_FOR_THE_WALL & set(by_layer), by_layer
    for layer, caches in by_layer.items():
        expected = {"HIT"} if layer in SHARED_FOR_THE_WALL else {"PASS"}
        assert caches - {"new"} <= expected, (layer, caches)
    assert any(layer not in SHARED_FOR_THE_WALL for layer in by_layer), by_layer
    assert_accessible(page)
    screenshot(page, "wall-through-the-tile-proxy")


def test_cors_answers_stay_right_for_each_origin(proxy, tokens):
    """A credentialed request from another origin must not leave its (grant-less) CORS
    headers to the anonymous readers of that origin, nor the reverse."""
    path = url("district", *tile_at(121.55, 38.95, 9))
    elsewhere = {"Origin": "https://elsewhere.example"}
    signed = {**elsewhere, "Authorization": f"Bearer {tokens['wall']}"}
    for first, then in ((signed, elsewhere), (elsewhere, signed)):
        get(proxy.url, path, first)
        ban = urllib.request.Request(proxy.ban_url, method="BAN", headers={"X-Ban": "^district/"})
        for headers in (first, then, first, then):
            answer = get(proxy.url, path, headers)[1]
            grant = answer.get("Access-Control-Allow-Origin")
            assert grant == (None if "Authorization" in headers else "*"), (headers, answer)
        urllib.request.urlopen(ban, timeout=10).read()


def test_bans_go_to_every_listed_proxy(proxy, app):
    """TILE_PROXY_BAN_URL may list several Varnish instances; an unreachable one keeps its
    bans for later without holding up the others."""
    from gisapp.tiles.cache import Region
    from gisapp.tiles.proxy import ProxyBans
    from gisapp.tiles.service import registry
    assert ProxyBans.for_urls(" ", lambda: None) is None
    with app.app_context():
        reg = registry()
    down = f"http://127.0.0.1:{free_ports(1)[0]}/"
    applied = ProxyBans.for_urls(f"{down}, {proxy.ban_url}", lambda: reg)
    bans = proxy.stat("MAIN.bans_added")
    applied([Region(1, "areas", (121.5, 38.9, 121.51, 38.91))])
    assert proxy.stat("MAIN.bans_added") == bans + 2        # everything once, then the change


def test_an_edit_of_the_layer_files_reaches_every_viewer(proxy, tokens, tiles_dir):
    """No ban is needed: the class lookup names the layer files' digest, which is part of
    the slot, so each viewer moves to new slots once its lookup (5 s here) is asked again.
    A tile is never mixed: the old one until then, the new one after, and kept."""
    wall = {"Authorization": f"Bearer {tokens['wall']}"}
    path = url(*AREA_TILES[1][:1], *AREA_TILES[1][1])
    before = {who: get(proxy.url, path, h)[2] for who, h in (("public", {}), ("wall", wall))}
    assert before["public"] == before["wall"]
    edit_extent(tiles_dir, 512)
    after = []
    try:
        for headers in ({}, wall):
            seen = []
            waited = wait_until(lambda: seen.append(get(proxy.url, path, headers)[2]) or
                                seen[-1] != before["public"], 8.0, "the edited tile")
            assert waited < 5 + 1 + 1                   # the lookup, the registry check
            status, resp_headers, body = get(proxy.url, path, headers)
            assert status == 200 and resp_headers["X-Cache"] == "HIT" and body == seen[-1]
            assert set(seen) <= {before["public"], seen[-1]}          # old, then new
            after.append(body)
        assert after[0] == after[1]                     # the same new tile for both
    finally:
        edit_extent(tiles_dir, 4096)
