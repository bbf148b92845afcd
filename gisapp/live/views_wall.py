"""The map wall page (/wall) and the JSON behind its panel."""
from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for

from .. import db
from ..accounts.small_counts import threshold
from ..accounts.web_auth import current_viewer
from ..areas.basemap import find_mbtiles, vector_style
from ..areas.features import parse_int
from ..cases.report import now
from .wall import WALL_ROLES, choropleth, require_wall, summary, wall_extent

bp = Blueprint("wall", __name__)
WALL_STYLE = Path(__file__).resolve().parent.parent / "static" / "wall" / "style.json"


@bp.get("/wall")
def wall_page():
    """大屏: the whole city live. ?kiosk=1&interval=30 cycles through the districts."""
    viewer = current_viewer()
    if viewer.is_public:
        return redirect(url_for("auth.login_form", next=request.full_path.rstrip("?")), code=303)
    if viewer.role not in WALL_ROLES:
        return render_template("wall/forbidden.html"), 403
    kiosk = request.args.get("kiosk") in ("1", "true")
    interval = parse_int(request.args.get("interval"), "interval", 30, 5, 3600)
    with db.read() as conn:
        extent = wall_extent(conn)
    raster = _basemap(current_app.config)
    # Without a raster base map the wall draws the offline vector one, dark, under its layers.
    # Both styles travel in the page: the map starts when its script runs, not two
    # requests later (docs/wall.md, "Cold start").
    origin = request.host_url.rstrip("/") + request.script_root
    styles = {"wall": json.loads(WALL_STYLE.read_text()),
              "base": None if raster else vector_style("base-dark", origin)}
    return render_template("wall/wall.html", kiosk=kiosk, interval=interval, basemap=raster,
                           styles=styles, extent=extent)


def _basemap(cfg) -> dict | None:
    """The base map the wall draws under everything, if one is configured or offline."""
    mbtiles = find_mbtiles(cfg["TILES_DIR"])
    if mbtiles is not None:
        return {"url": f"{request.host_url.rstrip('/')}{request.script_root}"
                       f"/tiles/basemap/{{z}}/{{x}}/{{y}}.{mbtiles.format}",
                "attribution": mbtiles.attribution, "maxNativeZoom": mbtiles.maxzoom}
    if cfg["BASEMAP_URL"]:
        return {"url": cfg["BASEMAP_URL"], "attribution": cfg["BASEMAP_ATTRIBUTION"]}
    return None


@bp.get("/api/wall/summary")
def wall_summary():
    viewer = current_viewer()
    require_wall(viewer)
    with db.read_replica() as conn:
        return jsonify(summary(conn, viewer, now(), threshold()))


@bp.get("/api/wall/choropleth")
def wall_choropleth():
    """?level=community&days=30: cases per 1,000 households per area."""
    viewer = current_viewer()
    require_wall(viewer)
    days = parse_int(request.args.get("days"), "days", 30, 1, 3660)
    with db.read_replica() as conn:
        return jsonify(choropleth(conn, viewer, request.args.get("level", "community"), days, now(),
                                  threshold()))
