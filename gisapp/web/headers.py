"""The headers every response carries: no sniffing, same-origin referrers, a strict CSP."""
from __future__ import annotations

from flask import Flask


def security_headers(app: Flask) -> list[tuple[str, str]]:
    """The headers every response carries, built once per basemap setting."""
    basemap = app.config.get("BASEMAP_URL") or ""
    built = app.extensions.setdefault("gisapp_security_headers", {})
    if basemap not in built:
        # Pages load only our own assets; folium's generated map needs inline script/style.
        built[basemap] = [
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "same-origin"),
            ("Content-Security-Policy",
             "default-src 'self'; script-src 'self' 'unsafe-inline'; "
             "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:"
             + _basemap_origin(app) + "; font-src 'self' data:; connect-src 'self'; "
             # The base map's worker from a blob of our own file when offline
             # (js/basemap-layer.js).
             "worker-src 'self' blob:; "
             "frame-ancestors 'self'; base-uri 'self'; form-action 'self'")]
    return built[basemap]


def init_app(app: Flask) -> None:
    """Add the security headers to every response that does not set its own."""
    @app.after_request
    def add_security_headers(resp):
        present = {key.lower() for key in resp.headers.keys()}
        for key, value in security_headers(app):
            if key.lower() not in present:       # a view may set its own (e.g. a stricter CSP)
                resp.headers.add(key, value)
        return resp


def _basemap_origin(app: Flask) -> str:
    url = app.config.get("BASEMAP_URL") or ""
    if "://" not in url:
        return ""
    scheme, rest = url.split("://", 1)
    host = rest.split("/", 1)[0].replace("{s}", "*")
    return f" {scheme}://{host}"
