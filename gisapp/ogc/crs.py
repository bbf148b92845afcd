"""Coordinate reference systems of the OGC API (Part 2): names, bbox input, geometry output.

Geometries are stored in WGS 84 longitude/latitude (OGC CRS84). Output in another CRS
is transformed with pyproj, in the axis order the CRS defines, as Part 2 requires:
EPSG:4326 and EPSG:4490 (CGCS2000) are latitude, longitude; CRS84 and EPSG:3857 are
x, y. Input (bbox-crs, filter-crs) accepts the same CRSs plus the phone offsets GCJ-02
and BD-09, converted to WGS 84 by gisapp/areas/crs.py.
"""
from __future__ import annotations

import math
from functools import cache

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape

from ..areas import crs as phone_crs
from ..errors import BadInput

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
# The CRSs we offer, by their OGC URI, with the pyproj name of each.
SUPPORTED = {
    CRS84: "OGC:CRS84",
    EPSG + "4326": "EPSG:4326",
    EPSG + "4490": "EPSG:4490",
    EPSG + "3857": "EPSG:3857",
}
# Input-only names: phone coordinates, always longitude, latitude.
PHONE = {"gcj02": "gcj02", "gcj-02": "gcj02", "bd09": "bd09", "bd-09": "bd09"}
_SHORT = {"crs84": CRS84, "ogc:crs84": CRS84, "epsg:4326": EPSG + "4326",
          "epsg:4490": EPSG + "4490", "epsg:3857": EPSG + "3857", "wgs84": CRS84,
          "cgcs2000": EPSG + "4490"}


def parse_crs_uri(raw: str | None, field: str = "crs", phone: bool = False) -> str:
    """A supported CRS as its OGC URI (CRS84 when absent); phone names only when `phone`."""
    if raw is None or raw.strip() == "":
        return CRS84
    value = raw.strip().strip("[]")
    if value in SUPPORTED:
        return value
    low = value.lower()
    if low in _SHORT:
        return _SHORT[low]
    if phone and low in PHONE:
        return PHONE[low]
    allowed = list(SUPPORTED) + (["gcj02", "bd09"] if phone else [])
    raise BadInput(f"{field} {raw[:80]!r} is not supported; use one of {', '.join(allowed)}",
                   field=field)


@cache
def _to_wgs(uri: str) -> Transformer:
    return Transformer.from_crs(SUPPORTED[uri], "OGC:CRS84")


@cache
def _from_wgs(uri: str) -> Transformer:
    return Transformer.from_crs("OGC:CRS84", SUPPORTED[uri])


def to_lnglat(xs, ys, uri: str):
    """Coordinates given in `uri` (its own axis order) as WGS 84 longitude, latitude arrays."""
    if uri in ("gcj02", "bd09"):
        return phone_crs.to_wgs84(xs, ys, uri)
    if uri == CRS84:
        return np.asarray(xs, float), np.asarray(ys, float)
    lng, lat = _to_wgs(uri).transform(np.asarray(xs, float), np.asarray(ys, float))
    return np.asarray(lng), np.asarray(lat)


def parse_bbox(raw: str | None, bbox_crs: str = CRS84) -> tuple[float, float, float, float] | None:
    """An OGC bbox (four numbers in the axis order of bbox-crs) as a WGS 84 lng/lat box."""
    if raw is None or raw == "":
        return None
    parts = raw.split(",")
    if len(parts) not in (4, 6):
        raise BadInput("bbox must be four numbers: the lower corner, then the upper corner",
                       field="bbox")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise BadInput("bbox values must be numbers", field="bbox") from None
    if not all(math.isfinite(v) for v in values):
        raise BadInput("bbox values must be finite", field="bbox")
    if len(values) == 6:                 # 3D bbox: drop the heights
        values = [values[0], values[1], values[3], values[4]]
    a0, b0, a1, b1 = values
    if a0 > a1 or b0 > b1:
        raise BadInput("bbox corners are swapped: give the lower corner first", field="bbox")
    # All four corners, so a box in a rotated or lat/lng-ordered CRS stays a box.
    lng, lat = to_lnglat([a0, a1, a1, a0], [b0, b0, b1, b1], bbox_crs)
    if not (np.all(np.isfinite(lng)) and np.all(np.isfinite(lat))):
        raise BadInput("bbox is outside the area of use of bbox-crs", field="bbox")
    box = (float(lng.min()), float(lat.min()), float(lng.max()), float(lat.max()))
    if not (-180 <= box[0] <= 180 and -180 <= box[2] <= 180 and -90 <= box[1] <= 90
            and -90 <= box[3] <= 90):
        raise BadInput("bbox is out of range (longitude -180..180, latitude -90..90; "
                       "EPSG:4326 and EPSG:4490 take latitude first)", field="bbox")
    return box


def bbox_param(args) -> tuple[float, float, float, float] | None:
    """A request's bbox as WGS 84 lng/lat: minlng,minlat,maxlng,maxlat by default (as every
    /api endpoint takes it), or in `bbox-crs` (EPSG:4490, EPSG:3857, gcj02, bd09 ...)."""
    from ..areas.features import parse_bbox as parse_lnglat_bbox
    if not args.get("bbox-crs"):
        return parse_lnglat_bbox(args.get("bbox"))
    return parse_bbox(args.get("bbox"), parse_crs_uri(args["bbox-crs"], "bbox-crs", phone=True))


def geometry_to_lnglat(geometry: dict, uri: str) -> dict:
    """A GeoJSON geometry given in `uri` as a WGS 84 lng/lat GeoJSON geometry."""
    if uri == CRS84:
        return geometry
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, AttributeError, KeyError, shapely.errors.GEOSException):
        raise BadInput("geometry is not valid GeoJSON") from None
    return mapping(shapely.transform(geom, lambda xy: np.column_stack(to_lnglat(xy[:, 0], xy[:, 1], uri))))


def transform_geometry(geometry: dict | None, uri: str) -> dict | None:
    """A WGS 84 GeoJSON geometry in the output CRS `uri` (axis order as the CRS defines)."""
    if geometry is None or uri == CRS84:
        return geometry
    tr = _from_wgs(uri)
    geom = shapely.transform(shape(geometry),
                             lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    return mapping(geom)


def transform_bbox(box: list[float] | None, uri: str) -> list[float] | None:
    """A CRS84 extent [minlng, minlat, maxlng, maxlat] expressed in `uri`."""
    if box is None or uri == CRS84:
        return box
    x0, y0, x1, y1 = _from_wgs(uri).transform_bounds(*box)
    return [x0, y0, x1, y1]
