"""Coordinate systems for input points: WGS 84, CGCS2000, GCJ-02 and BD-09.

GCJ-02 (used by Gaode, Tencent and WeChat) and BD-09 (Baidu) are obfuscated offsets
of WGS 84 defined only by the published algorithm below (Krasovsky ellipsoid
constants). The inverse has no closed form: we iterate the forward transform until
the residual is below a millimetre, which keeps the round trip well under a metre.
Every function takes and returns numpy arrays (or scalars) so batches are vectorised.
"""
from __future__ import annotations

import numpy as np
from pyproj import Transformer

from ..errors import BadInput

CRS_NAMES = ("wgs84", "gcj02", "bd09", "cgcs2000")

_A = 6378245.0                       # Krasovsky 1940 semi-major axis
_EE = 0.00669342162296594323         # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0

# CGCS2000 (EPSG:4490) and WGS 84 differ by centimetres; pyproj knows the exact relation.
_CGCS_TO_WGS = Transformer.from_crs("EPSG:4490", "EPSG:4326", always_xy=True)


def _in_china(lng, lat):
    # The offset is applied only inside this box, as the published algorithm does.
    return (lng >= 72.004) & (lng <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _delta(lng, lat):
    x, y = lng - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlng = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    inside = _in_china(lng, lat)
    return np.where(inside, dlng, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lng, lat):
    """WGS 84 -> GCJ-02 (the published forward algorithm)."""
    lng, lat = np.asarray(lng, float), np.asarray(lat, float)
    dlng, dlat = _delta(lng, lat)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng, lat, tolerance_deg: float = 1e-9, max_iter: int = 30):
    """GCJ-02 -> WGS 84 by fixed-point iteration of the forward transform (< 1 mm)."""
    glng, glat = np.asarray(lng, float), np.asarray(lat, float)
    wlng, wlat = glng.copy(), glat.copy()
    for _ in range(max_iter):
        flng, flat = wgs84_to_gcj02(wlng, wlat)
        elng, elat = flng - glng, flat - glat
        wlng, wlat = wlng - elng, wlat - elat
        if np.all(np.abs(elng) < tolerance_deg) and np.all(np.abs(elat) < tolerance_deg):
            break
    return wlng, wlat


def bd09_to_gcj02(lng, lat):
    """BD-09 -> GCJ-02 (Baidu's published inverse)."""
    x, y = np.asarray(lng, float) - 0.0065, np.asarray(lat, float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def gcj02_to_bd09(lng, lat):
    """GCJ-02 -> BD-09."""
    lng, lat = np.asarray(lng, float), np.asarray(lat, float)
    z = np.sqrt(lng * lng + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lng) + 0.000003 * np.cos(lng * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def to_wgs84(lng, lat, crs: str):
    """Convert points given in `crs` (one of CRS_NAMES) to WGS 84 longitude, latitude."""
    if crs == "wgs84":
        return np.asarray(lng, float), np.asarray(lat, float)
    if crs == "gcj02":
        return gcj02_to_wgs84(lng, lat)
    if crs == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lng, lat))
    if crs == "cgcs2000":
        x, y = _CGCS_TO_WGS.transform(np.asarray(lng, float), np.asarray(lat, float))
        return np.asarray(x), np.asarray(y)
    raise BadInput(f"unknown crs {crs!r}; use one of {', '.join(CRS_NAMES)}", field="crs")


# The OGC names of the two geodetic CRSs, as the OGC API and its clients write them.
_URIS = {"http://www.opengis.net/def/crs/OGC/1.3/CRS84": "wgs84",
         "http://www.opengis.net/def/crs/EPSG/0/4326": "wgs84",
         "http://www.opengis.net/def/crs/EPSG/0/4490": "cgcs2000"}


def parse_crs(value: str | None) -> str:
    """Normalise a crs parameter (default wgs84), rejecting unknown names."""
    if value is None or value == "":
        return "wgs84"
    if value.strip() in _URIS:
        return _URIS[value.strip()]
    name = value.strip().lower().replace("-", "").replace("_", "").replace(":", "")
    aliases = {"wgs84": "wgs84", "epsg4326": "wgs84", "crs84": "wgs84", "ogccrs84": "wgs84",
               "gcj02": "gcj02", "bd09": "bd09",
               "cgcs2000": "cgcs2000", "epsg4490": "cgcs2000"}
    if name not in aliases:
        raise BadInput(f"unknown crs {value!r}; use one of {', '.join(CRS_NAMES)}", field="crs")
    return aliases[name]
