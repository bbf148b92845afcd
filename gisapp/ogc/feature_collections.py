"""The feature collections the OGC API serves, and the query each one starts from.

Each collection is a base SELECT (SQLAlchemy Core, every value a bound parameter) that
already applies the access rules of gisapp/accounts/access.py for the viewer, and a whitelist of
queryable properties: the only names a property filter or a CQL2 filter may use.

Households are deliberately not a collection: their personal data follows rules
(duty, audit of every read) that an open feature service cannot keep.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, case, cast, column, false, func, literal, or_, select, table, true
from sqlalchemy.sql import Select

from ..accounts.access import Viewer
from ..errors import NotFound

area_t = table("area", column("id"), column("code"), column("level"), column("name"),
               column("households"), column("retired_at"))
version_t = table("area_version", column("area_id"), column("version"), column("geom"),
                  column("valid_from"), column("valid_to"))
facility_t = table("facility", column("id"), column("kind"), column("name"), column("address"),
                   column("phone"), column("capacity"), column("opening_hours"),
                   column("is_public"), column("geom"), column("area_id"))
kind_t = table("facility_kind", column("kind"), column("name_zh"))
case_t = table("case_file", column("id"), column("kind"), column("category"), column("state"),
               column("reported_at"), column("closed_at"), column("area_code"), column("geom"),
               column("merged_into"), column("reporter_user_id"))
category_t = table("case_category", column("key"), column("name_zh"), column("public"))


@dataclass(frozen=True)
class Collection:
    """One OGC feature collection: what it is, what may be queried, how it is read."""

    id: str
    title: str
    description: str
    kind: str                         # "area", "facility" or "case"
    geometry_type: str
    queryables: dict[str, str]        # property name -> JSON Schema type or format
    level: int | None = None
    temporal: str | None = None       # the property `datetime` filters on
    editable: bool = False

    @property
    def login_required(self) -> bool:
        return self.kind == "case"


AREA_QUERYABLES = {"code": "string", "name": "string", "parent_code": "string",
                   "households": "integer", "version": "integer", "area_m2": "number",
                   "valid_from": "date-time", "valid_to": "date-time"}
_LEVELS = ((1, "districts", "区 districts"), (2, "streets", "街道 streets"),
           (3, "communities", "社区 communities"), (4, "grids", "网格 grids"),
           (5, "microgrids", "微网格 micro-grids"))

COLLECTIONS: dict[str, Collection] = {
    cid: Collection(cid, title, f"{title}: boundaries as versioned polygons (code, name, "
                    "parent, household count, area in m²). `datetime` selects the boundaries "
                    "as they stood then.", "area", "MultiPolygon", AREA_QUERYABLES, level,
                    temporal="valid", editable=level > 1)
    for level, cid, title in _LEVELS
}
COLLECTIONS["facilities"] = Collection(
    "facilities", "服务设施 service facilities",
    "Service facilities (kind, name, capacity, opening hours). Facilities not open to the "
    "public are listed to staff only.", "facility", "Point",
    {"id": "integer", "kind": "string", "name": "string", "capacity": "integer",
     "area_code": "string", "is_public": "boolean"})
COLLECTIONS["public_cases"] = Collection(
    "public_cases", "公开案件 public cases",
    "Hazard and incident reports in the public categories, without any personal detail: "
    "category, state, when, where. No description, reporter, contact or handler. "
    "Disputes are never included. Staff see the cases of their own areas (city-wide "
    "roles see all); the public sees none.", "case", "Point",
    {"id": "integer", "kind": "string", "category": "string", "state": "string",
     "area_code": "string", "reported_at": "date-time", "closed_at": "date-time"},
    temporal="reported_at")


def get_collection(collection_id: str, viewer: Viewer) -> Collection:
    """The collection with this id, if it exists and the viewer may read it."""
    coll = COLLECTIONS.get(collection_id)
    if coll is None:
        raise NotFound(f"没有名为 {collection_id[:60]} 的要素集 (no collection {collection_id[:60]!r})")
    if coll.login_required:
        viewer.require_login()
    return coll


def visible_collections(viewer: Viewer) -> list[Collection]:
    """The collections listed to this viewer."""
    return [c for c in COLLECTIONS.values() if not (c.login_required and viewer.is_public)]


# Time selection for area versions: None (current), an instant, or an interval.
TimeSel = tuple[datetime | None, datetime | None] | datetime | None


def base_query(coll: Collection, viewer: Viewer, when: TimeSel = None,
               all_versions: bool = False) -> Select:
    """The collection's rows the viewer may see, with `fid`, its properties and `geom`."""
    if coll.kind == "area":
        return _areas(coll.level, when, all_versions)
    if coll.kind == "facility":
        return _facilities(viewer)
    return _cases(viewer)


def _areas(level: int, when: TimeSel, all_versions: bool) -> Select:
    a, v = area_t, version_t
    interval = isinstance(when, tuple)
    code_len = func.length(a.c.code)
    fid = (a.c.code + literal("@") + cast(v.c.version, Text)) if interval else a.c.code
    q = select(
        fid.label("fid"), a.c.code, a.c.name,
        case((a.c.level > 1, func.left(a.c.code, code_len - 3)), else_=None).label("parent_code"),
        a.c.households, v.c.version, v.c.valid_from, v.c.valid_to,
        func.round(func.ST_Area(func.geography(v.c.geom))).label("area_m2"),
        v.c.geom,
    ).select_from(a.join(v, v.c.area_id == a.c.id)).where(a.c.level == level)
    if all_versions:
        return q
    if when is None:
        return q.where(v.c.valid_to.is_(None), a.c.retired_at.is_(None))
    if not interval:
        return q.where(v.c.valid_from <= when, or_(v.c.valid_to.is_(None), v.c.valid_to > when))
    start, end = when
    return q.where(true() if end is None else v.c.valid_from <= end,
                   true() if start is None else or_(v.c.valid_to.is_(None), v.c.valid_to > start))


def _facilities(viewer: Viewer) -> Select:
    f, a, k = facility_t, area_t, kind_t
    q = select(
        f.c.id.label("fid"), f.c.id, f.c.kind, k.c.name_zh.label("kind_zh"), f.c.name,
        f.c.address, f.c.phone, f.c.capacity, f.c.opening_hours, f.c.is_public,
        a.c.code.label("area_code"), f.c.geom,
    ).select_from(f.join(k, k.c.kind == f.c.kind).outerjoin(a, a.c.id == f.c.area_id))
    # The same rule as the facilities registry (gisapp/facilities/registry.py), from access.py.
    return q if viewer.may_see_internal_facilities() else q.where(f.c.is_public)


def _cases(viewer: Viewer) -> Select:
    c, cc = case_t, category_t
    q = select(
        c.c.id.label("fid"), c.c.id, c.c.kind, c.c.category, cc.c.name_zh.label("category_zh"),
        c.c.state, c.c.reported_at, c.c.closed_at, c.c.area_code, c.c.geom,
    ).select_from(c.join(cc, cc.c.key == c.c.category)).where(
        cc.c.public, c.c.kind.in_(("hazard", "incident")), c.c.state != "cancelled",
        c.c.merged_into.is_(None))
    if viewer.is_public:
        return q.where(false())
    if viewer.citywide:
        return q
    inside = [c.c.area_code.like(p) for p in viewer.like_patterns()]
    return q.where(or_(c.c.reporter_user_id == viewer.user_id, *inside))


def sort_keys(coll: Collection, base) -> list:
    """A stable order for paging."""
    if coll.kind == "area":
        return [base.c.code, base.c.version]
    if coll.kind == "case":
        return [base.c.reported_at.desc(), base.c.id.desc()]
    return [base.c.id]


def property_names(coll: Collection, base) -> list[str]:
    """The properties of a feature: every column but the id and the geometry."""
    return [c.name for c in base.c if c.name not in ("fid", "geom")]
