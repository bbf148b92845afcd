"""GET /api/export/<layer>: a layer the caller may see, as a GeoJSON, GeoPackage,
zipped Shapefile or CSV file."""
from __future__ import annotations

from flask import Blueprint, Response, request

from .. import db
from ..accounts.web_auth import current_viewer
from ..areas.features import parse_code
from .export import FORMATS, export_file, layer_rows, parse_format, parse_layer

bp = Blueprint("export", __name__)


@bp.get("/api/export/<layer>")
def export_layer(layer: str):
    """Export a layer (area levels, facilities, cases, households) within the caller's rights."""
    layer = parse_layer(layer)
    fmt = parse_format(request.args.get("format"))
    area = parse_code(request.args["area"], "area") if request.args.get("area") else None
    viewer = current_viewer()
    # A write transaction: exporting households records an audit row with the read.
    with db.write() as conn:
        data = layer_rows(conn, viewer, layer, area)
    content, name = export_file(data, layer, fmt)
    return Response(content, mimetype=FORMATS[fmt][2], headers={
        "Content-Disposition": f"attachment; filename={name}",
        "X-Feature-Count": str(len(data["rows"]))})
