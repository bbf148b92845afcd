"""The OpenAPI 3 document: /openapi.json and /ogc/api (JSON, or a readable HTML list)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from ..errors import BadInput
from .openapi import build

bp = Blueprint("openapi", __name__)
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"


def _document() -> dict:
    return build(current_app, request.url_root.rstrip("/"))


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI 3 document of the whole API."""
    resp = jsonify(_document())
    resp.headers["Content-Type"] = OPENAPI_JSON
    return resp


@bp.get("/ogc/api")
def openapi_ogc():
    """The OpenAPI 3 document, linked from the OGC landing page (f=html for a page)."""
    f = request.args.get("f")
    if f not in (None, "json", "html"):
        raise BadInput("f must be json or html", field="f")
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    if f == "html" or (f is None and best == "text/html"):
        return Response(render_template("ogc/api.html", doc=_document()))
    return openapi_json()
