"""Front-end assets installed from the npm registry at setup time, served from our origin.

Only whitelisted packages are reachable, so node_modules is not exposed wholesale.
"""
from __future__ import annotations

from pathlib import Path

import folium
from flask import Blueprint, abort, current_app, send_from_directory

bp = Blueprint("assets", __name__)

PACKAGES = (
    "leaflet", "jquery", "bootstrap", "leaflet.awesome-markers", "@fortawesome/fontawesome-free",
    "leaflet.markercluster", "leaflet.heat",
    "@geoman-io/leaflet-geoman-free", "chart.js", "maplibre-gl", "@maplibre/maplibre-gl-leaflet",
)
FOLIUM_TEMPLATES = Path(folium.__file__).parent / "templates"


@bp.get("/vendor/<path:path>")
def vendor(path: str):
    package = next((p for p in PACKAGES if path.startswith(p + "/")), None)
    if package is None:
        abort(404)
    resp = send_from_directory(current_app.config["ASSETS_DIR"], path, max_age=86400)
    return resp


@bp.get("/vendor-folium/<path:name>")
def folium_asset(name: str):
    """Static files that folium itself ships (e.g. the awesome-markers rotate CSS)."""
    if not name.endswith((".css", ".js")):
        abort(404)
    return send_from_directory(FOLIUM_TEMPLATES, name, max_age=86400)


@bp.get("/favicon.ico")
def favicon():
    """Our icon (an SVG we drew) for clients that ask the conventional path; pages link it."""
    return send_from_directory(Path(current_app.static_folder), "favicon.svg",
                               mimetype="image/svg+xml", max_age=86400)
