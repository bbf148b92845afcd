"""OGC API – Features: items of a collection and single items, as plain data.

Parameters are parsed into an ItemsQuery; `query_items` runs one counted, paged query
built from the collection's base SELECT (gisapp/ogc/feature_collections.py) with the filters
added as SQLAlchemy clauses: bbox, datetime, property=value and CQL2. Geometry leaves
PostGIS as GeoJSON in CRS84 and is transformed with pyproj for other output CRSs.
The views (gisapp/ogc/views.py) add links and render JSON or HTML.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from ..accounts.access import Viewer
from ..areas.features import parse_int
from ..errors import BadInput, NotFound
from . import cql
from .crs import CRS84, parse_bbox, parse_crs_uri, transform_geometry
from .feature_collections import Collection, base_query, property_names, sort_keys

MAX_LIMIT = 5000
DEFAULT_LIMIT = 100
CHINA = timezone(timedelta(hours=8))
COMMON_PARAMS = {"f", "limit", "offset", "bbox", "bbox-crs", "datetime", "crs", "filter",
                 "filter-lang", "filter-crs"}
_FID_RE = re.compile(r"^[0-9]{1,18}(@[0-9]{1,9})?$")


@dataclass
class ItemsQuery:
    """A checked request for items: paging, spatial, temporal and attribute filters."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: tuple | None = None
    when: object = None                 # None, a datetime, or (start|None, end|None)
    properties: dict = field(default_factory=dict)
    filter: object = None               # a pygeofilter AST
    filter_crs: str = CRS84
    crs: str = CRS84


def parse_items_query(args, coll: Collection) -> ItemsQuery:
    """Read and check the query parameters of /collections/{id}/items."""
    if any("\x00" in k or "\x00" in v for k, v in args.items(multi=True)):
        # PostgreSQL text cannot hold NUL; say so rather than fail in the driver.
        raise BadInput("query parameters must not contain NUL characters")
    unknown = sorted(set(args) - COMMON_PARAMS - set(coll.queryables))
    if unknown:
        raise BadInput(f"unknown parameter {unknown[0][:40]!r}; this collection takes "
                       f"{', '.join(sorted(COMMON_PARAMS | set(coll.queryables)))}",
                       field=unknown[0][:40])
    q = ItemsQuery(
        limit=parse_int(args.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        offset=parse_int(args.get("offset"), "offset", 0, 0, 10**9),
        crs=parse_crs_uri(args.get("crs"), "crs"),
        filter_crs=parse_crs_uri(args.get("filter-crs"), "filter-crs", phone=True),
    )
    q.bbox = parse_bbox(args.get("bbox"), parse_crs_uri(args.get("bbox-crs"), "bbox-crs", phone=True))
    q.when = parse_datetime(args.get("datetime")) if args.get("datetime") else None
    if q.when is not None and coll.temporal is None:
        raise BadInput(f"{coll.id} has no time dimension: datetime does not apply",
                       field="datetime")
    q.properties = {name: cql.coerce_value(_typed(args[name], kind), kind, name)
                    for name, kind in coll.queryables.items() if name in args}
    if args.get("filter"):
        q.filter = cql.parse_filter(args["filter"], args.get("filter-lang"))
    elif args.get("filter-lang") not in (None, "", "cql2-text"):
        raise BadInput("filter-lang must be cql2-text", field="filter-lang")
    return q


def _typed(raw: str, kind: str):
    """A query-string value as the property's type (for property=value filters)."""
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        return raw                      # coerce_value names the problem
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw.lower(), raw)
    return raw


def parse_instant(raw: str, field_name: str = "datetime") -> datetime:
    """An RFC 3339 time; without an offset it is read as China Standard Time (UTC+8)."""
    text = raw.strip()
    try:
        value = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise BadInput(f"{field_name} must be an RFC 3339 time such as 2024-05-01T08:00:00Z, "
                       "or an interval start/end with .. for an open end", field=field_name) from None
    return value if value.tzinfo else value.replace(tzinfo=CHINA)


def parse_datetime(raw: str):
    """An instant, or an interval (start, end) where either end may be open ('..' or '')."""
    if "/" not in raw:
        return parse_instant(raw)
    parts = raw.split("/")
    if len(parts) != 2 or all(p.strip() in ("", "..") for p in parts):
        raise BadInput("datetime interval must be start/end with at most one open end",
                       field="datetime")
    start, end = (None if p.strip() in ("", "..") else parse_instant(p) for p in parts)
    if start is not None and end is not None and start > end:
        raise BadInput("datetime interval ends before it starts", field="datetime")
    return start, end


def _conditions(coll: Collection, base, q: ItemsQuery) -> list:
    conds = []
    if q.bbox is not None:
        conds.append(func.ST_Intersects(base.c.geom, func.ST_MakeEnvelope(*q.bbox, 4326)))
    if q.when is not None and coll.kind == "case":
        col = base.c[coll.temporal]
        if isinstance(q.when, tuple):
            if q.when[0] is not None:
                conds.append(col >= q.when[0])
            if q.when[1] is not None:
                conds.append(col <= q.when[1])
        else:
            conds.append(col == q.when)
    for name, value in q.properties.items():
        conds.append(base.c[name] == value)
    if q.filter is not None:
        columns = {name: base.c[name] for name in coll.queryables}
        conds.append(cql.to_clause(q.filter, columns, coll.queryables, base.c.geom, q.filter_crs))
    return conds


def query_items(conn: Connection, viewer: Viewer, coll: Collection, q: ItemsQuery) -> dict:
    """A FeatureCollection page: numberMatched, numberReturned and the features."""
    when = q.when if coll.kind == "area" else None
    base = base_query(coll, viewer, when).subquery("f")
    conds = _conditions(coll, base, q)
    matched = conn.execute(select(func.count()).select_from(base).where(*conds)).scalar()
    rows = conn.execute(
        select(base, func.ST_AsGeoJSON(base.c.geom, 9).label("geometry"))
        .where(*conds).order_by(*sort_keys(coll, base)).limit(q.limit).offset(q.offset)
    ).mappings().all()
    names = property_names(coll, base)
    features = [_feature(r, names, q.crs) for r in rows]
    return {"type": "FeatureCollection", "numberMatched": matched,
            "numberReturned": len(features), "features": features}


def get_item(conn: Connection, viewer: Viewer, coll: Collection, fid: str,
             crs: str = CRS84) -> dict:
    """One feature by id (an area's code, or code@version for an earlier boundary)."""
    if not _FID_RE.match(fid or ""):
        raise NotFound(f"{coll.id} 中没有 {fid[:40]} (no feature {fid[:40]!r} in {coll.id})")
    code, _, version = fid.partition("@")
    base = base_query(coll, viewer, all_versions=bool(version)).subquery("f")
    if coll.kind == "area":
        cond = [base.c.code == code] + ([base.c.version == int(version)] if version else [])
    elif version:
        raise NotFound(f"no feature {fid!r} in {coll.id}")
    else:
        cond = [base.c.fid == int(code)]
    row = conn.execute(select(base, func.ST_AsGeoJSON(base.c.geom, 9).label("geometry"))
                       .where(*cond)).mappings().first()
    if row is None:
        raise NotFound(f"{coll.id} 中没有 {fid} (no feature {fid!r} in {coll.id})")
    feature = _feature(row, property_names(coll, base), crs)
    if version:
        feature["id"] = fid
    return feature


def _feature(row, names: list[str], crs: str) -> dict:
    geometry = json.loads(row["geometry"]) if row["geometry"] else None
    return {"type": "Feature", "id": row["fid"],
            "geometry": transform_geometry(geometry, crs),
            "properties": {n: _plain(row[n]) for n in names}}


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "is_integer") and not isinstance(value, float):     # Decimal
        return float(value)
    return value


def collection_extent(conn: Connection, viewer: Viewer, coll: Collection) -> list[float] | None:
    """The CRS84 bounding box of what the viewer may see in the collection (None if empty)."""
    base = base_query(coll, viewer).subquery("f")
    box = conn.execute(select(func.ST_XMin(func.ST_Extent(base.c.geom)),
                              func.ST_YMin(func.ST_Extent(base.c.geom)),
                              func.ST_XMax(func.ST_Extent(base.c.geom)),
                              func.ST_YMax(func.ST_Extent(base.c.geom)))).first()
    return None if box[0] is None else [float(v) for v in box]
