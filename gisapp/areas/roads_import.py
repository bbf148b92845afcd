"""`gisapp import roads FILE [--commit]`: road centre lines for the base map.

Reads GeoJSON, GeoPackage or a (zipped) Shapefile through GDAL (pyogrio), for example an
OpenStreetMap extract or a survey office's road layer. Each line feature becomes a road:
its name from `name` (or `名称`, `name:zh`, `NAME`), its class from `class` (one of
快速路, 主干路, 次干路, 支路) or else from OpenStreetMap's `highway` tag. Features that
are not roads for cars (footway, path, steps, …) are skipped and counted. Lines are
reprojected to WGS 84 from the file's CRS; a MultiLineString becomes one road per part.

Like the other imports, without --commit everything runs in a transaction that is
rolled back, so the report is exactly what a commit would do.
"""
from __future__ import annotations

import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pyogrio.raw
import shapely
from pyproj import CRS, Transformer
from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..errors import BadInput

CLASSES = ("快速路", "主干路", "次干路", "支路")
NAME_FIELDS = ("name", "名称", "name:zh", "NAME", "Name", "road_name")
CLASS_FIELDS = ("class", "等级", "CLASS")
# OpenStreetMap highway=* -> our class; anything else is not a road the map draws.
HIGHWAY = {
    "motorway": "快速路", "trunk": "快速路", "motorway_link": "快速路", "trunk_link": "快速路",
    "primary": "主干路", "primary_link": "主干路",
    "secondary": "次干路", "secondary_link": "次干路", "tertiary": "次干路",
    "tertiary_link": "次干路",
    "residential": "支路", "unclassified": "支路", "living_street": "支路", "service": "支路",
    "road": "支路",
}
MAX_FEATURES = 500_000
_INSERT = text("INSERT INTO road (name, class, source, geom) "
               "VALUES (:name, :class, :source, ST_GeomFromEWKB(decode(:geom, 'hex')))")


def read_roads(path: Path) -> tuple[list[dict], dict]:
    """(roads as {name, class, geom (hex EWKB, 4326)}, report of what was skipped)."""
    if path.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="gisapp-roads-") as tmp:
            return read_roads(_unzip_shapefile(path, Path(tmp)))
    try:
        meta, _, geometry, fields = pyogrio.raw.read(str(path))
    except Exception as exc:          # GDAL's errors name the problem; all mean "not readable"
        raise BadInput(f"cannot read {path.name}: {str(exc)[:300]}") from None
    if len(geometry) > MAX_FEATURES:
        raise BadInput(f"{len(geometry)} features; at most {MAX_FEATURES} per file")
    columns = {str(n): col for n, col in zip(meta["fields"], fields)}
    names = next((columns[f] for f in NAME_FIELDS if f in columns), None)
    classes = next((columns[f] for f in CLASS_FIELDS if f in columns), None)
    highway = columns.get("highway")
    if classes is None and highway is None:
        raise BadInput(f"{path.name} has no `class` or `highway` column: cannot tell a road's "
                       f"class (columns: {', '.join(columns) or 'none'})")
    lines = _lines_wgs84(geometry, meta.get("crs"))
    roads, skipped = [], Counter()
    for i, geom in enumerate(lines):
        cls = _road_class(classes, highway, i)
        if cls is None or geom is None:
            skipped["not a road" if geom is not None else "not a line"] += 1
            continue
        name = _text(names[i]) if names is not None else None
        for part in shapely.get_parts(geom):
            if part.geom_type == "LineString" and len(part.coords) >= 2 and part.length > 0:
                roads.append({"name": name[:100] if name else None, "class": cls,
                              "geom": shapely.to_wkb(shapely.set_srid(part, 4326), hex=True,
                                                     include_srid=True)})
    return roads, {"features": len(lines), "skipped": dict(skipped)}


def _unzip_shapefile(path: Path, into: Path) -> Path:
    try:
        with zipfile.ZipFile(path) as z:
            shp = [n for n in z.namelist() if n.lower().endswith(".shp") and "/" not in n]
            if len(shp) != 1:
                raise BadInput("a .zip must hold exactly one Shapefile at its top level")
            z.extractall(into, [n for n in z.namelist() if "/" not in n and ".." not in n])
    except zipfile.BadZipFile:
        raise BadInput(f"{path.name} is not a zip file") from None
    return into / shp[0]


def _lines_wgs84(geometry, crs: str | None) -> list:
    """Each feature as a (Multi)LineString in WGS 84, or None when it is not a line."""
    geoms = shapely.from_wkb(np.asarray(geometry, dtype=object), on_invalid="ignore")
    kinds = shapely.get_type_id(geoms)
    geoms = np.where(np.isin(kinds, (1, 5)), geoms, None)  # 1 LineString, 5 MultiLineString
    if crs and not CRS.from_user_input(crs).equals(CRS.from_epsg(4326), ignore_axis_order=True):
        to_wgs84 = Transformer.from_crs(crs, "OGC:CRS84", always_xy=True)
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(
            to_wgs84.transform(xy[:, 0], xy[:, 1])))
    return list(geoms)


def _road_class(classes, highway, i: int) -> str | None:
    if classes is not None and _text(classes[i]) in CLASSES:
        return _text(classes[i])
    if highway is not None:
        return HIGHWAY.get(_text(highway[i]) or "")
    return None


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    return str(value).strip() or None


def import_roads(conn: Connection, roads: list[dict], source: str, replace: bool) -> dict:
    """Insert the roads (after deleting every road when `replace`); what was done."""
    removed = conn.execute(text("DELETE FROM road")).rowcount if replace else 0
    if roads:
        conn.execute(_INSERT, [{**r, "source": source} for r in roads])
    return {"roads": len(roads), "by_class": dict(Counter(r["class"] for r in roads)),
            "named": sum(1 for r in roads if r["name"]), "replaced": removed}
