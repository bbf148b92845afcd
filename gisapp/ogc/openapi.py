"""The OpenAPI 3 document of the whole API, OGC and not.

Every route of the app is enumerated from `app.url_map`, so nothing is left out when a
blueprint is added; the main endpoints get hand-written descriptions and parameters
(DESCRIBED), the rest a summary from their view's docstring.
"""
from __future__ import annotations

import re

from flask import Flask

from ..facilities.coverage import DISTANCE_LIMIT, MAX_DISTANCE_M
from .crs import SUPPORTED
from .feature_collections import COLLECTIONS

_CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
SKIPPED_PREFIXES = ("/static/", "/vendor/")


def _q(name: str, description: str, schema: dict | None = None, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema or {"type": "string"}}


SMALL_COUNTS = ("Privacy of small numbers: to anyone without a duty toward the households "
                "(the public, a wall screen, staff outside their jurisdiction) a count of a "
                "colour or special group under GISAPP_SMALL_COUNT (5) reads \"<5\", and "
                "there is no colour breakdown below the community ({} or null).")
CRS_ENUM = {"type": "string", "enum": list(SUPPORTED)}
F = _q("f", "output format", {"type": "string", "enum": ["json", "html"]})
ITEMS_PARAMS = [
    F,
    _q("limit", "features per page (1-5000, default 100)",
       {"type": "integer", "minimum": 1, "maximum": 5000, "default": 100}),
    _q("offset", "features to skip", {"type": "integer", "minimum": 0, "default": 0}),
    _q("bbox", "lower corner, upper corner, in the axis order of bbox-crs",
       {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6}),
    _q("bbox-crs", "CRS of bbox (also gcj02 and bd09)", {"type": "string"}),
    _q("datetime", "RFC 3339 instant or interval (start/end, .. for open); areas: the "
       "boundaries as they stood then; cases: reported time"),
    _q("crs", "output CRS (Content-Crs header tells which was used)", CRS_ENUM),
    _q("filter", "CQL2 text, supported subset: comparisons, AND/OR/NOT, IS NULL, "
       "S_INTERSECTS(geom, <WKT>)"),
    _q("filter-lang", "only cql2-text", {"type": "string", "enum": ["cql2-text"]}),
    _q("filter-crs", "CRS of geometries in filter (also gcj02 and bd09)"),
]
_PATH_FID = {"name": "fid", "in": "path", "required": True, "schema": {"type": "string"},
             "description": "an area's code (or code@version), or a facility or case id"}
_PATH_COLL = {"name": "collection_id", "in": "path", "required": True,
              "schema": {"type": "string", "enum": list(COLLECTIONS)}}
_FEATURE_BODY = {"required": True, "content": {"application/geo+json": {"schema": {
    "type": "object", "required": ["type", "geometry", "properties"],
    "properties": {"type": {"type": "string", "enum": ["Feature"]}, "geometry": {"type": "object"},
                   "properties": {"type": "object"}}}}}}

DESCRIBED: dict[tuple[str, str], dict] = {
    ("/ogc", "get"): {"summary": "OGC API landing page", "tags": ["OGC API – Features"],
                      "parameters": [F]},
    ("/ogc/conformance", "get"): {"summary": "conformance classes", "tags": ["OGC API – Features"]},
    ("/ogc/collections", "get"): {"summary": "feature collections the caller may read",
                                  "tags": ["OGC API – Features"], "parameters": [F]},
    ("/ogc/collections/{collection_id}", "get"): {
        "summary": "one collection: extent, CRSs (crs, storageCrs), links",
        "tags": ["OGC API – Features"], "parameters": [_PATH_COLL, F]},
    ("/ogc/collections/{collection_id}/queryables", "get"): {
        "summary": "properties usable in filters", "tags": ["OGC API – Features"],
        "parameters": [_PATH_COLL]},
    ("/ogc/collections/{collection_id}/items", "get"): {
        "summary": "features, paged; property=value filters for each queryable",
        "tags": ["OGC API – Features"], "parameters": [_PATH_COLL, *ITEMS_PARAMS],
        "responses": {"200": {"description": "a GeoJSON FeatureCollection with numberMatched, "
                              "numberReturned, timeStamp and links",
                              "headers": {"Content-Crs": {"schema": {"type": "string"}}}},
                      "400": {"description": "bad parameter or filter"}}},
    ("/ogc/collections/{collection_id}/items", "post"): {
        "summary": "create an area (Part 4): the new area takes its territory from its "
                   "siblings; properties parent_code, name, reason",
        "tags": ["OGC API – Features"], "parameters": [_PATH_COLL], "requestBody": _FEATURE_BODY,
        "responses": {"201": {"description": "created; Location header"},
                      "400": {"description": "validation failed"}, "403": {"description": "not allowed"}}},
    ("/ogc/collections/{collection_id}/items/{fid}", "get"): {
        "summary": "one feature (ETag: the area's version)", "tags": ["OGC API – Features"],
        "parameters": [_PATH_COLL, _PATH_FID, F, _q("crs", "output CRS", CRS_ENUM)]},
    ("/ogc/collections/{collection_id}/items/{fid}", "put"): {
        "summary": "replace an area's boundary and name (Part 4); If-Match or "
                   "properties.version guards against lost updates",
        "tags": ["OGC API – Features"], "parameters": [_PATH_COLL, _PATH_FID],
        "requestBody": _FEATURE_BODY,
        "responses": {"200": {"description": "replaced"}, "400": {"description": "validation failed"},
                      "409": {"description": "changed by someone else"},
                      "412": {"description": "If-Match does not match"}}},
    ("/ogc/collections/{collection_id}/items/{fid}", "delete"): {
        "summary": "retire an area, its territory going to the neighbour sharing the longest "
                   "edge (or ?to=<code>) (Part 4)", "tags": ["OGC API – Features"],
        "parameters": [_PATH_COLL, _PATH_FID, _q("to", "code of the sibling that takes the territory")],
        "responses": {"204": {"description": "deleted"}}},
    ("/api/export/{layer}", "get"): {
        "summary": "export a layer the caller may see", "tags": ["import and export"],
        "parameters": [{"name": "layer", "in": "path", "required": True, "schema": {"type": "string"}},
                       _q("format", "file format", {"type": "string",
                                                    "enum": ["geojson", "gpkg", "shp", "csv"]}),
                       _q("area", "area code: only what lies in this area")]},
    ("/api/locate", "get"): {
        "summary": "the areas and the people on duty at a point", "tags": ["location"],
        "parameters": [_q("lng", "longitude", {"type": "number"}, True),
                       _q("lat", "latitude", {"type": "number"}, True),
                       _q("crs", "wgs84, gcj02, bd09 or cgcs2000"),
                       _q("accuracy", "metres", {"type": "number"})]},
    ("/api/areas", "get"): {
        "summary": "a page of current areas as GeoJSON", "tags": ["areas"],
        "parameters": [_q("level", "district, street, community, grid, microgrid"),
                       _q("parent", "parent code"), _q("bbox", "minlng,minlat,maxlng,maxlat"),
                       _q("zoom", "simplify for this zoom", {"type": "integer"}),
                       _q("limit", "1-5000", {"type": "integer"}),
                       _q("offset", "", {"type": "integer"})]},
    ("/api/cases", "get"): {
        "summary": "cases the caller may see (json, geojson, csv)", "tags": ["cases"],
        "parameters": [_q("q", "search: a case id, or text in the description, category, area or address"),
                       _q("sort", "reported (newest first) or deadline (tightest first)"),
                       _q("state", "comma-separated states"), _q("kind", "incident, dispute, hazard"),
                       _q("category", "category key"), _q("area", "area code prefix"),
                       _q("mine", "1: reported by or assigned to me"), _q("unassigned", "1: outside every area"),
                       _q("from", "ISO time"), _q("to", "ISO time"), _q("bbox", "minlng,minlat,maxlng,maxlat"),
                       _q("format", "json, geojson or csv"), _q("limit", "1-5000", {"type": "integer"}),
                       _q("offset", "", {"type": "integer"})]},
    ("/api/cases", "post"): {"summary": "report a case (location with crs: wgs84, gcj02, bd09, cgcs2000)",
                             "tags": ["cases"]},
    ("/api/households", "get"): {"summary": "households for those with a duty; counts for everyone else",
                                 "description": SMALL_COUNTS, "tags": ["households"]},
    ("/api/coverage", "get"): {
        "summary": "households beyond `distance` metres of every facility of a kind, per area",
        "description": SMALL_COUNTS, "tags": ["facilities"],
        "parameters": [_q("kind", "facility kind", required=True),
                       _q("distance", DISTANCE_LIMIT, {"type": "number", "minimum": 0,
                                                       "exclusiveMinimum": True,
                                                       "maximum": MAX_DISTANCE_M}, True),
                       _q("level", "street, community or grid (default community)"),
                       _q("area", "area code: only areas inside it"),
                       _q("colour", "red, orange, yellow, blue, green or 1-5"),
                       _q("tag", "a special group such as 独居老人 (staff only)"),
                       _q("format", "json, csv or geojson")]},
}


def openapi_path(rule: str) -> tuple[str, list[dict]]:
    """A Flask rule as an OpenAPI path, with its path parameters."""
    params = []

    def repl(m):
        conv, name = m.group(1), m.group(2)
        schema = {"type": "integer"} if conv == "int" else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"
    return _CONVERTER.sub(repl, rule), params


def build(app: Flask, server_url: str) -> dict:
    """The OpenAPI 3.0 document for every route of `app`."""
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static" or rule.rule.startswith(SKIPPED_PREFIXES):
            continue
        path, params = openapi_path(rule.rule.rstrip("/") or "/")
        view = app.view_functions.get(rule.endpoint)
        doc = ((view.__doc__ or "").strip().splitlines() or [rule.endpoint])[0]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op = {"summary": doc, "operationId": f"{rule.endpoint}.{method.lower()}",
                  "parameters": params, "responses": {"200": {"description": "success"}}}
            described = DESCRIBED.get((path, method.lower()), {})
            op.update(described)
            if "parameters" in described:
                known = {p["name"] for p in described["parameters"]}
                op["parameters"] = described["parameters"] + [p for p in params if p["name"] not in known]
            op["responses"] = {**op["responses"], "default": {
                "description": 'error: {"error": code, "message": text}',
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "gisapp: 社区网格化管理 GIS API", "version": "1.0",
                 "description": "Areas, location lookup, cases, households (behind access "
                                "rules), boundaries, exports and OGC API – Features."},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": {"Error": {"type": "object", "required": ["error", "message"],
                                  "properties": {"error": {"type": "string"},
                                                 "message": {"type": "string"}}}},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "session": {"type": "apiKey", "in": "cookie",
                                            "name": "gisapp_session"}}},
        "security": [{}, {"bearer": []}, {"session": []}],
    }
