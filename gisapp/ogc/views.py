"""OGC API – Features at /ogc: landing page, conformance, collections, items (JSON and HTML).

Thin views: parse, call gisapp/ogc/items.py, add the links the standard asks for, render.
Writes to boundaries (Part 4) are in gisapp/ogc/views_edit.py.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, Response, jsonify, render_template, request, url_for

from .. import db
from ..accounts.web_auth import current_viewer
from ..errors import BadInput
from .crs import CRS84, SUPPORTED, parse_crs_uri
from .feature_collections import get_collection, visible_collections
from .items import collection_extent, get_item, parse_items_query, query_items

bp = Blueprint("ogc", __name__, url_prefix="/ogc")
GEOJSON = "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
]


def wants_html() -> bool:
    """f=html|json decides; otherwise the Accept header (JSON unless HTML is preferred)."""
    f = request.args.get("f")
    if f is not None:
        if f not in ("json", "html"):
            raise BadInput("f must be json or html", field="f")
        return f == "html"
    best = request.accept_mimetypes.best_match(["application/json", GEOJSON, "text/html"])
    return best == "text/html"


def _url(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)


def _links(endpoint: str, title: str, json_type: str = "application/json", **values) -> list[dict]:
    html = wants_html()
    return [
        {"href": _url(endpoint, f="html" if html else "json", **values), "rel": "self",
         "type": "text/html" if html else json_type, "title": title},
        {"href": _url(endpoint, f="json" if html else "html", **values), "rel": "alternate",
         "type": json_type if html else "text/html", "title": title},
    ]


def _render(body: dict, template: str, json_type: str = "application/json", headers=None):
    if wants_html():
        resp = Response(render_template(template, body=body))
    else:
        resp = jsonify(body)
        resp.mimetype = json_type
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


@bp.get("")
@bp.get("/")
def landing():
    body = {
        "title": "社区网格化管理 OGC API – Features",
        "description": "Areas (districts to micro-grids), service facilities and public cases "
                       "of the grid-governance GIS, as OGC API – Features (Parts 1–4).",
        "links": _links("ogc.landing", "this document") + [
            {"href": _url("openapi.openapi_json"), "rel": "service-desc",
             "type": "application/vnd.oai.openapi+json;version=3.0", "title": "OpenAPI 3 definition"},
            {"href": _url("openapi.openapi_ogc", f="html"), "rel": "service-doc",
             "type": "text/html", "title": "API documentation"},
            {"href": _url("ogc.conformance"), "rel": "conformance", "type": "application/json",
             "title": "conformance classes"},
            {"href": _url("ogc.collections"), "rel": "data", "type": "application/json",
             "title": "feature collections"},
        ],
    }
    return _render(body, "ogc/page.html")


@bp.get("/conformance")
def conformance():
    return _render({"title": "conformance", "links": _links("ogc.conformance", "conformance"),
                    "conformsTo": CONFORMANCE}, "ogc/page.html")


@bp.get("/collections")
def collections():
    viewer = current_viewer()
    with db.read() as conn:
        colls = [collection_body(conn, viewer, c.id) for c in visible_collections(viewer)]
    return _render({"title": "feature collections", "links": _links("ogc.collections", "collections"),
                    "collections": colls, "crs": list(SUPPORTED)}, "ogc/collections.html")


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    viewer = current_viewer()
    get_collection(collection_id, viewer)
    with db.read() as conn:
        body = collection_body(conn, viewer, collection_id)
    body["links"] = _links("ogc.collection", body["title"], collection_id=collection_id) + body["links"]
    return _render(body, "ogc/page.html")


def collection_body(conn, viewer, collection_id: str) -> dict:
    """The metadata of one collection: links, extent, CRSs."""
    coll = get_collection(collection_id, viewer)
    bbox = collection_extent(conn, viewer, coll)
    body = {
        "id": coll.id, "title": coll.title, "description": coll.description,
        "itemType": "feature",
        "links": [
            {"href": _url("ogc.items", collection_id=coll.id, f="json"), "rel": "items",
             "type": GEOJSON, "title": "items"},
            {"href": _url("ogc.items", collection_id=coll.id, f="html"), "rel": "items",
             "type": "text/html", "title": "items (HTML)"},
            {"href": _url("ogc.queryables", collection_id=coll.id), "rel":
             "http://www.opengis.net/def/rel/ogc/1.0/queryables", "type": "application/schema+json",
             "title": "queryables"},
        ],
        "extent": {"spatial": {"bbox": [bbox or [-180, -90, 180, 90]], "crs": CRS84}},
        "crs": list(SUPPORTED),
        "storageCrs": CRS84,
        "geometryType": coll.geometry_type,
    }
    if coll.temporal:
        body["extent"]["temporal"] = {"interval": [[None, None]],
                                      "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return body


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str):
    coll = get_collection(collection_id, current_viewer())
    props = {name: ({"type": "string", "format": "date-time"} if kind == "date-time"
                    else {"type": kind}) for name, kind in coll.queryables.items()}
    props["geom"] = {"format": f"geometry-{coll.geometry_type.lower()}",
                     "x-ogc-role": "primary-geometry"}
    body = {"$schema": "https://json-schema.org/draft/2019-09/schema",
            "$id": _url("ogc.queryables", collection_id=coll.id),
            "type": "object", "title": coll.title, "properties": props,
            "additionalProperties": False}
    resp = jsonify(body)
    resp.mimetype = "application/schema+json"
    return resp


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    viewer = current_viewer()
    coll = get_collection(collection_id, viewer)
    q = parse_items_query(request.args, coll)
    with db.read() as conn:
        page = query_items(conn, viewer, coll, q)
    page["timeStamp"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    page["links"] = _page_links(coll, q, page["numberReturned"], page["numberMatched"])
    page["collection"] = {"id": coll.id, "title": coll.title}
    return _render(page, "ogc/items.html", GEOJSON, {"Content-Crs": f"<{q.crs}>"})


def _page_links(coll, q, returned: int, matched: int) -> list[dict]:
    args = {k: v for k, v in request.args.items() if k not in ("offset", "f")}
    links = _links("ogc.items", coll.title, GEOJSON, collection_id=coll.id, **args,
                   **({"offset": q.offset} if q.offset else {}))
    fmt = "html" if wants_html() else "json"
    kind = "text/html" if fmt == "html" else GEOJSON
    if q.offset + returned < matched:
        links.append({"href": _url("ogc.items", collection_id=coll.id, **args, f=fmt,
                                   offset=q.offset + q.limit), "rel": "next", "type": kind,
                      "title": "next page"})
    if q.offset > 0:
        links.append({"href": _url("ogc.items", collection_id=coll.id, **args, f=fmt,
                                   offset=max(0, q.offset - q.limit)), "rel": "prev", "type": kind,
                      "title": "previous page"})
    links.append({"href": _url("ogc.collection", collection_id=coll.id, f=fmt), "rel": "collection",
                  "type": "text/html" if fmt == "html" else "application/json", "title": coll.title})
    return links


@bp.get("/collections/<collection_id>/items/<fid>")
def item(collection_id: str, fid: str):
    viewer = current_viewer()
    coll = get_collection(collection_id, viewer)
    unknown = sorted(set(request.args) - {"f", "crs"})
    if unknown:
        raise BadInput(f"unknown parameter {unknown[0][:40]!r}; an item takes f and crs",
                       field=unknown[0][:40])
    crs = parse_crs_uri(request.args.get("crs"), "crs")
    with db.read() as conn:
        feature = get_item(conn, viewer, coll, fid, crs)
    fmt = "html" if wants_html() else "json"
    feature["links"] = _links("ogc.item", str(feature["id"]), GEOJSON, collection_id=coll.id,
                              fid=fid, **({"crs": crs} if crs != CRS84 else {})) + [
        {"href": _url("ogc.collection", collection_id=coll.id, f=fmt), "rel": "collection",
         "type": "text/html" if fmt == "html" else "application/json", "title": coll.title}]
    headers = {"Content-Crs": f"<{crs}>"}
    if coll.kind == "area":
        headers["ETag"] = f'"{feature["properties"]["version"]}"'
    feature["collection"] = {"id": coll.id, "title": coll.title}
    return _render(feature, "ogc/item.html", GEOJSON, headers)
