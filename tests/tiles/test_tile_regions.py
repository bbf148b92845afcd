"""The region arrays that check disk tiles agree with the one-region rule (`_touches`)."""
from __future__ import annotations

from collections import deque
from pathlib import Path

import numpy as np

from gisapp.tiles.cache import Region, RegionArrays, TileCache
from gisapp.tiles.layers import load_registry, tile_range

ROOT = Path(__file__).resolve().parents[2]


def _edges(z: int, rng, n: int) -> list[float]:
    """Longitudes exactly on tile edges at zoom z, and random ones."""
    cols = rng.integers(0, 2 ** z, n)
    return list(cols / 2 ** z * 360.0 - 180.0) + list(rng.uniform(121.4, 121.7, n))


def test_arrays_agree_with_touches_everywhere():
    registry = load_registry(ROOT / "tiles")
    cache = TileCache(lambda: registry, None, "test")
    rng = np.random.default_rng(5)
    regions = []
    for i in range(200):
        z = int(rng.integers(8, 19))
        xs = sorted(rng.choice(_edges(z, rng, 3), 2))
        ys = sorted(rng.uniform(38.85, 39.05, 2))
        if i % 3 == 0:
            ys = [ys[0], ys[0]]                              # a point, as a case is
        grp = ["cases", "areas", "households", "facilities"][i % 4]
        regions.append(Region(i + 1, grp, (xs[0], ys[0], xs[1], ys[1])))
    arrays = RegionArrays(regions)
    margin = registry.buffer_px / 256
    checked = touched = 0
    for layer in registry.layers.values():
        for cls in ("any", "public", "city"):
            deps = layer.depends_for(cls)
            codes = [arrays.groups[g] for g in deps if g in arrays.groups]
            for region in regions[::9]:
                for z in (8, 12, 16, 18):
                    x0, y0, x1, y1 = tile_range(region.bbox, z, margin)
                    for x in (x0 - 1, x0, x1, x1 + 1):
                        for y in (y0 - 1, y0, y1, y1 + 1):
                            key = (cls, layer.name, z, x, y)
                            for gen in (0, region.id - 1, region.id):
                                want = any(r.id > gen and cache._touches(r, key) for r in regions)
                                got = bool(codes) and arrays.touch(gen, codes, z, x, y, margin)
                                assert got == want, (key, gen)
                                checked += 1
                                touched += want
    assert checked > 5_000 and 0 < touched < checked


def test_disk_entries_are_checked_against_the_arrays(tmp_path):
    """Another process's disk entry is served only if no region since its generation
    touches it, however many regions there are."""
    registry = load_registry(ROOT / "tiles")
    lng, lat = 121.5125, 38.9875
    _, y, _, _ = tile_range((lng, lat, lng, lat), 16)
    x, _, _, _ = tile_range((lng, lat, lng, lat), 16)
    key, other = ("city", "cases", 16, x, y), ("city", "cases", 16, x + 40, y + 40)
    writer = TileCache(lambda: registry, tmp_path, "test")
    for k in (key, other):
        writer.put(k, b"tile", gen=0)
    reader = TileCache(lambda: registry, tmp_path, "test")
    far = [Region(i, "cases", (121.3, 38.6, 121.31, 38.61)) for i in range(1, 5000)]
    reader._regions = deque(far + [Region(5000, "cases", (lng, lat, lng, lat)),
                                   Region(5001, "areas", (121.0, 38.0, 122.0, 40.0))])
    reader.applied = 5001
    assert reader.get(other) is not None and reader.get(other).data == b"tile"
    assert reader.get(key) is None                       # stale: re-rendered by the caller
