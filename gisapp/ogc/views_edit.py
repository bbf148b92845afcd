"""OGC API – Features Part 4: POST items, PUT and DELETE items/{fid}, for boundaries."""
from __future__ import annotations

import re

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from .. import db, index
from ..accounts.access import SUPERVISORS
from ..accounts.web_auth import current_viewer
from ..areas.features import parse_code
from ..boundaries.input_checks import read_body
from ..errors import BadInput
from .crs import parse_crs_uri
from .edit import create_area, delete_area, parse_feature, replace_area
from .feature_collections import get_collection

bp = Blueprint("ogc_edit", __name__, url_prefix="/ogc")
_ETAG = re.compile(r'^(W/)?"?([0-9]{1,9})"?$')


def _editor():
    """The caller, once known to be a supervisor (before any body is read)."""
    viewer = current_viewer()
    viewer.require_role(*SUPERVISORS)
    return viewer


def _feature():
    crs = (request.headers.get("Content-Crs") or "").strip().strip("<>")
    body = read_body(request, current_app.config["MAX_CONTENT_LENGTH"])
    return parse_feature(body, parse_crs_uri(crs or None, "Content-Crs", phone=True))


def _if_match() -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    m = _ETAG.match(raw.strip())
    if m is None:
        raise BadInput('If-Match must be the ETag of the item, e.g. "3"', field="If-Match")
    return int(m.group(2))


def _saved(operation, *args):
    """Run one write in one transaction; then make lookups see it at once."""
    with db.write() as conn:
        summary = operation(conn, *args)
    index().refresh(force=True)
    return summary


@bp.post("/collections/<collection_id>/items")
def create_item(collection_id: str):
    """Create an area: it takes the drawn polygon from its siblings."""
    viewer = _editor()
    coll = get_collection(collection_id, viewer)
    summary = _saved(create_area, viewer, coll, _feature())
    resp = jsonify(summary)
    resp.status_code = 201
    resp.headers["Location"] = url_for("ogc.item", collection_id=coll.id, fid=summary["code"],
                                       _external=True)
    return resp


@bp.put("/collections/<collection_id>/items/<fid>")
def replace_item(collection_id: str, fid: str):
    """Replace an area's boundary (and name)."""
    viewer = _editor()
    coll = get_collection(collection_id, viewer)
    code = parse_code(fid, "fid")
    summary = _saved(replace_area, viewer, coll, code, _feature(), _if_match())
    return jsonify(summary)


@bp.delete("/collections/<collection_id>/items/<fid>")
def delete_item(collection_id: str, fid: str):
    """Retire an area into a sibling (?to=<code>, or the one sharing the longest edge)."""
    viewer = _editor()
    coll = get_collection(collection_id, viewer)
    code = parse_code(fid, "fid")
    heir = parse_code(request.args["to"], "to") if request.args.get("to") else None
    _saved(delete_area, viewer, coll, code, heir, _if_match())
    return Response(status=204)
