"""Boundary edits: replace the children of one area, in one transaction, as new versions.

A save takes the complete new set of children of a parent. It is validated (valid
geometry, inside the parent, no overlap, no gap, each beyond a tolerance of about half a
metre), fitted so that shared edges are exactly shared, written as new versions of every
area it touches (continuing areas keep their codes; new ones get the next free code),
carried down to the children of the changed areas, and followed by re-linking what lies
in the changed territory. The geometry work runs in PostGIS (gisapp/queries/boundary_*.sql
and sql/100_boundary_edits.sql); this module orders the steps.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..accounts import audit
from ..accounts.access import Viewer
from ..cases.report import FINAL_STATES
from ..errors import BadInput, Conflict, Forbidden, NotFound
from ..queries import loader
from .input_checks import BoundaryRejected, Child, ChildrenEdit

sql = loader(__package__)

TOLERANCE_M = 0.5
# Degrees of latitude per metre: snapping by this many degrees never moves a point more
# than the tolerance (a degree of longitude is shorter still).
DEGREES_PER_METRE = 1 / 111_320
DEEPEST_LEVEL = 5


@dataclass(frozen=True)
class Operator(Viewer):
    """Whoever runs the `gisapp boundaries` command: trusted everywhere, audited by name."""

    @property
    def is_public(self) -> bool:
        return False

    def covers(self, code: str) -> bool:
        return True


@dataclass(frozen=True)
class Parent:
    id: int
    code: str
    level: int
    name: str


def require_editor(viewer: Viewer, parent_code: str) -> None:
    """Only supervisors whose jurisdiction holds the parent may change its children."""
    viewer.require_login()
    if not viewer.may_edit_boundary(parent_code):
        raise Forbidden(f"无权修改 {parent_code} 的下级边界 (you may not edit the boundaries "
                        f"inside {parent_code})", code=parent_code)


def lock_parent(conn: Connection, code: str) -> Parent:
    """Lock the area and everything below it for this transaction; the area, or NotFound."""
    row = conn.execute(sql("boundary_lock"), {"code": code}).first()
    if row is None:
        raise NotFound(f"没有编码为 {code} 的区域 (no current area with code {code})", code=code)
    return Parent(row.id, row.code, row.level, row.name)


def save_children(conn: Connection, viewer: Viewer, parent_code: str, edit: ChildrenEdit,
                  tolerance_m: float = TOLERANCE_M, revert_to=None) -> dict:
    """Replace the children of `parent_code` with `edit`; return what changed and moved.
    `revert_to` (a revert): an area that gets its boundary of that moment back gets its
    children of that moment back too, at every level below."""
    require_editor(viewer, parent_code)
    # Each statement of a save touches a few areas and the points inside them, but the
    # planner's estimates at city scale make PostgreSQL JIT-compile them, which costs
    # seconds and saves nothing.
    conn.execute(text("SET LOCAL jit = off"))
    parent = lock_parent(conn, parent_code)
    if parent.level >= DEEPEST_LEVEL:
        raise BadInput(f"微网格没有下级区域 ({parent_code} is a micro-grid: it has no children)")
    # Taken after the lock, so it is later than every version already committed.
    t = conn.execute(text("SELECT clock_timestamp()")).scalar()
    check_versions(conn, parent, edit)
    level = parent.level + 1
    conn.execute(sql("boundary_plan_create"))
    conn.execute(sql("boundary_plan_load"), {"level": level, "parent_id": parent.id,
                                             "children": _children_json(edit.children)})
    validate(conn, level, tolerance_m)
    fit(conn, parent, level, tolerance_m)
    derive_levels(conn, level, t, tolerance_m, revert_to)
    return write(conn, viewer, parent, edit.reason, t)


def _children_json(children: tuple[Child, ...]) -> str:
    return json.dumps([{"i": c.index, "code": c.code, "name": c.name, "geometry": c.geometry}
                       for c in children])


def check_versions(conn: Connection, parent: Parent, edit: ChildrenEdit) -> None:
    """Refuse unknown codes; answer 409 if any child moved on since the client loaded it."""
    rows = {r.code: r for r in conn.execute(sql("boundary_versions"), {"parent_id": parent.id})}
    stale = []
    for child in edit.children:
        if child.code is None:
            continue
        row = rows.get(child.code)
        if row is None or (row.retired and not child.resurrect):
            raise BadInput(f"{child.code} 不是 {parent.code} 的现有下级区域 ({child.code} is not "
                           f"a current child of {parent.code})", child=child.index,
                           code=child.code, geometry=child.geometry)
        if not child.resurrect and row.version != child.version:
            stale.append((child.code, child.version))
    for code, version in edit.known_versions.items():
        row = rows.get(code)
        if row is not None and (row.retired or row.version != version):
            stale.append((code, version))
    if stale:
        raise _conflict(conn, stale)


def _conflict(conn: Connection, stale: list[tuple[str, int]]) -> Conflict:
    sent = dict(stale)
    current = conn.execute(sql("boundary_conflicts"), {"codes": list(sent)}).mappings().all()
    others = [{**dict(r), "sent_version": sent[r["code"]]} for r in current]
    first = others[0]
    who = (first["retired_by"] or {}).get("author") if first["retired_at"] else first["author"]
    return Conflict(
        f"{first['code']} 已被 {who} 修改（第 {first['version']} 版），请查看对方的修改后重新编辑 "
        f"({first['code']} was changed by {who} since you loaded it; reload and edit again)",
        conflicts=others, geometry=first["geometry"])


# The rules of a save, checked in this order: the query that finds the first child breaking
# it, the error code, the message (formatted with the row and the tolerance `tol`) and which
# of the row's columns the error carries (detail name -> column).
_RULES = (
    ("boundary_check_valid", "invalid_geometry",
     "几何无效：{reason} (invalid geometry: {reason})",
     {"child": "submitted", "code": "code", "reason": "reason", "geometry": "geometry",
      "location": "location"}),
    ("boundary_check_outside", "outside_parent",
     "超出上级区域约 {area_m2} 平方米 (reaches outside the parent area by about {area_m2} m², "
     "beyond the {tol} m tolerance)",
     {"child": "submitted", "code": "code", "geometry": "geometry"}),
    ("boundary_check_overlap", "overlap",
     "与相邻区域重叠约 {area_m2} 平方米 (overlaps a sibling by about {area_m2} m², beyond the "
     "{tol} m tolerance)",
     {"child": "submitted", "code": "code", "other": "other", "other_code": "other_code",
      "geometry": "geometry"}),
    ("boundary_check_gap", "gap",
     "上级区域有约 {area_m2} 平方米未被覆盖 (leaves about {area_m2} m² of the parent uncovered, "
     "beyond the {tol} m tolerance)",
     {"geometry": "geometry"}),
    ("boundary_check_thin", "too_thin",
     "区域过窄（窄于 {tol} 米）(narrower than the {tol} m tolerance everywhere inside the parent)",
     {"child": "submitted", "code": "code", "geometry": "geometry"}),
)


def validate(conn: Connection, level: int, tolerance_m: float) -> None:
    """Raise BoundaryRejected, with the offending geometry, for the first broken rule."""
    params = {"level": level, "tol_m": tolerance_m}
    for query, error, message, details in _RULES:
        bad = conn.execute(sql(query), params).mappings().first()
        if bad:
            raise BoundaryRejected(error, message.format(**bad, tol=tolerance_m),
                                   **{name: bad[column] for name, column in details.items()})


def fit(conn: Connection, parent: Parent, level: int, tolerance_m: float) -> None:
    """Snap and fill the children so they tessellate the parent exactly; check that they do."""
    conn.execute(sql("boundary_fit"), {"level": level, "parent_id": parent.id,
                                       "tol_deg": tolerance_m * DEGREES_PER_METRE})
    check = conn.execute(sql("boundary_check_fit"), {"level": level}).mappings().first()
    if check["vanished"]:
        raise BoundaryRejected("too_thin", f"区域 {check['vanished'][0]} 被相邻区域完全覆盖 "
                               "(a child vanished when fitted to its neighbours)",
                               code=check["vanished"][0], geometry=None)
    # Floating point leaves ~1e-15 of the parent; anything near a square metre is a bug.
    if check["mismatch"] > 1e-9 or check["overlap"] > 1e-9:
        raise BoundaryRejected("fit_failed", "无法使下级区域严密拼合上级区域，请检查公共边 "
                               "(the children could not be fitted to tessellate the parent)",
                               geometry=None, mismatch=check["mismatch"], overlap=check["overlap"])
    conn.execute(sql("boundary_settle"), {"level": level})


def derive_levels(conn: Connection, level: int, t, tolerance_m: float, revert_to=None) -> None:
    """Create the new areas level by level, carrying each change down to the children."""
    while True:
        conn.execute(sql("boundary_number"), {"level": level, "t": t})
        if level >= DEEPEST_LEVEL:
            return
        actions = []
        if revert_to is not None:
            actions = conn.execute(sql("boundary_derive_revert"),
                                   {"level": level, "t": revert_to}).scalars().all()
        actions += conn.execute(sql("boundary_derive"),
                                {"level": level, "tol_m": tolerance_m}).scalars().all()
        if not actions:
            return
        level += 1


def write(conn: Connection, viewer: Viewer, parent: Parent, reason: str, t) -> dict:
    """Write the plan (versions, new and retired areas), re-link, refresh counts, audit."""
    author = viewer.username or "system"
    conn.execute(sql("boundary_write_close"), {"t": t})
    conn.execute(sql("boundary_write_versions"), {"t": t, "author": author, "reason": reason})
    conn.execute(sql("boundary_write_areas"), {"t": t})
    done = conn.execute(sql("boundary_summary")).mappings().first()
    moved = relink(conn, parent.level + 1)
    touched = list(done["touched"]) + moved.pop("count_areas") + [parent.id]
    conn.execute(text("SELECT refresh_area_counts_for(:ids)"), {"ids": touched})
    summary = {"parent": parent.code, "at": t.isoformat(), "author": author, "reason": reason,
               **{k: list(done[k]) for k in ("versions", "created", "retired", "restored",
                                             "renamed")},
               "moved": moved}
    audit.record(conn, viewer, "boundary.save", parent.code,
                 **{k: v for k, v in summary.items() if k not in ("parent", "author")})
    children = conn.execute(sql("boundary_result"), {"level": parent.level + 1}).mappings()
    return {**summary, "children": [dict(c) for c in children]}


def relink(conn: Connection, level: int) -> dict:
    """Point households, buildings, facilities, open cases and duties at the new areas."""
    row = conn.execute(sql("boundary_relink"),
                       {"level": level, "final_states": list(FINAL_STATES)}).mappings().first()
    duties = 0
    if conn.execute(sql("boundary_duties_to_move")).scalar():
        duties = conn.execute(sql("boundary_relink_duties")).rowcount
    return {"households": row["households"], "buildings": row["buildings"],
            "facilities": row["facilities"], "duties": duties, "open_cases": row["open_cases"],
            "count_areas": list(row["count_areas"])}


def child_from_row(row, index: int, geometry: dict | None = None, **changes) -> Child:
    """A Child for an area as it stands (used by the editing operations and imports)."""
    child = Child(index, row["code"], None, row["version"], geometry or row["geometry"])
    return replace(child, **changes) if changes else child
