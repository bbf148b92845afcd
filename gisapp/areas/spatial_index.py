"""An in-memory index of the current boundaries, for lookups without a database round trip.

The database stays the truth: this is a cache of `area_current` and the duties on it,
rebuilt when the boundary or staff generation in `cache_generation` moves. A rebuild
fetches only the geometries whose version changed, then rebuilds the STRtree and the
cell grid over the leaf areas, so a boundary edit costs milliseconds, not a full reload.

The rule for a point (the same as `locate_leaf` in sql/020_locate.sql): among the leaf
areas (no live children) whose polygon covers the point, edges included, the one with
the smallest code wins.
"""
from __future__ import annotations

import gc
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

LEVEL_KEYS = {1: "district", 2: "street", 3: "community", 4: "grid", 5: "microgrid"}
NO_AREA = -1


# Side of a cell of the single-point grid, in degrees (~90 m x 110 m at Dalian's latitude):
# about four leaf candidates per cell, and a grid of ~70,000 cells over a city.
CELL_DEGREES = 0.001
# Beyond this many changed leaves a refresh rebuilds the grid instead of patching it.
MAX_PATCHED_LEAVES = 2000


class CellGrid:
    """Leaf candidates per grid cell, for single points without building a shapely Point.

    A cell holds, in code order, the ids of the leaves whose bounding box meets it. A
    lookup is two multiplications, a list index and a prepared point-in-polygon test per
    candidate (`intersects_xy` on a point is "covers": edges included), about 3x cheaper
    than a Point plus an STRtree query. A boundary edit patches the cells of the leaves
    it touched (`patched`), so a refresh after one edit does not rebuild the grid.
    """

    __slots__ = ("x0", "y0", "inv", "nx", "ny", "cells", "geoms")

    def __init__(self, leaf_ids: np.ndarray, leaf_geoms: np.ndarray, cell: float = CELL_DEGREES):
        self.geoms = dict(zip(leaf_ids.tolist(), leaf_geoms.tolist()))
        self.inv = 1.0 / cell
        if not len(leaf_geoms):
            self.x0 = self.y0 = 0.0
            self.nx = self.ny = 0
            self.cells: list[tuple[int, ...]] = []
            return
        b = shapely.bounds(leaf_geoms)
        # A margin of ten cells each way: a boundary may grow a little without a rebuild.
        self.x0, self.y0 = float(b[:, 0].min()) - 10 * cell, float(b[:, 1].min()) - 10 * cell
        ix0, iy0 = self._cell(b[:, 0], b[:, 1])
        ix1, iy1 = self._cell(b[:, 2], b[:, 3])
        self.nx, self.ny = int(ix1.max()) + 11, int(iy1.max()) + 11
        h = iy1 - iy0 + 1
        per_leaf = (ix1 - ix0 + 1) * h
        leaf = np.repeat(np.arange(len(leaf_geoms)), per_leaf)
        k = np.arange(len(leaf)) - np.repeat(np.cumsum(per_leaf) - per_leaf, per_leaf)
        cells = (ix0[leaf] + k // h[leaf]) * self.ny + iy0[leaf] + k % h[leaf]
        order = np.argsort(cells, kind="stable")       # stable: leaves stay in code order
        start = np.searchsorted(cells[order], np.arange(self.nx * self.ny + 1)).tolist()
        items = leaf_ids[leaf[order]].tolist()
        self.cells = [tuple(items[start[c]:start[c + 1]]) for c in range(self.nx * self.ny)]

    def _cell(self, x, y):
        return (((x - self.x0) * self.inv).astype(np.int64),
                ((y - self.y0) * self.inv).astype(np.int64))

    def _cells_of(self, geom) -> list[int] | None:
        """The cells a geometry's box meets, or None if it reaches beyond the grid."""
        x0, y0, x1, y1 = geom.bounds
        i0, j0 = int((x0 - self.x0) * self.inv), int((y0 - self.y0) * self.inv)
        i1, j1 = int((x1 - self.x0) * self.inv), int((y1 - self.y0) * self.inv)
        if x0 < self.x0 or y0 < self.y0 or i1 >= self.nx or j1 >= self.ny:
            return None
        return [i * self.ny + j for i in range(i0, i1 + 1) for j in range(j0, j1 + 1)]

    def leaf_at(self, lng: float, lat: float) -> int:
        cx, cy = int((lng - self.x0) * self.inv), int((lat - self.y0) * self.inv)
        # lng >= x0 keeps int() from truncating -0.5 to cell 0.
        if lng >= self.x0 and lat >= self.y0 and cx < self.nx and cy < self.ny:
            geoms, covers = self.geoms, _intersects_xy
            for area_id in self.cells[cx * self.ny + cy]:
                if covers(geoms[area_id], lng, lat):
                    return area_id
        return NO_AREA

    def patched(self, leaf_ids: np.ndarray, leaf_geoms: np.ndarray,
                code: dict[int, str]) -> CellGrid | None:
        """A copy for new leaves, touching only the cells of changed ones (None: rebuild).

        A leaf changed if it is new, gone, or its geometry is another object (geometries
        of unchanged versions are carried over as the same objects).
        """
        new = dict(zip(leaf_ids.tolist(), leaf_geoms.tolist()))
        gone = [aid for aid, g in self.geoms.items() if new.get(aid) is not g]
        came = [aid for aid, g in new.items() if self.geoms.get(aid) is not g]
        if not self.nx or len(gone) + len(came) > MAX_PATCHED_LEAVES:
            return None
        grid = object.__new__(CellGrid)
        grid.x0, grid.y0, grid.inv, grid.nx, grid.ny = self.x0, self.y0, self.inv, self.nx, self.ny
        grid.geoms, grid.cells = new, list(self.cells)
        for aid in gone:
            for c in self._cells_of(self.geoms[aid]) or ():
                grid.cells[c] = tuple(x for x in grid.cells[c] if x != aid)
        for aid in came:
            cells = grid._cells_of(new[aid])
            if cells is None:
                return None
            for c in cells:
                grid.cells[c] = tuple(sorted(grid.cells[c] + (aid,), key=code.__getitem__))
        return grid


# shapely >= 2.1 has a scalar entry point (no ufunc set-up: ~0.1 us against ~2.5 us).
_intersects_xy = getattr(shapely.lib, "intersects_xy_scalar", shapely.intersects_xy)


class AreaInfo(NamedTuple):
    """One current area as the index needs it (a tuple: built 47,000 at a time)."""

    id: int
    code: str
    level: int
    parent_id: int | None
    name: str
    office_name: str | None
    office_phone: str | None
    households: int
    version_id: int


@dataclass(frozen=True, eq=False)
class Snapshot:
    """One immutable state of the index; swapped whole, so readers never see half a rebuild."""

    areas: dict[int, AreaInfo]
    leaf_ids: np.ndarray            # area ids of leaves, sorted by code
    leaf_geoms: np.ndarray          # shapely geometries, prepared, same order
    tree: shapely.STRtree | None
    cells: CellGrid                 # the same leaves, gridded for single points
    chains: dict[int, tuple[int, ...]]   # leaf id -> ids from district down to the leaf
    duties: dict[int, list[dict]]        # area id -> people on duty there
    versions: dict[int, int] = field(default_factory=dict)  # area id -> version_id
    geoms_by_area: dict[int, object] = field(default_factory=dict)
    # Rendered answers per leaf, filled lazily; dies with the snapshot, so never stale.
    described: dict[int, dict] = field(default_factory=dict)
    # (database time, date) when areas and duties were read; see _areas_for, _duties_for.
    read_at: tuple | None = None
    # The cache generations (cache_generation) this snapshot was built for: a caller can
    # check in its own transaction that the database has not moved on (gisapp/cases/report.py).
    generations: dict[str, int] = field(default_factory=dict)

    def leaves_at(self, lng: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """The leaf area id for each point by the locate rule, or NO_AREA."""
        result = np.full(len(lng), len(self.leaf_ids), dtype=np.int64)
        if self.tree is None or len(lng) == 0:
            return np.full(len(lng), NO_AREA, dtype=np.int64)
        points = shapely.points(lng, lat)
        pt_idx, leaf_idx = self.tree.query(points)
        if len(pt_idx):
            hit = shapely.covers(self.leaf_geoms[leaf_idx], points[pt_idx])
            # Leaves are sorted by code, so the smallest index is the smallest code.
            np.minimum.at(result, pt_idx[hit], leaf_idx[hit])
        found = result < len(self.leaf_ids)
        out = np.full(len(lng), NO_AREA, dtype=np.int64)
        out[found] = self.leaf_ids[result[found]]
        return out

    def leaf_at(self, lng: float, lat: float) -> int:
        """leaves_at for one point, without the array set-up (single lookups are most)."""
        return self.cells.leaf_at(lng, lat)

    def leaves_overlapping(self, geom) -> list[tuple[int, float]]:
        """Leaf ids whose polygon meets `geom`, with the share of `geom` inside each."""
        if self.tree is None:
            return []
        idx = self.tree.query(geom, predicate="intersects")
        total = geom.area or 1.0
        overlaps = shapely.area(shapely.intersection(self.leaf_geoms[idx], geom)) / total
        shares = [(int(self.leaf_ids[i]), float(s)) for i, s in zip(idx, overlaps) if s > 0]
        return sorted(shares, key=lambda s: (-s[1], self.areas[s[0]].code))


_AREAS_SQL = text("""
    SELECT id, code, level, parent_id, name, office_name, office_phone, households, version_id
    FROM area_current ORDER BY code COLLATE "C"    -- codes are digits: byte order, a cheap sort
""")
_GEOMS_SQL = text("SELECT area_id, ST_AsBinary(geom) FROM area_version WHERE id = ANY(:ids)")
_DUTIES_SQL = text("""
    SELECT d.area_id, p.id AS person_id, p.name, p.phone, d.role, r.name_zh AS role_zh
    FROM duty d JOIN person p ON p.id = d.person_id JOIN staff_role r ON r.role = d.role
    WHERE p.active AND d.starts_on <= current_date
      AND (d.ends_on IS NULL OR d.ends_on >= current_date)
    ORDER BY d.area_id, r.rank, p.name COLLATE "C", p.id
""")
# The same for some areas only (psycopg2 parameters: it runs on the raw cursor).
_SOME_DUTIES_SQL = _DUTIES_SQL.text.replace(
    "WHERE p.active", "WHERE d.area_id = ANY(%(ids)s) AND p.active")
_CHANGED_DUTY_AREAS = text("SELECT DISTINCT area_id FROM duty_change WHERE at >= :since")
_CHANGED_AREAS = text("SELECT DISTINCT area_id FROM area_change WHERE at >= :since")
_SOME_AREAS_SQL = ("SELECT id, code, level, parent_id, name, office_name, office_phone, households,"
                   " version_id FROM area_current WHERE id = ANY(%(ids)s)")
_GENERATIONS_SQL = text("SELECT name, generation FROM cache_generation")
_NOW = text("SELECT now(), current_date")
# Changes are looked for this far behind the last read: a transaction stamps its log
# rows when it writes them and may commit a little later.
CHANGE_LOOKBACK = timedelta(seconds=60)
MAX_PARTIAL_AREAS = 5000


def build_snapshot(conn: Connection, previous: Snapshot | None = None,
                   reload_staff: bool = True, generations: dict | None = None) -> Snapshot:
    """Read the current boundaries (only changed geometries) and duties into a new snapshot.

    When the hierarchy itself (ids and parents) did not change, the leaf order and the
    chains of the previous snapshot are reused, so a boundary edit costs a query, the
    changed geometries and one STRtree build (tens of milliseconds at city scale).
    """
    now, today = conn.execute(_NOW).one()
    areas = _areas_for(conn, previous)
    versions = {a.id: a.version_id for a in areas.values()}
    geoms = _changed_geometries(conn, versions, previous)
    if previous is not None and _same_hierarchy(previous.areas, areas):
        leaf_ids, chains = previous.leaf_ids, previous.chains
    else:
        has_child = {a.parent_id for a in areas.values() if a.parent_id is not None}
        leaf_ids = np.array([a.id for a in areas.values() if a.id not in has_child],
                            dtype=np.int64)                 # already in code order
        chains = _chains(areas, leaf_ids)
    leaf_geoms = np.array([geoms[i] for i in leaf_ids.tolist()], dtype=object)
    shapely.prepare(leaf_geoms)
    tree = shapely.STRtree(leaf_geoms) if len(leaf_geoms) else None
    duties = _duties_for(conn, previous, reload_staff, today)
    cells = previous.cells.patched(leaf_ids, leaf_geoms, {a.id: a.code for a in areas.values()}) \
        if previous is not None else None
    return Snapshot(areas, leaf_ids, leaf_geoms, tree, cells or CellGrid(leaf_ids, leaf_geoms),
                    chains, duties, versions, geoms,
                    read_at=(now, today), generations=dict(generations or {}))


def _changed_since(conn: Connection, query, previous: Snapshot) -> list[int] | None:
    """Ids logged as changed since the previous read (None: too many, re-read everything)."""
    since = previous.read_at[0] - CHANGE_LOOKBACK
    changed = conn.execute(query, {"since": since}).scalars().all()
    return None if len(changed) > MAX_PARTIAL_AREAS else changed


def _areas_for(conn: Connection, previous: Snapshot | None) -> dict[int, AreaInfo]:
    """All current areas in code order: the previous ones, with the changed ones re-read."""
    changed = _changed_since(conn, _CHANGED_AREAS, previous) if previous and previous.read_at else None
    if changed is None:
        return _read_areas(conn, previous)
    areas = dict(previous.areas)
    if not changed:
        return areas
    fresh = {row[0]: AreaInfo(*row) for row in _raw_rows(conn, _SOME_AREAS_SQL, changed)}
    moved = False
    for area_id in changed:
        old, new = areas.get(area_id), fresh.get(area_id)
        if new is None:
            moved |= areas.pop(area_id, None) is not None        # retired or deleted
        else:
            moved |= old is None or old.code != new.code or old.parent_id != new.parent_id
            areas[area_id] = new
    if moved:            # keep code order, which the locate rule and the leaves rely on
        areas = dict(sorted(areas.items(), key=lambda kv: kv[1].code))
    return areas


def _raw_rows(conn: Connection, sql: str, ids: list[int]) -> list[tuple]:
    with conn.connection.driver_connection.cursor() as cur:
        cur.execute(sql, {"ids": list(ids)})
        return cur.fetchall()


def _duties_for(conn: Connection, previous: Snapshot | None, reload_staff: bool, today):
    """The people on duty: the previous snapshot's, with only the changed areas re-read.

    Everything is re-read on the first load, on a new day (duties start and end by date)
    and when too many areas changed at once.
    """
    if previous is None or previous.read_at is None or previous.read_at[1] != today:
        return _load_duties(conn)
    if not reload_staff:
        return previous.duties
    changed = _changed_since(conn, _CHANGED_DUTY_AREAS, previous)
    if changed is None:
        return _load_duties(conn)
    duties = dict(previous.duties)
    for area_id in changed:
        duties.pop(area_id, None)
    duties.update(_load_duties(conn, changed) if changed else {})
    return duties


def _read_areas(conn: Connection, previous: Snapshot | None) -> dict[int, AreaInfo]:
    """All current areas in code order, reusing the previous snapshot's unchanged tuples."""
    # The raw cursor: SQLAlchemy rows cost ~5x more to unpack, 47,000 of them at a time.
    with conn.connection.driver_connection.cursor() as cur:
        cur.execute(_AREAS_SQL.text)
        rows = cur.fetchall()
    old = previous.areas if previous else {}
    areas = {}
    for row in rows:
        info = old.get(row[0])
        areas[row[0]] = info if info is not None and tuple(info) == row else AreaInfo(*row)
    return areas


def _same_hierarchy(old: dict[int, AreaInfo], new: dict[int, AreaInfo]) -> bool:
    """Same areas, same parents and same code order: leaves and chains still hold."""
    if len(old) != len(new) or old.keys() != new.keys():
        return False
    return all(a.parent_id == old[a.id].parent_id and a.code == old[a.id].code
               for a in new.values())


def _changed_geometries(conn: Connection, versions: dict[int, int],
                        previous: Snapshot | None) -> dict[int, object]:
    old = previous.geoms_by_area if previous else {}
    old_versions = previous.versions if previous else {}
    geoms = {aid: old[aid] for aid, vid in versions.items()
             if old_versions.get(aid) == vid and aid in old}
    missing = [vid for aid, vid in versions.items() if aid not in geoms]
    if missing:
        for area_id, wkb in conn.execute(_GEOMS_SQL, {"ids": missing}):
            geoms[area_id] = shapely.from_wkb(bytes(wkb))
    return geoms


def _chains(areas: dict[int, AreaInfo], leaf_ids: np.ndarray) -> dict[int, tuple[int, ...]]:
    chains = {}
    for leaf in leaf_ids.tolist():
        chain, cur = [], areas.get(leaf)
        while cur is not None:
            chain.append(cur.id)
            cur = areas.get(cur.parent_id) if cur.parent_id else None
        chains[leaf] = tuple(reversed(chain))
    return chains


def _load_duties(conn: Connection, area_ids: list[int] | None = None) -> dict[int, list[dict]]:
    """The people on duty per area (~140,000 duties at city scale, read in one pass)."""
    duties: dict[int, list[dict]] = {}
    # The raw cursor, as in _read_areas: a whole-city reload must not take seconds.
    with conn.connection.driver_connection.cursor() as cur:
        if area_ids is None:
            cur.execute(_DUTIES_SQL.text)
        else:
            cur.execute(_SOME_DUTIES_SQL, {"ids": list(area_ids)})
        for area_id, person_id, name, phone, role, role_zh in cur:
            duties.setdefault(area_id, []).append(
                {"person_id": person_id, "name": name, "phone": phone,
                 "role": role, "role_zh": role_zh})
    return duties


class AreaIndex:
    """Holds the current snapshot and refreshes it when the database says it is stale."""

    def __init__(self, engine: Engine, refresh_seconds: float = 1.0):
        self._engine = engine
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._generations: dict[str, int] = {}
        self._checked_at = 0.0

    def snapshot(self) -> Snapshot:
        """The current snapshot, refreshed first if the check interval has passed."""
        if self._snapshot is None or time.monotonic() - self._checked_at > self._refresh_seconds:
            self.refresh(lazy=True)
        return self._snapshot

    def refresh(self, force: bool = False, lazy: bool = False) -> bool:
        """Rebuild if any cache generation moved (or if forced); True if rebuilt."""
        with self._lock:
            if (lazy and self._snapshot is not None
                    and time.monotonic() - self._checked_at <= self._refresh_seconds):
                return False        # another request checked while this one waited
            with self._engine.connect() as conn:
                gens = dict(conn.execute(_GENERATIONS_SQL).all())
                self._checked_at = time.monotonic()
                if not force and self._snapshot is not None and gens == self._generations:
                    return False
                staff_moved = gens.get("staff") != self._generations.get("staff")
                self._snapshot = build_snapshot(conn, self._snapshot,
                                                reload_staff=force or staff_moved, generations=gens)
                self._generations = gens
            # The snapshot is ~10^5 long-lived objects; left in the collector's generations,
            # every full collection walks them all (a lookup batch then runs at half speed).
            # Freezing moves them out of its way; they are freed by reference counting.
            gc.freeze()
            return True
