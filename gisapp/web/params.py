"""Request parameters every view reads: whole numbers, area codes, boxes, positions, client ids.

Each parser takes the raw value (a query string value or a JSON value) and returns a checked
Python value or raises BadInput naming the field, so bad input is a 400, never a 500.
"""
from __future__ import annotations

import math
import re

from werkzeug.routing import IntegerConverter

from ..areas.crs import parse_crs, to_wgs84
from ..errors import BadInput

CODE_RE = re.compile(r"^[0-9]{6}([0-9]{3}){0,4}$")
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
MAX_ACCURACY_M = 5000.0
MAX_ID = 2**63 - 1                  # PostgreSQL's bigint, the type of every id


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: a whole number up to MAX_ID. A larger one names no row
    (404), instead of reaching SQL as a numeric no function takes (found by fuzzing)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = MAX_ID, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


def parse_code(raw: str | None, field: str = "code") -> str:
    """A syntactically valid area code (6 + 3n digits), or BadInput."""
    if raw is None or not CODE_RE.match(raw):
        raise BadInput(f"区域编码须为 6、9、12、15 或 18 位数字 "
                       f"({field} must be an area code of 6, 9, 12, 15 or 18 digits)", field=field)
    return raw


def parse_int(raw: str | None, field: str, default: int, lo: int, hi: int) -> int:
    """A whole number of at most 9 digits between lo and hi; `default` when absent."""
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9):      # [0-9]{1,9}
        raise BadInput(f"{field} must be a whole number", field=field)
    value = int(raw)
    if not lo <= value <= hi:
        raise BadInput(f"{field} must be between {lo} and {hi}", field=field)
    return value


def parse_client_id(raw) -> str | None:
    """A phone's own id for a report or visit (so a retry is stored once), or None."""
    client_id = raw or None
    if client_id is not None and not (isinstance(client_id, str)
                                      and CLIENT_ID_RE.match(client_id)):
        raise BadInput("client_id must be 8-64 letters, digits or _.:-", field="client_id")
    return client_id


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
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180
            and -90 <= miny <= 90 and -90 <= maxy <= 90):
        raise BadInput("bbox is out of range (lng -180..180, lat -90..90)", field="bbox")
    if minx > maxx or miny > maxy:
        raise BadInput("bbox corners are swapped: give minlng,minlat,maxlng,maxlat",
                       field="bbox")
    return minx, miny, maxx, maxy


def bbox_param(args) -> tuple[float, float, float, float] | None:
    """A request's bbox as WGS 84 lng/lat: minlng,minlat,maxlng,maxlat by default (as every
    /api endpoint takes it), or in `bbox-crs` (EPSG:4490, EPSG:3857, gcj02, bd09 ...)."""
    if not args.get("bbox-crs"):
        return parse_bbox(args.get("bbox"))
    from ..ogc.crs import parse_bbox as parse_crs_bbox
    from ..ogc.crs import parse_crs_uri
    return parse_crs_bbox(args.get("bbox"),
                          parse_crs_uri(args["bbox-crs"], "bbox-crs", phone=True))


def parse_coordinate(raw, name: str) -> float:
    """A finite float from a query or JSON value, or BadInput."""
    if raw is None or raw == "":
        raise BadInput(f"missing parameter {name}", field=name)
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise BadInput(f"{name} must be a number", field=name)
    try:
        value = float(raw)
    except (TypeError, ValueError, OverflowError):      # OverflowError: an int beyond float
        raise BadInput(f"{name} must be a number, got {str(raw)[:40]!r}", field=name) from None
    if not math.isfinite(value):
        raise BadInput(f"{name} must be a finite number", field=name)
    return value


def check_range(lng: float, lat: float) -> None:
    """Reject out-of-range coordinates, pointing out the common lat/lng swap."""
    if -90 <= lng <= 90 and not -90 <= lat <= 90 and -180 <= lat <= 180:
        raise BadInput(f"lat {lat} is out of range; longitude and latitude look swapped "
                       "(lng is east-west, lat is north-south)", field="lat")
    if not -180 <= lng <= 180:
        raise BadInput(f"lng {lng} is out of range [-180, 180]", field="lng")
    if not -90 <= lat <= 90:
        raise BadInput(f"lat {lat} is out of range [-90, 90]", field="lat")


def parse_accuracy(raw) -> float | None:
    """A phone's accuracy radius in metres (0..5000), or None."""
    if raw is None or raw == "":
        return None
    value = parse_coordinate(raw, "accuracy")
    if value < 0 or value > MAX_ACCURACY_M:
        raise BadInput(f"accuracy must be between 0 and {MAX_ACCURACY_M:g} metres",
                       field="accuracy")
    return value


def parse_lnglat(src, crs_message: str = "crs must be a string") -> tuple[float, float]:
    """`lng`, `lat` and an optional input `crs` (wgs84, gcj02, bd09 ...) of a query or JSON
    object, as WGS 84."""
    lng, lat = parse_coordinate(src.get("lng"), "lng"), parse_coordinate(src.get("lat"), "lat")
    check_range(lng, lat)
    crs = src.get("crs")
    if crs is not None and not isinstance(crs, str):
        raise BadInput(crs_message, field="crs")
    wlng, wlat = to_wgs84(lng, lat, parse_crs(crs))
    return float(wlng), float(wlat)


def has_position(src) -> bool:
    """Whether `src` gives a position at all (lng or lat present)."""
    return not (src.get("lng") in (None, "") and src.get("lat") in (None, ""))


def optional_position(src) -> tuple[float | None, float | None, float | None]:
    """An optional position (lng, lat, crs, accuracy) as WGS 84 lng, lat, accuracy; both
    coordinates or neither."""
    if not has_position(src):
        return None, None, None
    lng, lat = parse_lnglat(src)
    return lng, lat, parse_accuracy(src.get("accuracy"))
