"""Vector tiles: /tiles/<layer>/<z>/<x>/<y>.pbf and the layer catalogue /tiles/layers.json."""
from __future__ import annotations

import re

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import NotFound

from .. import db
from ..accounts import audit
from ..accounts.web_auth import current_viewer
from ..errors import BadInput
from .layers import layer_catalogue
from .service import MVT, ServedTile, etag_matches, fetch_tile, registry, tile_headers

bp = Blueprint("tiles", __name__)


@bp.get("/tiles/layers.json")
def layers():
    """Each layer's name, kind, zoom range and URL template, for map clients."""
    return jsonify({"layers": layer_catalogue(registry())})


# One path converter, split here: routing /<layer>/<z>/<x>/<y>.pbf as four converters
# cost werkzeug 9 us more per request, the price of a whole cached tile.
@bp.get("/tiles/<path:address>")
def tile(address: str):
    """One tile (<layer>/<z>/<x>/<y>.pbf) as the viewer may see it; 304 when the
    client's ETag still holds."""
    parts = address.split("/")
    if len(parts) != 4 or not parts[3].endswith(".pbf") or not all(parts) or parts[3] == ".pbf":
        raise NotFound()
    layer, z, x, y = parts[0], parts[1], parts[2], parts[3][:-4]
    viewer = current_viewer()
    served = fetch_tile(layer, z, x, y, viewer, _generation(request.args.get("g")))
    if served.personal:
        with db.write() as conn:
            audit.record(conn, viewer, "read.household_tile", f"{layer}/{z}/{x}/{y}")
    return _response(served)


def _generation(raw: str | None) -> int:
    if not raw:
        return 0
    if not re.fullmatch(r"[0-9]{1,18}", raw):
        raise BadInput("g must be a whole number (a tile generation)", field="g")
    return int(raw)


def _response(served: ServedTile) -> Response:
    # Built by hand, not with make_conditional: a cached tile is answered in tens of
    # microseconds, and the generic conditional machinery cost as much again.
    headers = tile_headers(served.entry.etag, served.access_class)
    if etag_matches(request.environ.get("HTTP_IF_NONE_MATCH"), served.entry.etag):
        return Response(status=304, headers=headers)
    return Response(served.entry.data, mimetype=MVT, headers=headers)
