"""Editing operations that build a new set of children and save it like any edit:
draw a new child, split an area with a line, merge two neighbours, delete an area into
a neighbour, revert to an earlier version. Also what the editor reads: one parent with its children
and neighbours, an area's history, and a search for areas to edit.
"""
from __future__ import annotations

import json
import math
from dataclasses import replace

from sqlalchemy.engine import Connection

from ..accounts.access import Viewer
from ..errors import BadInput, NotFound
from ..queries import loader
from .input_checks import BoundaryRejected, Child, ChildrenEdit
from .save import TOLERANCE_M, lock_parent, require_editor, save_children

sql = loader(__package__)

# A cut line is extended this far past each end (about 1 m), so a line drawn to the
# boundary crosses it even when its last vertex sits a hair inside.
LINE_OVERSHOOT_DEG = 1e-5
SEARCH_LIMIT = 20


def current_children(conn: Connection, parent_code: str) -> list[dict]:
    """The current children of an area at full precision (code, name, version, geometry)."""
    return [
        dict(r) for r in conn.execute(sql("boundary_children"), {"parent": parent_code}).mappings()
    ]


def _parent_of(conn: Connection, code: str) -> str:
    row = conn.execute(sql("boundary_parent"), {"code": code}).first()
    if row is None:
        raise NotFound(f"没有编码为 {code} 的区域 (no current area with code {code})", code=code)
    if row.parent_code is None:
        raise BadInput(f"{code} 没有上级区域，不能在此编辑 ({code} has no parent area)", code=code)
    return row.parent_code


def _with_changes(children: list[dict], replaced: dict[str, Child],
                  added: list[Child] = ()) -> tuple[Child, ...]:
    """The children list with some replaced and some added; the rest as they stand."""
    out = [replaced.get(r["code"]) or Child(0, r["code"], None, r["version"], r["geometry"])
           for r in children] + list(added)
    return tuple(replace(c, index=i) for i, c in enumerate(out))


def split_area(conn: Connection, viewer: Viewer, code: str, line: dict, version: int,
               name: str | None = None, reason: str | None = None) -> dict:
    """Cut an area in two (or more) with a line: the largest piece keeps the code."""
    parent_code = _parent_of(conn, code)
    require_editor(viewer, parent_code)
    lock_parent(conn, parent_code)
    children = current_children(conn, parent_code)
    area = next(c for c in children if c["code"] == code)
    pieces = conn.execute(sql("boundary_split"), {"code": code, "line": json.dumps(overshoot(line))}
                          ).mappings().all()
    if len(pieces) < 2:
        raise BoundaryRejected("split_failed", "分割线必须完整穿过该区域 (the line must cross the "
                               "area from edge to edge)", code=code, geometry=line)
    kept = Child(0, code, None, version, pieces[0]["geometry"])
    added = [Child(0, None, _piece_name(name or f"{area['name']}（拆分）", i, len(pieces)), None,
                   piece["geometry"]) for i, piece in enumerate(pieces[1:], start=1)]
    edit = ChildrenEdit(reason or f"拆分 {code}", _with_changes(children, {code: kept}, added))
    return save_children(conn, viewer, parent_code, edit)


def _piece_name(name: str, i: int, count: int) -> str:
    return name if count == 2 else f"{name}{i}"


def overshoot(line: dict) -> dict:
    """The line with its first and last segments extended a little beyond their ends."""
    coords = [list(p) for p in line["coordinates"]]
    for end, before in ((0, 1), (-1, -2)):
        (x0, y0), (x1, y1) = coords[before], coords[end]
        length = math.hypot(x1 - x0, y1 - y0)
        if length > 0:
            scale = LINE_OVERSHOOT_DEG / length
            coords[end] = [x1 + (x1 - x0) * scale, y1 + (y1 - y0) * scale]
    return {"type": "LineString", "coordinates": coords}


def merge_areas(conn: Connection, viewer: Viewer, keep: str, drop: str, keep_version: int | None,
                drop_version: int | None, reason: str | None = None) -> dict:
    """Two neighbouring siblings become one: `keep` takes the union, `drop` is retired."""
    if keep == drop:
        raise BadInput("不能与自身合并 (an area cannot be merged with itself)", code=keep)
    parent_code = _parent_of(conn, keep)
    require_editor(viewer, parent_code)
    lock_parent(conn, parent_code)
    pair = conn.execute(sql("boundary_pair"), {"code": keep, "other": drop}).mappings().first()
    if pair is None or not pair["siblings"]:
        raise BadInput(f"{drop} 不是 {keep} 的同级区域 ({drop} is not a sibling of {keep})",
                       code=keep, other=drop)
    if pair["shared_m"] <= TOLERANCE_M:
        raise BoundaryRejected("not_adjacent", f"{keep} 与 {drop} 不相邻 ({keep} and {drop} share "
                               "no edge)", code=keep, other=drop, geometry=pair["geometry"])
    children = current_children(conn, parent_code)
    versions = {c["code"]: c["version"] for c in children}
    kept = Child(0, keep, None, keep_version or versions[keep], pair["geometry"])
    rest = [c for c in children if c["code"] != drop]
    edit = ChildrenEdit(reason or f"合并 {drop} 到 {keep}", _with_changes(rest, {keep: kept}),
                        {drop: drop_version or versions[drop]})
    return save_children(conn, viewer, parent_code, edit)


def revert_area(conn: Connection, viewer: Viewer, code: str, version: int,
                reason: str | None = None) -> dict:
    """Restore the children of `code`'s parent as they stood when that version began."""
    start = conn.execute(sql("boundary_version_start"), {"code": code, "version": version}).first()
    if start is None:
        raise NotFound(f"{code} 没有第 {version} 版 ({code} has no version {version})", code=code)
    require_editor(viewer, start.parent_code)
    parent = lock_parent(conn, start.parent_code)
    rows = conn.execute(
        sql("boundary_at"), {"t": start.valid_from, "parent_id": parent.id}
    ).mappings()
    children = tuple(Child(i, r["code"], None, r["version"], r["geometry"], resurrect=r["retired"])
                     for i, r in enumerate(rows))
    edit = ChildrenEdit(reason or f"恢复 {code} 第 {version} 版", children)
    return save_children(conn, viewer, parent.code, edit, revert_to=start.valid_from)


def carve_area(conn: Connection, viewer: Viewer, parent_code: str, polygon: dict, name: str,
               versions: dict[str, int], reason: str | None = None) -> dict:
    """Draw a new child: it takes the drawn polygon, inside the parent, from the children there.

    `versions` are the children's versions the editor saw; a child left with nothing is
    retired. In a parent with no children yet, the rest of the parent becomes a second child.
    """
    require_editor(viewer, parent_code)
    parent = lock_parent(conn, parent_code)
    row = (
        conn.execute(
            sql("boundary_carve"),
            {"parent": parent_code, "polygon": json.dumps(polygon), "tol_m": TOLERANCE_M},
        )
        .mappings()
        .first()
    )
    if not row["valid"]:
        raise BoundaryRejected("invalid_geometry", f"几何无效：{row['reason']} (invalid geometry: "
                               f"{row['reason']})", reason=row["reason"], geometry=polygon)
    if row["piece"] is None:
        raise BoundaryRejected(
            "outside_parent",
            "新区域不在上级区域内 (the drawn area lies outside the parent)",
            geometry=polygon,
        )
    children = current_children(conn, parent_code)
    kept, gone = [], {}
    for c in children:
        version = versions.get(c["code"], c["version"])
        if row["rest"][c["code"]] is None:
            gone[c["code"]] = version
        else:
            kept.append(Child(len(kept), c["code"], None, version, row["rest"][c["code"]]))
    added = [Child(len(kept), None, name, None, row["piece"])]
    if not children and row["remainder"] is not None:
        added.append(
            Child(len(kept) + 1, None, f"{parent.name}其余部分"[:60], None, row["remainder"])
        )
    edit = ChildrenEdit(reason or f"在 {parent_code} 内新建 {name}", tuple(kept + added), gone)
    return save_children(conn, viewer, parent_code, edit)


def editor_view(conn: Connection, viewer: Viewer, code: str) -> dict:
    """One parent with its current children and its neighbours, for the editor."""
    data = conn.execute(sql("boundary_editor"), {"code": code}).scalar()
    if data is None:
        raise NotFound(f"没有编码为 {code} 的区域 (no current area with code {code})", code=code)
    data["editable"] = viewer.may_edit_boundary(code) and data["parent"]["child_level"] is not None
    data["tolerance_m"] = TOLERANCE_M
    return data


def area_history(conn: Connection, code: str) -> dict:
    """Every version of an area, newest first, with author, time, reason and geometry."""
    row = conn.execute(sql("boundary_history"), {"code": code}).mappings().first()
    if row is None:
        raise NotFound(f"没有编码为 {code} 的区域 (no area with code {code})", code=code)
    return dict(row)


def search_areas(conn: Connection, viewer: Viewer, q: str) -> list[dict]:
    """Areas (district to grid) in the viewer's jurisdiction matching a code prefix or name."""
    patterns = viewer.like_patterns()
    if not patterns or not q:
        return []
    name = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    prefix = q if q.isdigit() else "x"      # codes are digits: a name matches no code
    rows = conn.execute(sql("boundary_search"), {"patterns": patterns, "prefix": prefix,
                                                 "name": name, "limit": SEARCH_LIMIT})
    return [dict(r) for r in rows.mappings()]
