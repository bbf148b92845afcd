"""The area map (/), the offline raster base map's tiles (/tiles/basemap/<z>/<x>/<y>.<ext>)
and the vector base map's styles (/styles/base-light.json, /styles/base-dark.json)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from ..errors import NotFound
from .basemap import (
    MAX_ZOOM,
    VECTOR_STYLES,
    MBTiles,
    base_layers,
    find_mbtiles,
    raster_configured,
    read_tile,
    vector_style,
)
from .features import parse_int
from .map_view import TITLE, build_map, render_parts

bp = Blueprint("map_page", __name__)

TILE_MAX_AGE = 86400


@bp.get("/")
def home():
    """The area map under the shared top bar; folium's part is cached per configuration."""
    return render_template("map/index.html", title=TITLE, folium=_folium_parts())


@bp.get("/tiles/basemap/<z>/<x>/<y>.<ext>")
def basemap_tile(z: str, x: str, y: str, ext: str):
    """One tile of the offline MBTiles base map, addressed XYZ-style (y from the north)."""
    zoom = parse_int(z, "z", 0, 0, MAX_ZOOM)
    col = parse_int(x, "x", 0, 0, 2 ** zoom - 1)
    row = parse_int(y, "y", 0, 0, 2 ** zoom - 1)
    mbtiles = find_mbtiles(current_app.config["TILES_DIR"])
    if mbtiles is None or ext.lower().replace("jpeg", "jpg") != mbtiles.format:
        raise NotFound("没有离线底图 (no offline base map with this format)")
    data = read_tile(mbtiles, zoom, col, row)
    if data is None:
        raise NotFound(f"离线底图没有瓦片 {zoom}/{col}/{row} (no such tile)", z=zoom, x=col, y=row)
    resp = Response(data, mimetype=mbtiles.content_type)
    resp.headers["Cache-Control"] = f"public, max-age={TILE_MAX_AGE}"
    return resp


@bp.get("/styles/<name>.json")
def base_style(name: str):
    """A MapLibre style of the vector base map (light for the pages, dark for the wall)."""
    if name not in VECTOR_STYLES:
        raise NotFound(f"没有样式 {name} (no style {name!r}; one of {', '.join(VECTOR_STYLES)})")
    resp = jsonify(vector_style(name, request.host_url.rstrip("/") + request.script_root))
    resp.headers["Cache-Control"] = "public, no-cache"
    return resp


@bp.app_template_global()
def vector_basemap() -> dict | None:
    """What templates/_basemap.html needs to draw the vector base map, or None when a
    configured raster base map replaces it."""
    if raster_configured(current_app.config):
        return None
    return {"style": url_for("map_page.base_style", name="base-light"),
            "worker": url_for("assets.vendor", path="maplibre-gl/dist/maplibre-gl-csp-worker.js")}


def _folium_parts() -> dict[str, str]:
    cfg = current_app.config
    mbtiles = find_mbtiles(cfg["TILES_DIR"])
    # Everything the page depends on: a new MBTiles file or base map URL renders anew.
    key = (cfg["BASEMAP_URL"], cfg["BASEMAP_ATTRIBUTION"], mbtiles, request.script_root)
    cache = current_app.extensions.setdefault("gisapp_map_page", {})
    if key not in cache:
        cache.clear()
        cache[key] = _render(cfg, mbtiles)
    return cache[key]


def _render(cfg, mbtiles: MBTiles | None) -> dict[str, str]:
    urls = {
        "areas": url_for("areas.area_list"),
        "detail": url_for("areas.area_list") + "/",
        "js": url_for("static", filename="js/areas-map.js"),
        "css": url_for("static", filename="css/areas-map.css"),
        # Optional: without accounts the popups simply show no staff contacts.
        "login": _url_if_routed("auth.login_form", next=url_for("map_page.home")),
    }
    tile_url = None
    if mbtiles is not None:
        # url_for would percent-encode the {z}/{x}/{y} placeholders Leaflet fills in.
        tile_url = f"{request.script_root}/tiles/basemap/{{z}}/{{x}}/{{y}}.{mbtiles.format}"
    m = build_map(urls, base_layers(cfg, mbtiles, tile_url))
    return render_parts(m, lambda path: url_for("assets.vendor", path=path))


def _url_if_routed(endpoint: str, **values) -> str | None:
    return url_for(endpoint, **values) if endpoint in current_app.view_functions else None
