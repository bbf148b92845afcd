"""The disk tile cache stays within TILE_CACHE_MAX_MB: the files written longest ago go
first, a trimmed tile is rendered again as it was, and the node's deleter trims in the
background at most every TRIM_SECONDS."""
from __future__ import annotations

import os
import time
from pathlib import Path

from gisapp.tiles import trim
from gisapp.tiles.service import tile_cache

from ..wall_support import close_app, make_app, tile_at, tile_dir, url

TILES = [url(layer, *tile_at(121.45 + i * 0.012, 38.93 + i * 0.006, z))
         for i in range(12) for layer, z in (("grid", 15), ("microgrid", 16))]


def disk_files(app) -> dict[str, tuple[float, int]]:
    return {str(p): (p.stat().st_mtime, p.stat().st_size)
            for p in Path(tile_dir(app)).rglob("*.pbf")}


def fill(app) -> dict[str, bytes]:
    """Every tile of TILES read once, each written to disk a moment after the one before."""
    client, bodies = app.test_client(), {}
    for path in TILES:
        resp = client.get(path)
        assert resp.status_code == 200
        bodies[path] = resp.data
        time.sleep(0.01)
    return bodies


def test_the_oldest_tiles_go_first_and_come_back_the_same(db_url):
    app = make_app(db_url)
    cache = tile_cache(app)
    bodies = fill(app)
    files = disk_files(app)
    total = sum(size for _, size in files.values())
    assert len(files) == len(TILES) and total > 0

    cache.trim.max_bytes = total // 2
    deleted = cache.trim.run()
    left = disk_files(app)
    assert deleted == len(files) - len(left) > 0
    assert sum(size for _, size in left.values()) <= total // 2 * trim.TRIM_TO
    newest_gone = max(files[p][0] for p in set(files) - set(left))
    assert all(mtime >= newest_gone for mtime, _ in left.values())        # oldest first
    assert cache.trim.run() == 0                        # within the limit: nothing to do

    cache.clear()                                       # memory too: read from disk or render
    client = app.test_client()
    assert {p: client.get(p).data for p in TILES} == bodies
    close_app(app)


def wait_for_trim(cache, deleted_before: int) -> None:
    deadline = time.monotonic() + 10
    while cache.trim.deleted == deleted_before or cache.trim._busy:
        assert time.monotonic() < deadline, "no trim within 10 s"
        time.sleep(0.05)


def test_the_node_deleter_trims_in_the_background_now_and_then(db_url, monkeypatch):
    app = make_app(db_url, TILE_CACHE_MAX_MB=0.001)    # about 1 KB
    cache = tile_cache(app)
    fill(app)               # (its first sync trimmed an empty cache: none again for 5 min)
    assert sum(size for _, size in disk_files(app).values()) > 1024
    monkeypatch.setattr(trim, "TRIM_SECONDS", 0.0)
    cache.apply([])                                     # what every sync does
    wait_for_trim(cache, 0)
    assert sum(size for _, size in disk_files(app).values()) <= 1024 * trim.TRIM_TO
    assert not [d for d, subdirs, names in os.walk(tile_dir(app)) if not subdirs and not names]

    monkeypatch.setattr(trim, "TRIM_SECONDS", 300.0)
    cache.clear()
    fill(app)                                           # over the limit again, but
    cache.apply([])                                     # the last trim is too recent
    time.sleep(0.3)
    assert sum(size for _, size in disk_files(app).values()) > 1024
    monkeypatch.setattr(trim, "TRIM_SECONDS", 0.0)
    before = cache.trim.deleted
    cache.apply([])
    wait_for_trim(cache, before)
    close_app(app)


def test_no_limit_and_no_disk_trim_nothing(db_url):
    app = make_app(db_url, TILE_CACHE_MAX_MB=0)
    cache = tile_cache(app)
    fill(app)
    cache.apply([])
    time.sleep(0.2)
    assert cache.trim.deleted == 0 and len(disk_files(app)) == len(TILES)
    close_app(app)
    memory_only = make_app(db_url, TILE_CACHE_DIR="")
    tile_cache(memory_only).trim.due(True)              # no directory: a no-op
    close_app(memory_only)
