"""Cached tiles answered before Flask: the hot path of the map wall.

A wall or a phone map asks for dozens of tiles a second, nearly all of them already in
this process's cache. For `GET /tiles/<layer>/<z>/<x>/<y>.pbf` (with at most `?g=<n>`)
whose answer is certain without Flask, `TileFastPath` answers from the cache directly.
It does not route, push a request context, or build Response objects.

It only ever serves what the view would serve at that moment, and it uses the same
parts: the address parser (gisapp.tiles.address); the reading of the request's
credential and the credential cache for who is asking (gisapp.accounts.web_auth);
`access_class` for which copy of the tile they may see; the tile cache's keys; and the
same headers. Everything it is not
sure of goes to the Flask view, which stays the one place that renders, validates,
refuses and audits:
- a cache miss;
- a credential this process has not resolved yet, or one that expired;
- a household tile that carries personal data (the view audits each read);
- a generation `g` this process has not caught up with, or a sync that is due (no
  sync within TILE_SYNC_SECONDS: the listener is down, or no request has taken it);
- anything malformed.
tests/tiles/test_tile_fastpath.py checks that both paths answer alike.
"""
from __future__ import annotations

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from ..accounts.access import Viewer
from ..accounts.web_auth import credential_of, known_viewer
from ..errors import GisappError, Unauthenticated
from ..web.cors import cors_headers
from ..web.headers import security_headers
from .address import TileAddress, parse, split_path
from .layers import Registry, access_class, shows_personal_data
from .proxy import proxy_headers
from .service import MVT, etag_matches, registry, tile_headers

PREFIX = "/tiles/"


class TileFastPath:
    """WSGI middleware: cached tile hits here, everything else to the app."""

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app, self.app = wsgi_app, app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") == "GET" and path.startswith(PREFIX):
            answer = self.cached(environ)
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)
                return [body]
        return self.wsgi_app(environ, start_response)

    def cached(self, environ) -> tuple[str, list, bytes] | None:
        """(status, headers, body) of a cached tile, or None: let the view answer."""
        app = self.app
        found = _address(app, environ)
        if found is None:
            return None
        reg, address = found
        cache = app.extensions.get("gisapp_tile_cache")
        # Not whether the listener runs (Thread.is_alive yields to gevent's hub on every
        # call, which was the 16-connection tail), but whether whoever keeps the cache
        # current (the listener, or a request) has synced within TILE_SYNC_SECONDS.
        if cache is None or cache.sync_due(app.config["TILE_SYNC_SECONDS"], address.generation):
            return None                 # the view catches up first
        layer, zoom = address.layer, address.z
        viewer = self._viewer(environ)
        if viewer is None or shows_personal_data(layer, viewer, zoom):
            return None
        cls = access_class(layer, viewer)
        if layer.kind == "cases" and viewer.is_public and not layer.public_sql:
            return None                 # the view answers 401
        entry = cache.get((cls, layer.name, zoom, address.x, address.y))
        if entry is None or cache.digest != reg.digest:
            return None                 # (the layer files changed just now)
        headers = (tile_headers(entry.etag, cls) + security_headers(app)
                   + cors_headers(app, environ)
                   + proxy_headers(layer.name, zoom, address.x, address.y, cls, entry.expires,
                                   reg.digest))
        if etag_matches(environ.get("HTTP_IF_NONE_MATCH"), entry.etag):
            return "304 NOT MODIFIED", headers, b""
        return ("200 OK", [("Content-Type", MVT), ("Content-Length", str(len(entry.data))),
                           *headers], entry.data)

    def _viewer(self, environ) -> Viewer | None:
        """Who is asking, if this process already knows without the database (the
        same reading of the request and the same cache as the view's)."""
        try:
            credential = credential_of(environ)
            if credential is None:
                return Viewer.public()
            return known_viewer(self.app.extensions["gisapp_credentials"], credential)
        except (Unauthenticated, SQLAlchemyError):
            return None                 # the view refuses, or reports the database's state


def _address(app: Flask, environ) -> tuple[Registry, TileAddress] | None:
    """The tile a request names, parsed as the view parses it, or None. Only a bare path
    or `?g=<n>`: any other query is left to the view."""
    query = environ.get("QUERY_STRING", "")
    if query and not query.startswith("g="):
        return None
    try:
        parts = split_path(environ.get("PATH_INFO", "")[len(PREFIX):])
        reg = registry(app)                 # (only for what looks like a tile)
        return reg, parse(reg, parts, query[2:] if query else None)
    except (HTTPException, GisappError):
        return None
