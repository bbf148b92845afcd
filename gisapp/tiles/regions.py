"""Invalidation: the changes (`tile_dirty` regions) a process has applied, and which
cached tiles each one makes stale.

Triggers (sql/090_tiles.sql) record each change as a region (group + WGS 84 bbox). A
tile is stale when a region applied after the generation its rendering started at
touches it: the region's group is one its layer depends on (for the tile's access
class), and the region, widened by the tile buffer, meets the tile.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .layers import ORIGIN, WORLD, mercator, tile_range

MAX_REGIONS = 20_000
GAP_SECONDS = 120.0


@dataclass(frozen=True)
class Region:
    """One recorded change: a group of data and the WGS 84 box it touched."""

    id: int
    grp: str
    bbox: tuple[float, float, float, float]


class RegionArrays:
    """Regions as columns, to test one tile against all of them at once.

    A region's box is kept in Web Mercator world fractions (u east, v south, 0..1),
    computed with `gisapp.tiles.layers.mercator` itself. At zoom z a tile column is
    u * 2**z, which equals tile_range's (mx + ORIGIN) / tile_size(z) exactly (scaling by
    a power of two is exact), and `touch` applies tile_range's floor rule to it, so it
    agrees with `Regions.touches` to the last bit.
    """

    def __init__(self, regions):
        rows = list(regions)
        self.ids = np.array([r.id for r in rows], dtype=np.int64)
        self.last = int(self.ids.max())
        self.groups = {g: i for i, g in enumerate(sorted({r.grp for r in rows}))}
        self.grp = np.array([self.groups[r.grp] for r in rows], dtype=np.int32)
        boxes = np.array([_world_box(r.bbox) for r in rows], dtype=float).reshape(-1, 4)
        self.u0, self.v0, self.u1, self.v1 = boxes.T

    def touch(self, gen: int, codes: list[int], z: int, x: int, y: int, margin: float) -> bool:
        scale = float(2 ** z)
        hit = (self.ids > gen) & np.isin(self.grp, codes)
        hit &= (np.floor(self.u0 * scale - margin) <= x) & (np.floor(self.u1 * scale + margin) >= x)
        hit &= (np.floor(self.v0 * scale - margin) <= y) & (np.floor(self.v1 * scale + margin) >= y)
        return bool(hit.any())


@lru_cache(maxsize=2 * MAX_REGIONS)
def _world_box(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """(u west, v north, u east, v south) of a WGS 84 box, in world fractions."""
    (mx0, my0), (mx1, my1) = mercator(bbox[0], bbox[1]), mercator(bbox[2], bbox[3])
    return ((mx0 + ORIGIN) / WORLD, (ORIGIN - my1) / WORLD, (mx1 + ORIGIN) / WORLD,
            (ORIGIN - my0) / WORLD)


class Regions:
    """The last MAX_REGIONS applied regions, the generation they reach, and the ids
    skipped on the way (asked for again for GAP_SECONDS). Callers hold a lock."""

    def __init__(self, registry_fn):
        self._registry_fn = registry_fn
        self.recent: deque[Region] = deque()
        self._arrays: RegionArrays | None = None
        self.gaps: dict[int, float] = {}
        self.applied = 0        # the generation: the last region id applied
        self.floor = 0          # regions up to this id are forgotten

    def reset(self, rows: list[Region], last_id: int) -> None:
        """Start from the most recent regions (oldest first) and the sequence's last id."""
        self.recent = deque(rows)
        self._arrays = None
        self.applied = max([last_id] + [r.id for r in rows])
        # Older regions are unknown: disk entries from before them cannot be checked.
        self.floor = rows[0].id - 1 if len(rows) == MAX_REGIONS else 0

    def replace(self, regions) -> None:
        """Know exactly these regions (oldest first), as if applied."""
        self.recent = deque(regions)
        self._arrays = None

    def add(self, regions: list[Region]) -> None:
        """Apply new regions: the generation moves, skipped ids become gaps."""
        for region in regions:
            self.gaps.pop(region.id, None)
            self._note_gaps(region.id)
            self.recent.append(region)
            self._arrays = None
            self.applied = max(self.applied, region.id)
        while len(self.recent) > MAX_REGIONS:
            self.floor = self.recent.popleft().id

    def _note_gaps(self, new_id: int) -> None:
        now = time.monotonic()
        for missing in range(self.applied + 1, min(new_id, self.applied + 1000)):
            self.gaps[missing] = now

    def expire_gaps(self) -> None:
        cutoff = time.monotonic() - GAP_SECONDS
        for gid in [g for g, t in self.gaps.items() if t < cutoff]:
            del self.gaps[gid]

    def touched_since(self, key: tuple, gen: int) -> bool:
        """Whether a region applied after generation `gen` touches the tile `key`.

        Asked for every tile read from disk, against up to MAX_REGIONS regions: done on
        arrays (~0.1 ms), where a loop of `touches` took ~60 ms after a busy day.
        """
        if self._arrays is None and self.recent:
            self._arrays = RegionArrays(self.recent)
        arrays = self._arrays
        if arrays is None or arrays.last <= gen:
            return False
        cls, layer_name, z, x, y = key
        registry = self._registry_fn()
        layer = registry.layers.get(layer_name)
        codes = [arrays.groups[g] for g in (layer.depends_for(cls) if layer else ())
                 if g in arrays.groups]
        if not codes:
            return False
        return arrays.touch(gen, codes, z, x, y, registry.buffer_px / 256)

    def touches(self, region: Region, key: tuple) -> bool:
        """Whether one region touches the tile `key` (the rule the arrays apply)."""
        cls, layer_name, z, x, y = key
        registry = self._registry_fn()
        layer = registry.layers.get(layer_name)
        if layer is None or region.grp not in layer.depends_for(cls):
            return False
        x0, y0, x1, y1 = tile_range(region.bbox, z, registry.buffer_px / 256)
        return x0 <= x <= x1 and y0 <= y <= y1
