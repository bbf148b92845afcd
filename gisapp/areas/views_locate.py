"""GET/POST /api/locate: which areas, and which people, serve a point."""
from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, request

from .. import index
from ..accounts.web_auth import current_viewer
from ..errors import BadInput, TooLarge
from ..web.jsonbody import parse_json_body
from .crs import parse_crs
from .locate import (
    describe_chain_json,
    find_areas_at,
    find_areas_many_json,
    parse_accuracy,
    parse_coordinate,
)

bp = Blueprint("locate", __name__)


@bp.get("/api/locate")
def locate_one():
    args = _query_args()
    lng = parse_coordinate(args.get("lng"), "lng")
    lat = parse_coordinate(args.get("lat"), "lat")
    crs = parse_crs(args.get("crs"))
    accuracy = parse_accuracy(args.get("accuracy"))
    staff = current_viewer().may_see_staff_contacts()
    snap = index().snapshot()
    answer = find_areas_at(snap, lng, lat, crs, accuracy, staff)
    # The chain of areas is the bulk of the answer: spliced from its encoded fragment.
    leaf = answer.pop("leaf_id")
    if accuracy is None:
        # Python's float repr is JSON's; crs is one of a fixed set of names.
        head = _PLAIN_HEAD % (lng, lat, crs, *answer["query"]["wgs84"])
    else:
        head = json.dumps({k: v for k, v in answer.items() if k != "areas"}, ensure_ascii=False)
    body = head[:-1] + ', "areas": ' + describe_chain_json(snap, leaf, staff) + "}"
    return Response(body, mimetype="application/json")


_PLAIN_HEAD = ('{"query": {"lng": %r, "lat": %r, "crs": "%s", "wgs84": [%r, %r], '
               '"accuracy": null}, "ambiguous": false}')


def _query_args():
    """request.args, parsed without werkzeug's MultiDict when nothing needs decoding.

    Single lookups are the busiest request a phone makes; a plain `lng=..&lat=..`
    splits in a microsecond. The first value of a repeated name wins, as with
    MultiDict.get.
    """
    raw = request.environ.get("QUERY_STRING", "")
    if "%" in raw or "+" in raw:
        return request.args
    args: dict[str, str] = {}
    for part in raw.split("&"):
        if part:
            name, _, value = part.partition("=")
            args.setdefault(name, value)
    return args


@bp.post("/api/locate")
def locate_many():
    body = parse_json_body(request, current_app.config["MAX_CONTENT_LENGTH"])
    if isinstance(body, list):
        body = {"points": body}
    if not isinstance(body, dict) or not isinstance(body.get("points"), list):
        raise BadInput('body must be {"points": [[lng, lat], ...], "crs": "wgs84"}')
    points, limit = body["points"], current_app.config["MAX_BATCH_POINTS"]
    if len(points) > limit:
        raise TooLarge(f"{len(points)} points sent; at most {limit} per call")
    if body.get("crs") is not None and not isinstance(body["crs"], str):
        raise BadInput('crs must be a string such as "gcj02"', field="crs")
    crs = parse_crs(body.get("crs"))
    staff = current_viewer().may_see_staff_contacts()
    results = find_areas_many_json(index().snapshot(), points, crs, staff)
    head = b'{"crs": "%s", "count": %d, "results": ' % (crs.encode(), len(points))
    return Response(head + results + b"}", mimetype="application/json")
