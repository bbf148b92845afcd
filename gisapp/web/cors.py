"""Cross-origin reads (CORS) of the tiles, the OGC API and the JSON APIs, as Martin and tipg do.

- A request without credentials (no Authorization header, no session cookie) gets what
  the public gets, so any origin may read it: `Access-Control-Allow-Origin: *`.
- A request with credentials gets a grant only for an origin in the allow-list
  (GISAPP_CORS_ORIGINS, comma-separated): that origin, echoed, with
  `Access-Control-Allow-Credentials: true`. Never `*` with credentials.
- A preflight (OPTIONS with Access-Control-Request-Method) is answered: listed origins may
  use every method and send credentials; any other origin may only read (GET, HEAD),
  without an Authorization header.

Pages are not shared. The tile fast path (tile_fastpath.py) calls `cors_headers` too, so
both paths answer alike.
"""
from __future__ import annotations

from flask import Flask, request
from werkzeug.http import parse_cookie

from ..accounts.web_auth import SESSION_COOKIE

SHARED_PREFIXES = ("/tiles/", "/ogc", "/api/", "/openapi.json")
EXPOSED = "ETag, Link, Content-Disposition"
READ_METHODS = "GET, HEAD, OPTIONS"
ALL_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
# An Authorization header is never granted to an unlisted origin (a wildcard cannot allow it).
READ_HEADERS = "Accept, Accept-Language, Content-Language, Content-Type, If-None-Match"
CREDENTIAL_HEADERS = READ_HEADERS + ", Authorization, X-CSRF-Token"
MAX_AGE = "600"


def allowed_origins(app: Flask) -> frozenset[str]:
    """The origins that may send credentials (GISAPP_CORS_ORIGINS), parsed once."""
    raw = app.config.get("CORS_ORIGINS") or ""
    cached = app.extensions.get("gisapp_cors")
    if cached is None or cached[0] != raw:
        items = raw.split(",") if isinstance(raw, str) else list(raw)
        cached = app.extensions["gisapp_cors"] = (
            raw, frozenset(o.strip().rstrip("/") for o in items if o.strip()))
    return cached[1]


def has_credentials(environ) -> bool:
    """Whether the request carries credentials (a bearer token or a session cookie)."""
    if environ.get("HTTP_AUTHORIZATION"):
        return True
    cookie = environ.get("HTTP_COOKIE")
    return bool(cookie) and SESSION_COOKIE in parse_cookie(cookie)


def cors_headers(app: Flask, environ) -> list[tuple[str, str]]:
    """The CORS headers of the answer to this request ([] for pages)."""
    if not environ.get("PATH_INFO", "").startswith(SHARED_PREFIXES):
        return []
    origin = environ.get("HTTP_ORIGIN")
    listed = origin is not None and origin in allowed_origins(app)
    preflight = (environ.get("REQUEST_METHOD") == "OPTIONS"
                 and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ)
    if listed:
        headers = [("Access-Control-Allow-Origin", origin),
                   ("Access-Control-Allow-Credentials", "true"), ("Vary", "Origin")]
    elif has_credentials(environ) and not preflight:
        return [("Vary", "Origin")]       # credentials from an unlisted origin: no grant
    else:
        headers = [("Access-Control-Allow-Origin", "*")]
    if preflight:
        return headers + [
            ("Access-Control-Allow-Methods", ALL_METHODS if listed else READ_METHODS),
            ("Access-Control-Allow-Headers", CREDENTIAL_HEADERS if listed else READ_HEADERS),
            ("Access-Control-Max-Age", MAX_AGE)]
    return headers + [("Access-Control-Expose-Headers", EXPOSED)]


def init_app(app: Flask) -> None:
    """Add the CORS headers to every answer Flask gives (the fast path adds its own)."""
    @app.after_request
    def add_cors_headers(resp):
        for key, value in cors_headers(app, request.environ):
            if key == "Vary":
                resp.headers.add(key, value)     # a line of its own, as the fast path sends it
            else:
                resp.headers[key] = value
        return resp
