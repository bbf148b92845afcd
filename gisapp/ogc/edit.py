"""OGC API – Features Part 4 for boundaries: create, replace and delete one area.

An OGC client edits one feature at a time, while a boundary save (gisapp/boundaries/save.py)
replaces the complete set of children of a parent, which must tessellate it. So each
write becomes such a save:

* create (POST): the new area takes the drawn polygon from its siblings (a sibling left
  with nothing is retired); the parent is `parent_code`, or the area of the level above
  holding the polygon;
* replace (PUT): the area gets the new polygon (and name), taking territory from its
  siblings; territory it gives up must go somewhere, so shrinking leaves a gap and is
  refused, as the editor would: grow the neighbour instead;
* delete (DELETE): the area is merged into a sibling (`to`, or the one sharing the
  longest edge).

Validation, access rules (supervisors inside their jurisdiction), versions, relinking and
the audit log are those of every boundary save. The version a client read (If-Match, or
the feature's `version` property) guards against overwriting someone else's change.
"""
from __future__ import annotations

import json

import shapely
from shapely.geometry import shape
from sqlalchemy.engine import Connection

from ..accounts.access import Viewer
from ..areas.features import CODE_RE
from ..boundaries.input_checks import (
    BoundaryRejected,
    Child,
    ChildrenEdit,
    parse_geometry,
    parse_name,
    parse_reason,
    parse_version,
)
from ..boundaries.ops import current_children, merge_areas
from ..boundaries.save import TOLERANCE_M, lock_parent, require_editor, save_children
from ..errors import BadInput, Conflict, NotFound
from ..queries import loader
from .crs import CRS84, geometry_to_lnglat
from .feature_collections import Collection

sql = loader(__package__)


def parse_feature(body: object, content_crs: str = CRS84) -> dict:
    """A GeoJSON Feature with a (Multi)Polygon: geometry in WGS 84, name, reason, version."""
    if not isinstance(body, dict) or body.get("type") != "Feature":
        raise BadInput('请求体必须是 GeoJSON Feature (body must be a GeoJSON Feature)')
    props = body.get("properties") or {}
    if not isinstance(props, dict):
        raise BadInput("properties must be an object", field="properties")
    geometry = body.get("geometry")
    if content_crs != CRS84 and isinstance(geometry, dict):
        geometry = geometry_to_lnglat(geometry, content_crs)
    geometry = parse_geometry(json.loads(json.dumps(geometry)), "geometry")
    geom = shape(geometry)
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise BoundaryRejected("invalid_geometry", f"几何无效：{reason} (invalid geometry: {reason})",
                               reason=reason, geometry=geometry)
    parent = props.get("parent_code")
    if parent is not None and (not isinstance(parent, str) or not CODE_RE.match(parent)):
        raise BadInput("parent_code must be an area code", field="properties.parent_code")
    return {"geometry": geometry, "name": parse_name(props.get("name"), "properties"),
            "reason": props.get("reason"), "parent_code": parent,
            "version": None if props.get("version") is None
            else parse_version(props["version"], "properties.version")}


def _level_check(coll: Collection) -> int:
    if coll.kind != "area":
        raise BadInput(f"{coll.id} 不能通过此接口修改 ({coll.id} is read-only here)")
    if coll.level == 1:
        raise BadInput("区的边界不能在此修改 (districts have no parent to edit within)")
    return coll.level


def _parent_for(conn: Connection, level: int, feature: dict) -> str:
    parent = feature["parent_code"]
    if parent is None:
        parent = conn.execute(sql("ogc_parent_at"), {"level": level - 1,
                              "polygon": json.dumps(feature["geometry"])}).scalar()
        if parent is None:
            raise BoundaryRejected("outside_parent", "新区域不在任何上级区域内 (the polygon lies "
                                   "in no area of the level above; give parent_code)",
                                   geometry=feature["geometry"])
    if len(parent) != 6 + 3 * (level - 2):
        raise BadInput(f"parent_code {parent} is not an area of the level above",
                       field="properties.parent_code")
    return parent


def _siblings(conn: Connection, parent: str, polygon: dict, skip: str | None):
    """The other children, each minus the polygon; (kept Children, retired {code: version})."""
    rows = conn.execute(sql("ogc_reshape"), {"parent": parent, "polygon": json.dumps(polygon),
                                             "tol_m": TOLERANCE_M, "skip": skip}).mappings().all()
    kept = [Child(i, r["code"], None, r["version"], r["geometry"])
            for i, r in enumerate(r for r in rows if r["geometry"] is not None)]
    gone = {r["code"]: r["version"] for r in rows if r["geometry"] is None}
    return kept, gone


def create_area(conn: Connection, viewer: Viewer, coll: Collection, feature: dict) -> dict:
    """A new area at the collection's level; returns the save summary with its `code`."""
    level = _level_check(coll)
    if feature["name"] is None:
        raise BadInput("新区域必须有名称 (a new area needs properties.name)", field="properties.name")
    parent = _parent_for(conn, level, feature)
    require_editor(viewer, parent)
    lock_parent(conn, parent)
    kept, gone = _siblings(conn, parent, feature["geometry"], None)
    new = Child(len(kept), None, feature["name"], None, feature["geometry"])
    reason = parse_reason(feature["reason"], default=f"新建 {feature['name']}（OGC API）")
    summary = save_children(conn, viewer, parent, ChildrenEdit(reason, (*kept, new), gone))
    summary["code"] = summary["created"][0]
    return summary


def _current(conn: Connection, level: int, code: str) -> dict:
    parent = code[:-3]
    if len(code) != 6 + 3 * (level - 1):
        raise NotFound(f"没有编码为 {code} 的区域 (no current area {code} at this level)")
    row = next((c for c in current_children(conn, parent) if c["code"] == code), None)
    if row is None:
        raise NotFound(f"没有编码为 {code} 的区域 (no current area {code} at this level)")
    return row


def _check_version(code: str, current: int, given: int | None) -> int:
    if given is not None and given != current:
        raise Conflict(f"{code} 已被修改（第 {current} 版），请重新读取后再编辑 ({code} was changed "
                       f"since version {given}; it is now version {current})",
                       code=code, version=current, sent_version=given)
    return current


def replace_area(conn: Connection, viewer: Viewer, coll: Collection, code: str, feature: dict,
                 if_match: int | None) -> dict:
    """Give an area a new boundary (and name), its siblings ceding the territory."""
    level = _level_check(coll)
    parent = code[:-3]
    require_editor(viewer, parent)
    lock_parent(conn, parent)
    row = _current(conn, level, code)
    version = _check_version(code, row["version"], if_match or feature["version"])
    kept, gone = _siblings(conn, parent, feature["geometry"], code)
    me = Child(len(kept), code, feature["name"], version, feature["geometry"])
    reason = parse_reason(feature["reason"], default=f"修改 {code} 边界（OGC API）")
    return save_children(conn, viewer, parent, ChildrenEdit(reason, (*kept, me), gone))


def delete_area(conn: Connection, viewer: Viewer, coll: Collection, code: str,
                heir: str | None, if_match: int | None) -> dict:
    """Retire an area; its territory goes to `heir` or the sibling with the longest shared edge."""
    level = _level_check(coll)
    require_editor(viewer, code[:-3])
    lock_parent(conn, code[:-3])
    row = _current(conn, level, code)
    version = _check_version(code, row["version"], if_match)
    heir = heir or conn.execute(sql("ogc_heir"), {"code": code}).scalar()
    if heir is None:
        raise BadInput(f"{code} 是唯一的下级区域，不能删除 ({code} is its parent's only child)")
    return merge_areas(conn, viewer, heir, code, None, version,
                       reason=f"撤销 {code}，并入 {heir}（OGC API）")
