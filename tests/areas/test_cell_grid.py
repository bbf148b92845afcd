"""The cell grid that answers single-point lookups: built whole, or patched after an edit."""
from __future__ import annotations

import numpy as np
import shapely
import shapely.affinity

from gisapp.areas.spatial_index import CellGrid


def _squares(n: int = 12, side: float = 0.0013):
    """An n x n tessellation of squares, ids 1.., codes in id order."""
    geoms, ids = [], []
    for i in range(n):
        for j in range(n):
            x, y = 121.5 + i * side, 38.9 + j * side
            geoms.append(shapely.box(x, y, x + side, y + side))
            ids.append(len(ids) + 1)
    return np.array(ids, dtype=np.int64), np.array(geoms, dtype=object)


def _reference(ids, geoms, x, y) -> int:
    """The locate rule by brute force: the smallest code (here: id) that covers the point."""
    hits = [int(i) for i, g in zip(ids, geoms) if g.covers(shapely.Point(x, y))]
    return min(hits) if hits else -1


def _points(rng, ids, geoms, n=600):
    xy = shapely.get_coordinates(geoms)                 # vertices: shared by up to four
    lo, hi = xy.min(axis=0) - 0.002, xy.max(axis=0) + 0.002
    return np.vstack([xy[:200], rng.uniform(lo, hi, (n, 2))])


def test_built_grid_follows_the_rule():
    ids, geoms = _squares()
    grid = CellGrid(ids, geoms)
    rng = np.random.default_rng(3)
    for x, y in _points(rng, ids, geoms):
        assert grid.leaf_at(float(x), float(y)) == _reference(ids, geoms, x, y)


def test_patched_grid_equals_a_rebuild_and_touches_only_changed_cells():
    ids, geoms = _squares()
    grid = CellGrid(ids, geoms)
    # Edit: square 5 grows over part of square 6 (so both cover the overlap, 5 wins),
    # square 20 is removed, and a new leaf 999 (code sorts first) covers a corner.
    geoms2 = geoms.copy()
    x0, y0, x1, y1 = geoms[4].bounds
    geoms2[4] = shapely.box(x0, y0, x1, y1 + 0.0007)
    keep = ids != 20
    ids2 = np.append(ids[keep], 999)
    geoms2 = np.append(geoms2[keep], shapely.box(121.5, 38.9, 121.5008, 38.9008))
    code = {int(i): f"{i:04d}" for i in ids2}
    code[999] = "0000"
    order = np.argsort([code[int(i)] for i in ids2], kind="stable")
    ids2, geoms2 = ids2[order], geoms2[order]
    patched = grid.patched(ids2, geoms2, code)
    assert patched is not None
    rng = np.random.default_rng(4)
    pts = _points(rng, ids2, geoms2)
    for x, y in pts:
        want = _reference(ids2, geoms2, x, y)
        if want == 999 or (want != -1 and shapely.box(121.5, 38.9, 121.5008, 38.9008).covers(
                shapely.Point(x, y))):
            want = 999                  # code "0000": the smallest code wins
        assert patched.leaf_at(float(x), float(y)) == want
    fresh = CellGrid(ids2, geoms2)
    assert [patched.leaf_at(float(x), float(y)) for x, y in pts] == \
        [fresh.leaf_at(float(x), float(y)) for x, y in pts]
    # Cells far from the edits are the very same tuples: nothing was rebuilt there.
    far = grid.cells.index(next(c for c in grid.cells if c and 144 in c))
    assert patched.cells[far] is grid.cells[far]
    assert grid.leaf_at(121.5004, 38.9004) == 1          # the old grid is untouched


def test_patch_gives_up_on_large_changes_or_leaving_the_grid():
    ids, geoms = _squares()
    grid = CellGrid(ids, geoms)
    code = {int(i): f"{i:04d}" for i in ids}
    far = geoms.copy()
    far[0] = shapely.box(100.0, 30.0, 100.1, 30.1)        # beyond the grid's margin
    assert grid.patched(ids, far, code) is None
    moved = np.array([shapely.affinity.translate(g, 0.00001) for g in geoms], dtype=object)
    assert grid.patched(ids, moved, code) is not None     # 144 changes: still a patch
    from gisapp.areas import spatial_index
    old = spatial_index.MAX_PATCHED_LEAVES
    try:
        spatial_index.MAX_PATCHED_LEAVES = 100
        assert grid.patched(ids, moved, code) is None
    finally:
        spatial_index.MAX_PATCHED_LEAVES = old


def test_empty_grid():
    grid = CellGrid(np.array([], dtype=np.int64), np.array([], dtype=object))
    assert grid.leaf_at(121.5, 38.9) == -1
    assert grid.patched(np.array([], dtype=np.int64), np.array([], dtype=object), {}) is None
