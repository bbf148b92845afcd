"""Layer exports: what a viewer may see, as GeoJSON, GeoPackage, Shapefile (zipped) or CSV.

Rows come from the same access-checked queries the API uses: the OGC collections for
areas and facilities (gisapp/ogc/feature_collections.py), the case list for cases
(gisapp/cases/query.py, masked per viewer) and the household rules of
gisapp/households/records.py. Files are written by GDAL through pyogrio, never by hand.
"""
from __future__ import annotations

import math
import tempfile
import warnings
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyogrio.raw
import shapely
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from ..accounts import audit
from ..accounts.access import Viewer
from ..cases.query import CSV_FIELDS as CASE_FIELDS
from ..cases.query import list_cases, parse_filters
from ..cases.workhours import load_calendar
from ..errors import BadInput, Forbidden
from ..households.records import list_households
from .feature_collections import COLLECTIONS, base_query, property_names

FORMATS = {"geojson": ("GeoJSON", ".geojson", "application/geo+json"),
           "gpkg": ("GPKG", ".gpkg", "application/geopackage+sqlite3"),
           "shp": ("ESRI Shapefile", ".shp", "application/zip"),
           "csv": ("CSV", ".csv", "text/csv")}
AREA_LAYERS = ("districts", "streets", "communities", "grids", "microgrids")
LAYERS = (*AREA_LAYERS, "facilities", "cases", "households")
HOUSEHOLD_FIELDS = ("id", "area_code", "area_name", "building", "unit", "room", "head_name",
                    "phone", "members", "colour", "tags", "lng", "lat")
PAGE = 5000
MAX_ROWS = 3_000_000


def parse_layer(raw: str | None) -> str:
    if raw not in LAYERS:
        raise BadInput(f"layer must be one of {', '.join(LAYERS)}", field="layer")
    return raw


def parse_format(raw: str | None) -> str:
    fmt = raw or "geojson"
    if fmt not in FORMATS:
        raise BadInput(f"format must be one of {', '.join(FORMATS)}", field="format")
    return fmt


def layer_rows(conn: Connection, viewer: Viewer, layer: str, area: str | None) -> dict:
    """{"rows": [dict], "geometries": [WKB], "geometry_type": str} of what the viewer may see."""
    if layer in AREA_LAYERS or layer == "facilities":
        return _collection_rows(conn, viewer, layer, area)
    if layer == "cases":
        return _case_rows(conn, viewer, area)
    return _household_rows(conn, viewer, area)


def _collection_rows(conn: Connection, viewer: Viewer, layer: str, area: str | None) -> dict:
    coll = COLLECTIONS[layer]
    base = base_query(coll, viewer).subquery("f")
    key = base.c.code if coll.kind == "area" else base.c.area_code
    q = select(base, func.ST_AsBinary(base.c.geom).label("wkb")).order_by(base.c.fid)
    if area:
        q = q.where(key.like(area + "%"))
    names = property_names(coll, base)
    result = conn.execute(q).mappings().all()
    return {"rows": [{n: r[n] for n in names} for r in result],
            "geometries": [bytes(r["wkb"]) for r in result], "geometry_type": coll.geometry_type}


def _case_rows(conn: Connection, viewer: Viewer, area: str | None) -> dict:
    viewer.require_login()
    cal = load_calendar(conn)
    rows: list[dict] = []
    # The case list's own filters with their defaults, so a filter added there is set here.
    filters = parse_filters({"limit": str(PAGE), **({"area": area} if area else {})}, viewer)
    while len(rows) < MAX_ROWS:
        page = list_cases(conn, viewer, {**filters, "offset": len(rows)}, cal)
        rows += [{k: c.get(k) for k in CASE_FIELDS} for c in page["cases"]]
        if page["numberReturned"] < PAGE:
            break
    return _points(rows)


def _household_rows(conn: Connection, viewer: Viewer, area: str | None) -> dict:
    """Households only for roles with a duty toward them, only inside that duty; audited."""
    viewer.require_login()
    if not viewer.may_see_personal_data():
        raise Forbidden("住户个人信息仅限有走访职责的人员导出 (household personal data is only "
                        "for those with a duty toward the households; counts are at /api/households)")
    rows: list[dict] = []
    for prefix in ([area] if area else list(viewer.prefixes or ())):
        offset = 0
        while len(rows) < MAX_ROWS:
            page = list_households(conn, viewer, prefix, limit=PAGE, offset=offset)
            rows += [{k: h.get(k) for k in HOUSEHOLD_FIELDS} for h in page]
            offset += len(page)
            if len(page) < PAGE:
                break
    audit.record(conn, viewer, "export.households", area, count=len(rows))
    return _points(rows)


def _points(rows: list[dict]) -> dict:
    geoms = shapely.points([[r["lng"], r["lat"]] for r in rows]) if rows else []
    return {"rows": rows, "geometries": [shapely.to_wkb(g) for g in geoms], "geometry_type": "Point"}


def _column(values: list):
    """A numpy column pyogrio can type: integers, floats, or text (None stays null)."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present) and len(present) == len(values):
        return np.array(values, dtype=bool)
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present) \
            and len(present) == len(values):
        return np.array(values, dtype=np.int64)
    if present and all(isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)
                       for v in present):
        return np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)
    return np.array([_text(v) for v in values], dtype=object)


def _text(value):
    if value is None:
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    return str(value)


def write_layer(data: dict, layer: str, fmt: str, path: Path) -> None:
    """Write the rows and geometries to `path` in `fmt` (WGS 84), through GDAL."""
    driver = FORMATS[fmt][0]
    fields = list(data["rows"][0]) if data["rows"] else ["id"]
    columns = [_column([r.get(f) for r in data["rows"]]) for f in fields]
    options = {"geojson": {}, "gpkg": {}, "shp": {},
               "csv": {"GEOMETRY": "AS_WKT", "WRITE_BOM": "YES"}}[fmt]
    with warnings.catch_warnings():
        # A Shapefile's DBF allows 10-character field names; GDAL shortens longer ones
        # (parent_code -> parent_cod) and says so. That is the format, not a fault.
        warnings.filterwarnings("ignore", "Normalized/laundered field name", RuntimeWarning)
        pyogrio.raw.write(str(path), np.array(data["geometries"], dtype=object), columns, fields,
                          layer=layer, driver=driver, geometry_type=data["geometry_type"],
                          crs="EPSG:4326", encoding="UTF-8", layer_options=options)


def export_file(data: dict, layer: str, fmt: str) -> tuple[bytes, str]:
    """The file's bytes and its name (a Shapefile comes zipped with its side files)."""
    ext = FORMATS[fmt][1]
    with tempfile.TemporaryDirectory(prefix="gisapp-export-") as tmp:
        path = Path(tmp) / f"{layer}{ext}"
        write_layer(data, layer, fmt, path)
        if fmt != "shp":
            return path.read_bytes(), path.name
        zipped = Path(tmp) / f"{layer}.zip"
        with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
            for part in sorted(Path(tmp).glob(f"{layer}.*")):
                if part.suffix != ".zip":
                    z.write(part, part.name)
        return zipped.read_bytes(), zipped.name
