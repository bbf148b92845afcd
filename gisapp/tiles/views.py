"""Vector tiles: /tiles/<layer>/<z>/<x>/<y>.pbf and the layer catalogue /tiles/layers.json."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from .. import db
from ..accounts import audit
from ..accounts.web_auth import current_viewer
from .address import parse, split_path
from .layers import layer_catalogue
from .service import MVT, ServedTile, etag_matches, registry, serve, tile_headers

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
    parts = split_path(address)
    viewer = current_viewer()
    served = serve(parse(registry(), parts, request.args.get("g")), viewer)
    if served.personal:
        with db.write() as conn:
            audit.record(conn, viewer, "read.household_tile", address.removesuffix(".pbf"))
    return _response(served)


def _response(served: ServedTile) -> Response:
    # Built by hand, not with make_conditional: a cached tile is answered in tens of
    # microseconds, and the generic conditional machinery cost as much again.
    headers = tile_headers(served.entry.etag, served.access_class)
    if etag_matches(request.environ.get("HTTP_IF_NONE_MATCH"), served.entry.etag):
        return Response(status=304, headers=headers)
    return Response(served.entry.data, mimetype=MVT, headers=headers)
