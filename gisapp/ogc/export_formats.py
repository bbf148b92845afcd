"""Reading back the formats we export, for the facilities and households imports.

The facilities and households registries import spreadsheets (CSV, Excel) of rows with
lng/lat columns. Survey offices also hand over GeoJSON, GeoPackage and Shapefiles; this
module reads those through GDAL (pyogrio), reprojects each point to WGS 84 from the
file's own CRS, and gives the same rows of text cells, so the registries' own checks,
dry runs and per-row reports apply unchanged.
"""
from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import pyogrio.raw
import shapely
from pyproj import CRS, Transformer

from ..errors import BadInput

GEO_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")


def is_geo_file(path: Path) -> bool:
    return path.suffix.lower() in GEO_SUFFIXES


def read_point_rows(path: Path) -> tuple[list[dict], list[str]]:
    """(rows of text cells with lng/lat in WGS 84, column names) of a point layer."""
    if path.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="gisapp-import-") as tmp:
            with zipfile.ZipFile(path) as z:
                shp = [n for n in z.namelist() if n.lower().endswith(".shp") and "/" not in n]
                if len(shp) != 1:
                    raise BadInput("a .zip must hold exactly one Shapefile at its top level")
                z.extractall(tmp, [n for n in z.namelist() if "/" not in n and ".." not in n])
            return read_point_rows(Path(tmp) / shp[0])
    try:
        meta, _, geometry, fields = pyogrio.raw.read(str(path))
    except Exception as exc:          # GDAL's errors name the problem; all mean "not readable"
        raise BadInput(f"cannot read {path.name}: {str(exc)[:300]}") from None
    names = [str(n) for n in meta["fields"]]
    lng, lat = _lnglat(geometry, meta.get("crs"))
    rows = []
    for i in range(len(geometry)):
        row = {name: _cell(col[i]) for name, col in zip(names, fields)}
        row["lng"], row["lat"] = _cell(lng[i]), _cell(lat[i])
        rows.append(row)
    return rows, names + ["lng", "lat"]


def _lnglat(geometry, crs: str | None):
    # A geometry GEOS cannot even build (a one-point ring) comes back as None: not a point.
    geoms = shapely.from_wkb(np.asarray(geometry, dtype=object), on_invalid="ignore")
    kinds = shapely.get_type_id(geoms)
    bad = [i + 2 for i, k in enumerate(kinds) if k != 0]      # 0 = Point; row 1 is the header
    if bad:
        raise BadInput(f"every feature must be a point; rows {bad[:20]} are not", rows=bad[:100])
    x, y = shapely.get_x(geoms), shapely.get_y(geoms)
    if crs and not CRS.from_user_input(crs).equals(CRS.from_epsg(4326), ignore_axis_order=True):
        x, y = Transformer.from_crs(crs, "OGC:CRS84", always_xy=True).transform(x, y)
    return np.asarray(x), np.asarray(y)


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)) and float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()
