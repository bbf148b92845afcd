"""Boundary files: export the children of an area, import a new set of children.

GeoJSON is read and written directly; GeoPackage and Shapefile go through GDAL's
`ogr2ogr` (Debian's gdal-bin), called with an argument list, never a shell. An import is
a normal save (gisapp/boundaries/save.py): the same validation, the same errors.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.engine import Connection

from ..accounts.access import Viewer
from ..errors import BadInput, NotFound
from ..queries import loader
from .input_checks import parse_edit
from .ops import current_children
from .save import save_children

sql = loader(__package__)

FORMATS = {"geojson": "GeoJSON", "gpkg": "GPKG", "shp": "ESRI Shapefile"}
LAYER = "boundaries"


def export_children(conn: Connection, parent_code: str) -> dict:
    """The current children of an area as a FeatureCollection (code, name, version)."""
    fc = conn.execute(sql("boundary_export"), {"parent": parent_code}).scalar()
    if not fc["features"]:
        raise NotFound(f"{parent_code} 没有下级区域 ({parent_code} has no current children)")
    return fc


def write_features(fc: dict, path: Path, fmt: str) -> None:
    """Write a FeatureCollection as GeoJSON, GeoPackage or Shapefile."""
    if fmt == "geojson":
        path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
        return
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "children.geojson"
        source.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
        extra = ["-lco", "ENCODING=UTF-8"] if fmt == "shp" else []
        _ogr2ogr(["-f", FORMATS[fmt], str(path), str(source), "-nln", LAYER,
                  "-nlt", "MULTIPOLYGON", "-a_srs", "EPSG:4326", "-overwrite", *extra])


def read_features(path: Path) -> list[dict]:
    """The features of a GeoJSON, GeoPackage, Shapefile or WKT CSV, reprojected to WGS 84."""
    if path.suffix.lower() in (".geojson", ".json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, RecursionError) as exc:    # malformed JSON, not UTF-8, too deep
            raise BadInput(f"{path} 不是有效的 GeoJSON ({path} is not valid GeoJSON: "
                           f"{str(exc)[:100]})") from None
    else:
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "read.geojson"
            # A CSV (with a WKT column, as `gisapp export` writes it) carries no CRS (it is
            # WGS 84) and no types (versions are read as numbers, quoted codes as text).
            csv = ["-s_srs", "EPSG:4326", "-oo", "AUTODETECT_TYPE=YES",
                   "-oo", "QUOTED_FIELDS_AS_STRING=YES"] if path.suffix.lower() == ".csv" else []
            _ogr2ogr(["-f", "GeoJSON", str(target), str(path), "-t_srs", "EPSG:4326", *csv,
                      "-lco", "COORDINATE_PRECISION=15"])
            data = json.loads(target.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        raise BadInput(f"{path} 不是要素集合 ({path} holds no features)")
    return data["features"]


def _ogr2ogr(args: list[str]) -> None:
    exe = shutil.which("ogr2ogr")
    if exe is None:
        raise BadInput("需要 GDAL 的 ogr2ogr (install gdal-bin to read or write this format)")
    done = subprocess.run([exe, *args], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise BadInput(f"ogr2ogr 失败 (ogr2ogr failed): {done.stderr.strip()[:500]}")


def import_children(conn: Connection, viewer: Viewer, parent_code: str, features: list[dict],
                    reason: str) -> dict:
    """Save the features as the new children of `parent_code`. A feature's `code` property
    names an existing child (missing or empty: a new area); its `version`, when present,
    is the version the file was exported from, so later edits are not overwritten."""
    current = {c["code"]: c["version"] for c in current_children(conn, parent_code)}
    children = []
    for i, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(feature, dict) or not isinstance(props or {}, dict):
            raise BadInput(f"第 {i + 1} 个要素不是 GeoJSON Feature (feature {i} is not a GeoJSON "
                           "Feature with properties)", child=i)
        props = props or {}
        code = str(props["code"]).strip() if props.get("code") not in (None, "") else None
        version = props.get("version") if code else None
        children.append({"code": code, "name": props.get("name"), "geometry": feature.get("geometry"),
                         "version": current.get(code) if version is None else version})
    return save_children(conn, viewer, parent_code, parse_edit({"reason": reason,
                                                                "children": children}))
