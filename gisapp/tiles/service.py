"""Serving a tile: the layer, the viewer's access class, the cache, and a render on a miss."""
from __future__ import annotations

from dataclasses import dataclass, replace

from flask import Flask, current_app
from sqlalchemy import text
from werkzeug.http import parse_etags

from .. import db
from ..accounts.access import Viewer
from ..live.hub import hub
from .address import TileAddress, parse
from .cache import Entry, TileCache
from .layers import (
    Layer,
    Registry,
    access_class,
    load_registry,
    render_tile,
    shows_personal_data,
)
from .proxy import SHARED_CLASSES, ProxyBans

MVT = "application/vnd.mapbox-vector-tile"
# Always revalidate (a 304 is cheap): invalidation is exact on the server, and a browser
# keeping tiles for a fixed time would show stale cases and boundaries.
_SHARED = (("Cache-Control", "public, no-cache"),)
_PRIVATE = (("Cache-Control", "private, no-cache"), ("Vary", "Cookie, Authorization"))


def tile_headers(etag: str, access_class: str) -> list[tuple[str, str]]:
    """ETag and caching headers of a tile response (the view's and the fast path's)."""
    return [("ETag", etag), *(_SHARED if access_class in SHARED_CLASSES else _PRIVATE)]


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names this (quoted) ETag, weakly compared."""
    return bool(if_none_match) and parse_etags(if_none_match).contains_weak(etag.strip('"'))


@dataclass(frozen=True)
class ServedTile:
    """A tile ready to send, and what the response needs to know about it."""

    entry: Entry
    layer: Layer
    access_class: str
    personal: bool
    fresh: bool = True              # False: a change arrived during its render (not kept)
    digest: str = ""                # of the layer files it was built by (the proxy's slot)


def registry(app: Flask | None = None) -> Registry:
    """The tile layers of this app (tiles/layers.toml, re-read when it changes)."""
    return load_registry((app or current_app).config["TILES_DIR"])


def tile_cache(app: Flask | None = None) -> TileCache:
    """This process's tile cache, made on first use (so after gunicorn forks, never before)."""
    # The real app, not the context-bound proxy: the listener thread uses it too.
    app = app or current_app._get_current_object()
    cache = app.extensions.get("gisapp_tile_cache")
    if cache is None:
        cfg = app.config
        bans = ProxyBans.for_urls(cfg["TILE_PROXY_BAN_URL"], lambda: registry(app))
        cache = TileCache(lambda: registry(app), cfg["TILE_CACHE_DIR"] or None,
                          # Tiles built under another small-count threshold are not ours.
                          f"{cfg['DATABASE_URL']}|small={cfg['SMALL_COUNT']}",
                          cfg["TILE_MEMORY_ENTRIES"], bans,
                          int(cfg["TILE_CACHE_MAX_MB"] * 1024 * 1024))
        cache = app.extensions.setdefault("gisapp_tile_cache", cache)
    return cache


def catch_up_for(app: Flask):
    """The live hub's catch-up for this app's tile cache: apply the invalidations recorded
    so far, and give each event the generation they reach (a page asks for tiles of it)."""
    def catch_up(conn) -> dict:
        return {"tiles": tile_cache(app).sync(conn)}
    return catch_up


def fetch_tile(layer_name: str, z: str, x: str, y: str, viewer: Viewer,
               min_generation: int = 0) -> ServedTile:
    """The tile z/x/y of a layer as `viewer` may see it (address as written; BadInput or
    NotFound when it names no tile)."""
    address = parse(registry(), (layer_name, z, x, y))
    return serve(replace(address, generation=min_generation), viewer)


def serve(address: TileAddress, viewer: Viewer) -> ServedTile:
    """The tile at `address` as `viewer` may see it, cached or freshly built.

    Its `generation` (the `g` a live page got with an event) makes this process catch
    up with invalidations first, so a page never reloads a tile its event made stale.
    """
    reg, layer = registry(), address.layer
    cache = tile_cache()
    _catch_up(cache, address.generation)
    cls = access_class(layer, viewer)
    key = (cls, layer.name, address.z, address.x, address.y)
    personal = shows_personal_data(layer, viewer, address.z)
    entry = cache.get(key)
    if entry is not None:
        return ServedTile(entry, layer, cls, personal, digest=cache.digest)
    gen = cache.applied
    with render_connection() as conn:
        data, expires = render_tile(conn, reg, layer, viewer, address.z, address.x,
                                    address.y, current_app.config["SMALL_COUNT"])
    entry = cache.put(key, data, gen, personal, expires, reg.digest)
    return ServedTile(entry, layer, cls, personal, fresh=not cache.raced(key, gen),
                      digest=reg.digest)


def render_connection():
    """Where a missed tile is rendered: the replica, if it has replayed at least the
    primary's WAL position of now, taken after the cache's generation was read; so the
    tile shows every change that generation covers and may be cached under it. A
    replica behind that point (or none configured) leaves the render to the primary."""
    if current_app.extensions.get("gisapp_read_engine") is None:
        return db.read()
    with db.read() as conn:
        wanted = conn.execute(_PRIMARY_LSN).scalar()
    conn = db.read_replica()
    try:
        if conn.execute(_REPLAYED, {"lsn": wanted}).scalar():
            return conn
    except Exception:
        conn.close()
        raise
    conn.close()
    return db.read()


_PRIMARY_LSN = text("SELECT pg_current_wal_lsn()::text")
# On the proxy's fallback to the primary (no replica up) the node is not in recovery.
_REPLAYED = text("SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
                 "ELSE pg_current_wal_lsn() END >= CAST(:lsn AS pg_lsn)")


def _catch_up(cache: TileCache, min_generation: int) -> None:
    """Apply pending invalidations when due: first use, a page asks for it, or the
    fallback interval passed (the poller in gisapp.live.hub normally does it at once)."""
    app = current_app._get_current_object()
    live = app.extensions.get("gisapp_live")
    if live is None or not live.listening():
        hub(app).ensure_started()
    if cache.sync_due(app.config["TILE_SYNC_SECONDS"], min_generation, claim=True):
        with db.read() as conn:
            cache.sync(conn)
