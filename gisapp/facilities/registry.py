"""Service facilities: the registry (validate, list, create, change, remove) and nearest-of-a-kind.

Facilities are not personal data: staff see all of them, the public those open to the
public. Changes are for supervisors inside their jurisdiction (`Viewer.may_edit_facility`)
and are audited in the same transaction as the change.
"""
from __future__ import annotations

import math
import re

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..accounts import audit
from ..accounts.access import Viewer
from ..areas.crs import parse_crs, to_wgs84
from ..areas.locate import check_range, parse_coordinate
from ..errors import BadInput, Forbidden, NotFound
from ..queries import loader

sql = loader(__package__)

FIELDS = ("kind", "name", "address", "phone", "capacity", "opening_hours", "is_public")
TEXT_LIMITS = {"name": 200, "address": 300, "opening_hours": 100}
PHONE_RE = re.compile(r"^[0-9+\- ]{5,20}$")
MAX_CAPACITY = 100_000
MAX_NEAREST = 50


def kinds(conn: Connection) -> dict[str, str]:
    """Facility kinds: key -> Chinese name."""
    return dict(conn.execute(text("SELECT kind, name_zh FROM facility_kind ORDER BY kind")).all())


def check_kind(conn: Connection, kind) -> str:
    """A known facility kind, or BadInput naming the known ones."""
    known = kinds(conn)
    if not isinstance(kind, str) or kind not in known:
        raise BadInput(f"unknown facility kind {str(kind)[:40]!r}; use one of {', '.join(known)}",
                       field="kind")
    return kind


def parse_point(lng, lat, crs) -> tuple[float, float]:
    """A point given in any input crs (wgs84, gcj02, bd09, cgcs2000) as WGS 84 lng, lat."""
    x, y = parse_coordinate(lng, "lng"), parse_coordinate(lat, "lat")
    if crs is not None and not isinstance(crs, str):
        raise BadInput('crs must be a string such as "gcj02"', field="crs")
    name = parse_crs(crs)
    check_range(x, y)
    wx, wy = to_wgs84(x, y, name)
    return float(wx), float(wy)


def parse_facility(conn: Connection, body, current: dict | None = None) -> dict:
    """Validated facility fields from a JSON object; with `current`, a partial change of it."""
    if not isinstance(body, dict):
        raise BadInput("body must be a JSON object")
    unknown = set(body) - set(FIELDS) - {"location"}
    if unknown:
        raise BadInput(f"unknown field(s): {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    merged = dict(current or {"address": None, "phone": None, "capacity": None,
                              "opening_hours": None, "is_public": True})
    merged.update({k: body[k] for k in FIELDS if k in body})
    if current is None and ("kind" not in body or "name" not in body or "location" not in body):
        raise BadInput("kind, name and location are required")
    out = {"kind": check_kind(conn, merged["kind"]), "name": _text(merged["name"], "name", True)}
    for field in ("address", "opening_hours"):
        out[field] = _text(merged[field], field, False)
    out["phone"] = _phone(merged["phone"])
    out["capacity"] = _capacity(merged["capacity"])
    if not isinstance(merged["is_public"], bool):
        raise BadInput("is_public must be true or false", field="is_public")
    out["is_public"] = merged["is_public"]
    if "location" in body:
        loc = body["location"]
        if not isinstance(loc, dict):
            raise BadInput('location must be {"lng": .., "lat": .., "crs": "wgs84"}', field="location")
        out["lng"], out["lat"] = parse_point(loc.get("lng"), loc.get("lat"), loc.get("crs"))
    else:
        out["lng"], out["lat"] = current["lng"], current["lat"]
    return out


def _text(value, field: str, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise BadInput(f"{field} must not be empty", field=field)
        return None
    if not isinstance(value, str) or "\x00" in value:       # PostgreSQL text cannot hold NUL
        raise BadInput(f"{field} must be text", field=field)
    if len(value) > TEXT_LIMITS[field]:
        raise BadInput(f"{field} is at most {TEXT_LIMITS[field]} characters", field=field)
    return value.strip()


def _phone(value) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not PHONE_RE.match(value):
        raise BadInput("phone must be 5-20 digits, spaces, '+' or '-'", field="phone")
    return value


def _capacity(value) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) \
            or not 0 <= value <= MAX_CAPACITY:
        raise BadInput(f"capacity must be a whole number from 0 to {MAX_CAPACITY}", field="capacity")
    return int(value)


def list_facilities(conn: Connection, viewer: Viewer, kind: str | None = None,
                    area: str | None = None, bbox: tuple | None = None,
                    limit: int = 100, offset: int = 0) -> list[dict]:
    """Facilities the viewer may see, filtered by kind, area code prefix and bbox."""
    if kind is not None:
        check_kind(conn, kind)
    minx, miny, maxx, maxy = bbox or (None, None, None, None)
    rows = conn.execute(sql("facility_list"), {
        "kind": kind, "id": None, "public_only": not viewer.may_see_internal_facilities(),
        "area": area, "minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy,
        "limit": limit, "offset": offset})
    return [dict(r._mapping) for r in rows]


def get_facility(conn: Connection, viewer: Viewer, facility_id: int) -> dict:
    """One facility the viewer may see, or NotFound."""
    row = conn.execute(sql("facility_list"), {
        "kind": None, "id": facility_id, "public_only": not viewer.may_see_internal_facilities(),
        "area": None, "minx": None, "miny": None, "maxx": None, "maxy": None,
        "limit": 1, "offset": 0}).first()
    if row is None:
        raise NotFound(f"没有编号为 {facility_id} 的设施 (no such facility)")
    return dict(row._mapping)


def _area_at(conn: Connection, lng: float, lat: float) -> str | None:
    return conn.execute(text("SELECT code FROM area WHERE id = locate_leaf("
                             "ST_SetSRID(ST_MakePoint(:x, :y), 4326))"), {"x": lng, "y": lat}).scalar()


def _require_edit(conn: Connection, viewer: Viewer, lng: float, lat: float) -> None:
    viewer.require_login()
    code = _area_at(conn, lng, lat)
    if not viewer.may_edit_facility(code):
        where = f"区域 {code}" if code else "所有区域之外"
        raise Forbidden(f"无权在{where}登记或修改设施 (outside your jurisdiction)")


def save_facility(conn: Connection, facility_id: int | None, data: dict) -> int:
    """Insert (facility_id None) or update validated fields; no access check here."""
    params = {k: data[k] for k in FIELDS} | {"lng": data["lng"], "lat": data["lat"], "id": facility_id}
    return conn.execute(sql("facility_write"), params).scalar_one()


def create_facility(conn: Connection, viewer: Viewer, body) -> dict:
    """Register a facility; supervisors only, at a point inside their jurisdiction."""
    viewer.require_login()
    data = parse_facility(conn, body)
    _require_edit(conn, viewer, data["lng"], data["lat"])
    new_id = save_facility(conn, None, data)
    audit.record(conn, viewer, "facility.create", str(new_id), **_audit_fields(data))
    return get_facility(conn, viewer, new_id)


def update_facility(conn: Connection, viewer: Viewer, facility_id: int, body) -> dict:
    """Change some fields of a facility; the old and the new place must both be in jurisdiction."""
    viewer.require_login()
    current = _locked(conn, viewer, facility_id)
    _require_edit(conn, viewer, current["lng"], current["lat"])
    data = parse_facility(conn, body, current)
    _require_edit(conn, viewer, data["lng"], data["lat"])
    save_facility(conn, facility_id, data)
    changed = {k: data[k] for k in (*FIELDS, "lng", "lat") if data[k] != current.get(k)}
    audit.record(conn, viewer, "facility.update", str(facility_id), **changed)
    return get_facility(conn, viewer, facility_id)


def delete_facility(conn: Connection, viewer: Viewer, facility_id: int) -> None:
    """Remove a facility from the registry (supervisors, inside their jurisdiction)."""
    viewer.require_login()
    current = _locked(conn, viewer, facility_id)
    _require_edit(conn, viewer, current["lng"], current["lat"])
    conn.execute(text("DELETE FROM facility WHERE id = :id"), {"id": facility_id})
    audit.record(conn, viewer, "facility.delete", str(facility_id), **_audit_fields(current))


def _locked(conn: Connection, viewer: Viewer, facility_id: int) -> dict:
    # Lock the row so two concurrent edits apply one after the other.
    conn.execute(text("SELECT 1 FROM facility WHERE id = :id FOR UPDATE"), {"id": facility_id})
    return get_facility(conn, viewer, facility_id)


def _audit_fields(data: dict) -> dict:
    return {k: data.get(k) for k in ("kind", "name", "lng", "lat")}


def nearest(conn: Connection, viewer: Viewer, kind: str, lng: float, lat: float,
            limit: int = 5) -> list[dict]:
    """The `limit` facilities of `kind` nearest to a WGS 84 point, with distance in metres."""
    check_kind(conn, kind)
    if not (math.isfinite(lng) and math.isfinite(lat)):
        raise BadInput("the point must be finite")
    rows = conn.execute(sql("facility_nearest"), {
        "kind": kind, "lng": lng, "lat": lat, "limit": limit, "candidates": limit * 2 + 8,
        "public_only": not viewer.may_see_internal_facilities()})
    return [dict(r._mapping) for r in rows]
