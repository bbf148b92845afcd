"""Point -> areas: which micro-grid, grid, community, street and district, and who is on duty."""
from __future__ import annotations

import itertools
import json
import math

import numpy as np
import shapely

from ..errors import BadInput, OutsideAllAreas
from .crs import to_wgs84
from .spatial_index import LEVEL_KEYS, NO_AREA, Snapshot

MAX_ACCURACY_M = 5000.0


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
    if raw is None or raw == "":
        return None
    value = parse_coordinate(raw, "accuracy")
    if value < 0 or value > MAX_ACCURACY_M:
        raise BadInput(f"accuracy must be between 0 and {MAX_ACCURACY_M:g} metres", field="accuracy")
    return value


def accuracy_circle(lng: float, lat: float, metres: float):
    """The accuracy circle as a polygon in degrees (local metres scaled per axis)."""
    circle = shapely.Point(0, 0).buffer(1.0, quad_segs=16)
    sx = metres / (111_320.0 * math.cos(math.radians(lat)))
    sy = metres / 110_540.0
    coords = shapely.get_coordinates(circle) * [sx, sy] + [lng, lat]
    return shapely.Polygon(coords)


def describe_chain(snap: Snapshot, leaf_id: int, staff: bool = True) -> dict:
    """The areas from district to leaf, keyed by level, with offices and (for staff) people on duty."""
    key = (leaf_id, staff)
    cached = snap.described.get(key)
    if cached is None:
        cached = snap.described[key] = _describe_chain(snap, leaf_id, staff)
    return cached


def describe_chain_json(snap: Snapshot, leaf_id: int, staff: bool = True) -> str:
    """describe_chain as JSON text, encoded once per leaf and snapshot.

    Answers are spliced from these fragments (see `as_json`): a batch of 10,000 points
    in a few hundred leaves encodes a few hundred chains, not 10,000.
    """
    key = (leaf_id, staff, "json")
    cached = snap.described.get(key)
    if cached is None:
        cached = snap.described[key] = _dumps(describe_chain(snap, leaf_id, staff))
    return cached


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _describe_chain(snap: Snapshot, leaf_id: int, staff: bool) -> dict:
    # The public sees which office serves a point and its phone, never staff members.
    out = {}
    for area_id in snap.chains[leaf_id]:
        a = snap.areas[area_id]
        out[LEVEL_KEYS[a.level]] = {
            "id": a.id, "code": a.code, "name": a.name, "level": LEVEL_KEYS[a.level],
            "office": {"name": a.office_name, "phone": a.office_phone} if a.office_phone else None,
        }
        if staff:
            out[LEVEL_KEYS[a.level]]["on_duty"] = snap.duties.get(a.id, [])
    return out


def find_areas_at(snap: Snapshot, lng: float, lat: float, crs: str = "wgs84",
                  accuracy: float | None = None, staff: bool = True) -> dict:
    """Locate one point given in `crs`; raise OutsideAllAreas when no area covers it."""
    check_range(lng, lat)
    wlng, wlat = (float(v) for v in to_wgs84(lng, lat, crs))
    leaf = snap.leaf_at(wlng, wlat)
    candidates = _candidates(snap, wlng, wlat, accuracy) if accuracy else []
    if leaf == NO_AREA and not candidates:
        raise OutsideAllAreas(_outside_message(lng, lat), wgs84=[wlng, wlat])
    if leaf == NO_AREA:
        leaf = candidates[0]["id"]
    result = {"query": {"lng": lng, "lat": lat, "crs": crs, "wgs84": [wlng, wlat],
                        "accuracy": accuracy},
              "areas": describe_chain(snap, leaf, staff),
              "ambiguous": len(candidates) > 1, "leaf_id": leaf}
    if accuracy:
        result["candidates"] = candidates
    return result


def _candidates(snap: Snapshot, lng: float, lat: float, accuracy: float) -> list[dict]:
    shares = snap.leaves_overlapping(accuracy_circle(lng, lat, accuracy))
    return [{"id": aid, "code": snap.areas[aid].code, "name": snap.areas[aid].name,
             "level": LEVEL_KEYS[snap.areas[aid].level], "overlap": round(share, 4)}
            for aid, share in shares]


def _outside_message(lng: float, lat: float) -> str:
    msg = f"点 ({lng}, {lat}) 不在任何网格内 (the point lies outside every area)"
    if -90 <= lng <= 90 and 70 <= lat <= 140:
        msg += "; longitude and latitude may be swapped"
    return msg


def find_areas_many(snap: Snapshot, points: list, crs: str = "wgs84",
                    staff: bool = True) -> list[dict]:
    """Locate a batch of [lng, lat] points; each result is areas or an error, in order."""
    leaves, problems = _leaves_of(snap, points, crs)
    chains = {leaf: describe_chain(snap, leaf, staff) for leaf in set(leaves) if leaf != NO_AREA}
    return [{"index": i, "areas": chains[leaf]} if leaf != NO_AREA else problems[i]
            for i, leaf in enumerate(leaves)]


def find_areas_many_json(snap: Snapshot, points: list, crs: str = "wgs84",
                         staff: bool = True) -> bytes:
    """find_areas_many as UTF-8 JSON of its results list, spliced from encoded chains.

    Built as bytes: the chains hold Chinese names, and a 7 MB answer encoded from
    str after joining costs three more copies than joining bytes.
    """
    leaves, problems = _leaves_of(snap, points, crs)
    tails = {leaf: b',"areas":' + describe_chain_json(snap, leaf, staff).encode() + b"}"
             for leaf in set(leaves) if leaf != NO_AREA}
    parts: list[bytes] = []
    add = parts.append
    for i, leaf in enumerate(leaves):
        if leaf == NO_AREA:
            add(b"," + _dumps(problems[i]).encode())
        else:
            add(b',{"index":%d' % i)
            add(tails[leaf])
    if parts:
        parts[0] = parts[0][1:]                 # no comma before the first result
    return b"[" + b"".join(parts) + b"]"


def _leaves_of(snap: Snapshot, points: list, crs: str) -> tuple[list[int], dict[int, dict]]:
    """The leaf of each point (NO_AREA where none), and an error result where none."""
    lng, lat, errors = _parse_points(points)
    ok = ~np.isnan(lng)
    wlng, wlat = np.full(len(lng), np.nan), np.full(len(lat), np.nan)
    if ok.any():
        wlng[ok], wlat[ok] = to_wgs84(lng[ok], lat[ok], crs)
    leaves = np.full(len(lng), NO_AREA, dtype=np.int64)
    leaves[ok] = snap.leaves_at(wlng[ok], wlat[ok])
    leaves = leaves.tolist()
    problems = {}
    for i in np.flatnonzero(np.asarray(leaves) == NO_AREA).tolist():
        problems[i] = ({"index": i, "error": "bad_input", "message": errors[i]} if i in errors else
                       {"index": i, "error": "outside_all_areas",
                        "message": _outside_message(float(lng[i]), float(lat[i]))})
    return leaves, problems


def _parse_points(points: list) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """Coordinates as arrays (NaN where bad) and a message per bad point."""
    fast = _parse_points_fast(points)
    if fast is not None:
        return fast
    lng, lat, errors = np.full(len(points), np.nan), np.full(len(points), np.nan), {}
    for i, p in enumerate(points):
        try:
            if not isinstance(p, (list, tuple)) or len(p) != 2:
                raise BadInput("each point must be [lng, lat]")
            x, y = parse_coordinate(p[0], "lng"), parse_coordinate(p[1], "lat")
            check_range(x, y)
            lng[i], lat[i] = x, y
        except BadInput as exc:
            errors[i] = exc.message
    return lng, lat, errors


def _parse_points_fast(points: list):
    # Vectorised path for the common case: every point is two in-range JSON numbers.
    # Type checks by map/set run in C: ~1 us per point less than generator expressions.
    if not points or set(map(type, points)) != {list} or set(map(len, points)) != {2}:
        return None
    if not set(map(type, itertools.chain.from_iterable(points))) <= {int, float}:
        return None
    try:
        arr = np.asarray(points, dtype=float)
    except OverflowError:           # an integer too large for a float: the slow path names it
        return None
    lng, lat = arr[:, 0], arr[:, 1]
    if not (np.isfinite(arr).all() and (np.abs(lng) <= 180).all() and (np.abs(lat) <= 90).all()):
        return None
    return lng.copy(), lat.copy(), {}
