"""Editing tiles/ under a running app: the registry is re-read (gisapp.tiles.layers), and
no tile built by the old files is served again, from memory, from disk, or by the fast
path; a process that starts with the old files never reads the new files' disk tiles."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from gisapp.tiles import layers
from gisapp.tiles.service import tile_cache

from ..wall_support import close_app, make_app, tile_at, tile_dir, url

ROOT = Path(__file__).resolve().parents[2]
TILE = url("community", *tile_at(121.51, 38.99, 14))


def copied_tiles() -> Path:
    tiles = Path(tempfile.mkdtemp(prefix="gisapp-layers-"))
    shutil.copytree(ROOT / "tiles", tiles, dirs_exist_ok=True)
    return tiles


def edit_extent(tiles: Path, extent: int) -> None:
    toml = tiles / "layers.toml"
    text = toml.read_text()
    start = text.index("extent = ") + len("extent = ")
    end = text.index(" ", start)
    toml.write_text(text[:start] + str(extent) + text[end:])


def fetch(client) -> tuple[bytes, str]:
    resp = client.get(TILE)
    assert resp.status_code == 200
    return resp.data, resp.headers["ETag"]


@pytest.fixture
def now(monkeypatch):
    """The layer files looked at on every request, not once a second."""
    monkeypatch.setattr(layers, "REGISTRY_CHECK_SECONDS", -1.0)


def test_a_layer_edit_replaces_every_cached_tile(db_url, now):
    tiles = copied_tiles()
    app = make_app(db_url, TILES_DIR=str(tiles))
    client, cache = app.test_client(), tile_cache(app)
    before, etag = fetch(client)
    renders = cache.renders
    assert fetch(client) == (before, etag) and cache.renders == renders      # cached

    edit_extent(tiles, 512)
    fresh = make_app(db_url, TILES_DIR=str(tiles))          # its own empty cache
    expected = fetch(fresh.test_client())[0]
    assert expected != before
    assert fetch(client)[0] == expected and cache.renders == renders + 1
    assert fetch(client)[0] == expected and cache.renders == renders + 1     # kept
    assert client.get(TILE, headers={"If-None-Match": etag}).status_code == 200

    # Another process still on the old files, sharing the disk directory, keeps its own.
    edit_extent(tiles, 4096)
    old = make_app(db_url, TILES_DIR=str(tiles), TILE_CACHE_DIR=str(tile_dir(app)))
    assert fetch(old.test_client())[0] == before
    assert fetch(client)[0] == before                       # and back again
    for each in (app, fresh, old):
        close_app(each)
    shutil.rmtree(tiles)


def test_a_tile_rendered_by_the_old_files_is_not_kept(db_url, now):
    """A render that began before the edit answers its request, but is not stored."""
    tiles = copied_tiles()
    app = make_app(db_url, TILES_DIR=str(tiles))
    cache = tile_cache(app)
    with app.app_context():
        from gisapp.tiles.service import registry
        old_digest = registry().digest
    edit_extent(tiles, 512)
    key = ("any", "community", *tile_at(121.51, 38.99, 14))
    cache.put(key, b"old tile", gen=cache.applied, digest=old_digest)
    assert cache.get(key) is None and not any(tile_dir(app).rglob("*.pbf"))
    close_app(app)
    shutil.rmtree(tiles)
