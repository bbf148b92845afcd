"""Helpers shared by the map-wall tests: an app with a private tile cache, tile addresses
and decoding."""
from __future__ import annotations

import tempfile
from pathlib import Path

import mapbox_vector_tile

from gisapp import create_app
from gisapp.tiles.layers import tile_range

# Household points of the tiny city sit at micro-grid centres (tests/tiny_city.py).
GRID_WORKER_HOME = (121.5125, 38.9875)      # micro-grid 210204001001001001
OTHER_WORKER_HOME = (121.5875, 38.9125)     # micro-grid 210204002002002002


def make_app(db_url: str, **extra):
    """The conftest app's settings, plus a tile cache of its own and exact syncing."""
    return create_app({
        "TESTING": True, "DATABASE_URL": db_url, "INDEX_REFRESH_SECONDS": 0.0,
        "AUTH_CACHE_SECONDS": 0.0,
        "LOGIN_ATTEMPTS_PER_MINUTE": 10_000,
        "PHOTO_DIR": tempfile.mkdtemp(prefix="gisapp-photos-"),
        "TILE_CACHE_DIR": tempfile.mkdtemp(prefix="gisapp-tiles-"),
        "TILE_SYNC_SECONDS": 0.0, **extra})


def tile_at(lng: float, lat: float, z: int) -> tuple[int, int, int]:
    """The z/x/y of the tile holding a point."""
    x, y, _, _ = tile_range((lng, lat, lng, lat), z)
    return z, x, y


def url(layer: str, z: int, x: int, y: int) -> str:
    return f"/tiles/{layer}/{z}/{x}/{y}.pbf"


def features(data: bytes, layer: str) -> list[dict]:
    """The properties of every feature of one layer in a tile."""
    if not data:
        return []
    decoded = mapbox_vector_tile.decode(data)
    return [f["properties"] for f in decoded.get(layer, {}).get("features", [])]


def tile_dir(app) -> Path:
    return Path(app.config["TILE_CACHE_DIR"])


def close_app(app) -> None:
    """Stop the app's listener (if it started one) and close its connections."""
    live = app.extensions.get("gisapp_live")
    if live is not None:
        live.stop()
    cache = app.extensions.get("gisapp_tile_cache")
    if cache is not None:
        cache.close()                   # its disk deleter role goes to the next process
    app.extensions["gisapp_engine"].dispose()


class EventStream:
    """A minimal Server-Sent Events client over http.client (what a browser's EventSource does)."""

    def __init__(self, base_url: str, headers: dict | None = None, last_id: str | None = None):
        import http.client
        from urllib.parse import urlsplit
        parts = urlsplit(base_url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        hdrs = {"Accept": "text/event-stream", **(headers or {})}
        if last_id is not None:
            hdrs["Last-Event-ID"] = str(last_id)
        self.conn.request("GET", "/api/events", headers=hdrs)
        self.sock = self.conn.sock      # http.client lets go of it once the response starts
        self.resp = self.conn.getresponse()

    def next(self, timeout: float = 2.0) -> dict:
        """The next message: {'id', 'event', 'data', 'retry', 'comments'} (missing keys absent)."""
        import json
        self.sock.settimeout(timeout)
        msg: dict = {}
        while True:
            line = self.resp.readline().decode()
            if line == "":
                raise EOFError("stream closed")
            line = line.rstrip("\n")
            if line == "":
                if msg:
                    return msg
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "":
                msg.setdefault("comments", []).append(value)
            elif field == "data":
                msg["data"] = json.loads(value)
            else:
                msg[field] = value

    def until(self, predicate, timeout: float = 2.0) -> dict:
        """Read messages until one satisfies `predicate` (or the time runs out)."""
        import time
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no matching event in time")
            msg = self.next(left)
            if predicate(msg):
                return msg

    def close(self) -> None:
        self.resp.close()
        self.sock.close()
        self.conn.close()


def case_event(case_id: int):
    """A predicate: the case event about this case."""
    return lambda m: m.get("event") == "case" and m["data"]["case"]["id"] == case_id


def wait_until(page, predicate, timeout: float = 5.0) -> None:
    """Poll `predicate()` (Python side, e.g. over the requests a page made) until it holds;
    waiting through the page, so Playwright keeps delivering its events meanwhile."""
    import time
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition never held")
        page.wait_for_timeout(50)
