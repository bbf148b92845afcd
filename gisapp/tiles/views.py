"""Vector tiles: /tiles/<layer>/<z>/<x>/<y>.pbf and the layer catalogue /tiles/layers.json."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from .. import db
from ..accounts import audit
from ..accounts.web_auth import current_viewer
from .address import TileAddress, parse, split_path
from .layers import layer_catalogue, parse_address
from .proxy import access_class_of, proxy_headers
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
    where = parse(registry(), parts, request.args.get("g"))
    served = serve(where, viewer)
    if served.personal:
        with db.write() as conn:
            audit.record(conn, viewer, "read.household_tile", address.removesuffix(".pbf"))
    return _response(served, where)


@bp.get("/tiles/access-class/<layer>/<z>")
def access_class(layer: str, z: str):
    """The shared cache slot the proxy may answer this viewer's tiles of a layer and zoom
    from ("any", "public"), or "private" (gisapp.tiles.proxy). Only chooses a cache slot:
    each tile request still decides access itself."""
    reg = registry()
    found = reg.layer(layer)
    zoom = parse_address(found, z, "0", "0")[0]
    cls = access_class_of(found, current_viewer(), zoom)
    return jsonify({"class": cls}), 200, {"X-Tile-Class": cls, "X-Tile-Layers": reg.digest,
                                          "Cache-Control": "private"}


def _response(served: ServedTile, where: TileAddress) -> Response:
    # Built by hand, not with make_conditional: a cached tile is answered in tens of
    # microseconds, and the generic conditional machinery cost as much again.
    headers = tile_headers(served.entry.etag, served.access_class) + proxy_headers(
        served.layer.name, where.z, where.x, where.y, served.access_class,
        served.entry.expires, served.digest, served.fresh)
    if etag_matches(request.environ.get("HTTP_IF_NONE_MATCH"), served.entry.etag):
        return Response(status=304, headers=headers)
    return Response(served.entry.data, mimetype=MVT, headers=headers)
