"""Cached tiles answered before Flask: the hot path of the map wall.

A wall or a phone map asks for dozens of tiles a second, nearly all of them already in
this process's cache. For `GET /tiles/<layer>/<z>/<x>/<y>.pbf` (with at most `?g=<n>`)
whose answer is certain without Flask, `TileFastPath` answers from the cache directly.
It does not route, push a request context, or build Response objects.

It only ever serves what the view would serve at that moment, and it uses the same
parts: the credential cache for who is asking, `access_class` for which copy of the
tile they may see, the tile cache's keys, and the same headers. Everything it is not
sure of goes to the Flask view, which stays the one place that renders, validates,
refuses and audits:
- a cache miss;
- a credential this process has not resolved yet, or one that expired;
- a household tile that carries personal data (the view audits each read);
- a generation `g` this process has not caught up with, or a sync that is due;
- a listener that is not running;
- anything malformed.
tests/tiles/test_tile_fastpath.py checks that both paths answer alike.
"""
from __future__ import annotations

import time

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import parse_cookie

from .. import security_headers
from ..accounts.access import Viewer
from ..accounts.credential_cache import credential_key
from ..accounts.web_auth import SESSION_COOKIE
from ..web.cors import cors_headers
from .layers import access_class, shows_personal_data
from .service import MVT, etag_matches, registry, tile_headers

PREFIX = "/tiles/"
MAX_DIGITS = 9          # as parse_int in the view: z, x and y are [0-9]{1,9}


class TileFastPath:
    """WSGI middleware: cached tile hits here, everything else to the app."""

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app, self.app = wsgi_app, app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO", "").startswith(PREFIX):
            answer = self.cached(environ)
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)
                return [body]
        return self.wsgi_app(environ, start_response)

    def cached(self, environ) -> tuple[str, list, bytes] | None:
        """(status, headers, body) of a cached tile, or None: let the view answer."""
        address = _address(environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""))
        if address is None:
            return None
        name, zoom, col, row, generation = address
        app = self.app
        cache, live = app.extensions.get("gisapp_tile_cache"), app.extensions.get("gisapp_live")
        if cache is None or live is None or not live.listening() or not cache.started:
            return None
        if generation > cache.applied or \
                time.monotonic() - cache.last_sync >= app.config["TILE_SYNC_SECONDS"]:
            return None                 # the view catches up first
        layer = registry(app).layers.get(name)
        if layer is None or not layer.minzoom <= zoom <= layer.maxzoom or \
                col >= 2 ** zoom or row >= 2 ** zoom:
            return None
        viewer = self._viewer(environ)
        if viewer is None or shows_personal_data(layer, viewer, zoom):
            return None
        cls = access_class(layer, viewer)
        if layer.kind == "cases" and viewer.is_public and not layer.public_sql:
            return None                 # the view answers 401
        entry = cache.get((cls, layer.name, zoom, col, row))
        if entry is None:
            return None
        headers = tile_headers(entry.etag, cls) + security_headers(app) + cors_headers(app, environ)
        if etag_matches(environ.get("HTTP_IF_NONE_MATCH"), entry.etag):
            return "304 NOT MODIFIED", headers, b""
        return ("200 OK", [("Content-Type", MVT), ("Content-Length", str(len(entry.data))),
                           *headers], entry.data)

    def _viewer(self, environ) -> Viewer | None:
        """Who is asking, if this process already knows without the database."""
        credentials = self.app.extensions["gisapp_credentials"]
        header = environ.get("HTTP_AUTHORIZATION")
        try:
            if header:
                scheme, _, secret = header.partition(" ")
                if scheme.lower() != "bearer" or not secret.strip():
                    return None
                return credentials.get(credential_key("token", secret.strip()))[0]
            cookie = environ.get("HTTP_COOKIE")
            if not cookie:
                return Viewer.public()
            session = parse_cookie(cookie).get(SESSION_COOKIE)     # as request.cookies does
            if not session:
                return Viewer.public()
            found = credentials.get(credential_key("session", session))[0]
        except SQLAlchemyError:
            return None                 # the view reports the database's state
        return found[0] if found is not None else None


def _address(path: str, query: str) -> tuple[str, int, int, int, int] | None:
    """(layer, z, x, y, g) of a well-formed tile path, or None."""
    generation = 0
    if query:
        if not query.startswith("g="):
            return None
        raw = query[2:]
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
            return None
        generation = int(raw)
    parts = path[len(PREFIX):].split("/")
    if len(parts) != 4 or not parts[3].endswith(".pbf"):
        return None
    z, x, y = parts[1], parts[2], parts[3][:-4]
    for raw in (z, x, y):
        if not (raw.isascii() and raw.isdigit() and len(raw) <= MAX_DIGITS):
            return None
    return parts[0], int(z), int(x), int(y), generation
