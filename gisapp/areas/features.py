"""Areas: one area as a Feature, and filtered pages of areas as FeatureCollections."""
from __future__ import annotations

import math
import re

from sqlalchemy.engine import Connection

from ..errors import BadInput, NotFound
from ..queries import loader

sql = loader(__package__)

LEVELS = {"district": 1, "street": 2, "community": 3, "grid": 4, "microgrid": 5}
CODE_RE = re.compile(r"^[0-9]{6}([0-9]{3}){0,4}$")
MAX_PAGE = 5000
DEFAULT_PAGE = 100


def parse_code(raw: str | None, field: str = "code") -> str:
    """A syntactically valid area code (6 + 3n digits), or BadInput."""
    if raw is None or not CODE_RE.match(raw):
        raise BadInput(f"{field} must be an area code of 6, 9, 12, 15 or 18 digits", field=field)
    return raw


def parse_level(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if raw in LEVELS:
        return LEVELS[raw]
    if raw.isdigit() and 1 <= int(raw) <= 5:
        return int(raw)
    raise BadInput(f"level must be one of {', '.join(LEVELS)}", field="level")


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """minlng,minlat,maxlng,maxlat in WGS 84, finite, in range and not inverted."""
    if raw is None or raw == "":
        return None
    parts = raw.split(",")
    if len(parts) != 4:
        raise BadInput("bbox must be minlng,minlat,maxlng,maxlat", field="bbox")
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError:
        raise BadInput("bbox values must be numbers", field="bbox") from None
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise BadInput("bbox values must be finite", field="bbox")
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90):
        raise BadInput("bbox is out of range (lng -180..180, lat -90..90)", field="bbox")
    if minx > maxx or miny > maxy:
        raise BadInput("bbox corners are swapped: give minlng,minlat,maxlng,maxlat", field="bbox")
    return minx, miny, maxx, maxy


def parse_int(raw: str | None, field: str, default: int, lo: int, hi: int) -> int:
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9):      # [0-9]{1,9}
        raise BadInput(f"{field} must be a whole number", field=field)
    value = int(raw)
    if not lo <= value <= hi:
        raise BadInput(f"{field} must be between {lo} and {hi}", field=field)
    return value


def zoom_tolerance(zoom: int | None) -> float:
    """Half a pixel at `zoom`, in degrees: the simplification that cannot be seen."""
    if zoom is None:
        return 0.0
    return 360.0 / (256 * 2 ** zoom) / 2


def get_area(conn: Connection, code: str) -> dict:
    """The current area with this code as a GeoJSON Feature, or NotFound."""
    feature = conn.execute(sql("area_feature"), {"code": code}).scalar()
    if feature is None:
        raise NotFound(f"没有编码为 {code} 的区域 (no current area with code {code})", code=code)
    return feature


def list_areas(conn: Connection, level: int | None = None, parent: str | None = None,
               bbox: tuple | None = None, zoom: int | None = None,
               limit: int = DEFAULT_PAGE, offset: int = 0) -> dict:
    """A FeatureCollection page of current areas matching the filters."""
    minx, miny, maxx, maxy = bbox or (None, None, None, None)
    return conn.execute(sql("area_collection"), {
        "level": level, "parent": parent, "minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy,
        "tolerance": zoom_tolerance(zoom), "limit": limit, "offset": offset,
    }).scalar()
