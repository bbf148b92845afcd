"""The tile cache: an in-memory LRU in front of a disk cache, and their invalidation.

A key is (access class, layer, z, x, y): the access class (gisapp.tiles.layers.access_class)
keeps, say, a grid worker's household points from ever being served to the public.

Invalidation. Triggers (sql/090_tiles.sql) record each change as a region in
`tile_dirty` (group + WGS 84 bbox) and NOTIFY 'gisapp_tiles'. Every process applies the
rows after the last id it has seen (`sync`, called by the process's listener in
gisapp.live.hub as soon as a NOTIFY arrives, and at most every TILE_SYNC_SECONDS by
requests as a fallback): entries of layers that depend on the group, at every zoom,
whose tile (widened by the tile buffer) touches the region are dropped from memory and
deleted from disk. Nothing else is touched.

Every entry carries the generation (the last applied `tile_dirty` id) at which its
rendering started. A render that raced a change is not stored, and a disk entry written
by another process is checked against the regions applied since its generation before
it is trusted. Ids are handed out before commit, so a gap in the ids may fill later:
gaps are remembered for a while and asked for again.
"""
from __future__ import annotations

import hashlib
import os
import struct
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Connection

from .layers import ORIGIN, WORLD, Registry, mercator, tile_range

# generation, flags (bit 0: carries personal data), expiry in Unix time (0: none)
HEADER = struct.Struct(">QBd")
FORMAT = 2                          # of the disk entries; part of the namespace
MAX_REGIONS = 20_000
GAP_SECONDS = 120.0
SYNC_BATCH = 5000

_NEW_ROWS = text("""
    SELECT id, grp, minx, miny, maxx, maxy FROM tile_dirty
    WHERE id > :after OR id = ANY(CAST(:gaps AS bigint[]))
    ORDER BY id LIMIT :limit
""")
_RECENT = text("SELECT id, grp, minx, miny, maxx, maxy FROM tile_dirty ORDER BY id DESC LIMIT :n")
_LAST_ID = text("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM tile_dirty_id_seq")


@dataclass(frozen=True)
class Entry:
    """One cached tile."""

    data: bytes
    etag: str
    gen: int
    personal: bool = False
    expires: float | None = None


class RegionArrays:
    """Regions as columns, to test one tile against all of them at once.

    A region's box is kept in Web Mercator world fractions (u east, v south, 0..1),
    computed with `gisapp.tiles.layers.mercator` itself. At zoom z a tile column is u * 2**z,
    which equals tile_range's (mx + ORIGIN) / tile_size(z) exactly (scaling by a power
    of two is exact), and `touch` applies tile_range's floor rule to it, so it agrees
    with `TileCache._touches` to the last bit.
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
    return (mx0 + ORIGIN) / WORLD, (ORIGIN - my1) / WORLD, (mx1 + ORIGIN) / WORLD, (ORIGIN - my0) / WORLD


@dataclass(frozen=True)
class Region:
    """One recorded change: a group of data and the WGS 84 box it touched."""

    id: int
    grp: str
    bbox: tuple[float, float, float, float]


def etag_of(data: bytes) -> str:
    """A strong ETag: a hash of the tile's bytes."""
    return '"' + hashlib.sha256(data).hexdigest()[:24] + '"'


class TileCache:
    """Memory LRU + disk cache for one process, kept exact by `tile_dirty`."""

    def __init__(self, registry_fn, directory: str | Path | None, namespace: str,
                 memory_entries: int = 4096):
        self._registry_fn = registry_fn
        self._root = Path(directory) / namespace if directory else None
        self._memory: OrderedDict[tuple, Entry] = OrderedDict()
        self._capacity = memory_entries
        self._regions: deque[Region] = deque()
        self._arrays: RegionArrays | None = None
        self._gaps: dict[int, float] = {}
        self._lock = threading.RLock()
        # One sync at a time (the listener's and a request's): a sync returns only once
        # the regions it found are gone from disk too, not just from memory.
        self._sync_lock = threading.Lock()
        self.applied = 0
        self.floor = 0
        self.started = False
        self.last_sync = 0.0

    # --- reading and writing ------------------------------------------------------------

    def get(self, key: tuple) -> Entry | None:
        """The cached tile for `key`, from memory or disk, if still valid."""
        now = time.time()
        with self._lock:
            entry = self._memory.get(key)
            if entry is not None:
                if entry.expires is None or entry.expires > now:
                    self._memory.move_to_end(key)
                    return entry
                del self._memory[key]
        entry = self._read_disk(key, now)
        if entry is not None:
            with self._lock:
                self._remember(key, entry)
        return entry

    def put(self, key: tuple, data: bytes, gen: int, personal: bool = False,
            expires: float | None = None) -> Entry:
        """Store a freshly rendered tile, unless a change arrived while it was rendered.

        `expires` (Unix time) is when the tile changes by time alone, as its SQL said;
        a layer may instead declare a fixed `ttl_seconds`.
        """
        layer = self._registry_fn().layers[key[1]]
        if expires is None and layer.ttl_seconds:
            expires = time.time() + layer.ttl_seconds
        entry = Entry(data, etag_of(data), gen, personal, expires)
        with self._lock:
            if self.applied > gen and self._touched_since(key, gen):
                return entry
            self._remember(key, entry)
        self._write_disk(key, entry)
        return entry

    def _remember(self, key: tuple, entry: Entry) -> None:
        self._memory[key] = entry
        self._memory.move_to_end(key)
        while len(self._memory) > self._capacity:
            self._memory.popitem(last=False)

    def _path(self, key: tuple) -> Path:
        cls, layer, z, x, y = key
        return self._root / cls / layer / str(z) / str(x) / f"{y}.pbf"

    def _read_disk(self, key: tuple, now: float) -> Entry | None:
        if self._root is None:
            return None
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        try:
            gen, flags, expires = HEADER.unpack_from(raw)
        except struct.error:
            _unlink(path)
            return None
        layer = self._registry_fn().layers.get(key[1])
        with self._lock:
            stale = gen < self.floor or self._touched_since(key, gen)
        if stale or layer is None or (expires and expires <= now):
            _unlink(path)
            return None
        data = raw[HEADER.size:]
        return Entry(data, etag_of(data), gen, bool(flags & 1), expires or None)

    def _write_disk(self, key: tuple, entry: Entry) -> None:
        if self._root is None:
            return
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(HEADER.pack(entry.gen, int(entry.personal), entry.expires or 0.0)
                            + entry.data)
            os.replace(tmp, path)
        except OSError:
            pass            # a full or read-only disk costs speed, never correctness

    # --- invalidation -------------------------------------------------------------------

    def _touched_since(self, key: tuple, gen: int) -> bool:
        """Whether a region applied after generation `gen` touches the tile `key`.

        Asked for every tile read from disk, against up to MAX_REGIONS regions: done on
        arrays (~0.1 ms), where a loop of `_touches` took ~60 ms after a busy day.
        """
        regions = self._region_arrays()
        if regions is None or regions.last <= gen:
            return False
        cls, layer_name, z, x, y = key
        registry = self._registry_fn()
        layer = registry.layers.get(layer_name)
        codes = [regions.groups[g] for g in (layer.depends_for(cls) if layer else ())
                 if g in regions.groups]
        if not codes:
            return False
        return regions.touch(gen, codes, z, x, y, registry.buffer_px / 256)

    def _region_arrays(self) -> RegionArrays | None:
        """The regions as arrays, rebuilt after they changed (callers hold the lock)."""
        if self._arrays is None and self._regions:
            self._arrays = RegionArrays(self._regions)
        return self._arrays

    def _touches(self, region: Region, key: tuple) -> bool:
        cls, layer_name, z, x, y = key
        registry = self._registry_fn()
        layer = registry.layers.get(layer_name)
        if layer is None or region.grp not in layer.depends_for(cls):
            return False
        x0, y0, x1, y1 = tile_range(region.bbox, z, registry.buffer_px / 256)
        return x0 <= x <= x1 and y0 <= y <= y1

    def start(self, conn: Connection) -> None:
        """Learn the current generation and the recent regions (once per process)."""
        rows = conn.execute(_RECENT, {"n": MAX_REGIONS}).all()
        last = conn.execute(_LAST_ID).scalar() or 0
        with self._lock:
            self._arrays = None
            self._regions = deque(Region(r.id, r.grp, (r.minx, r.miny, r.maxx, r.maxy))
                                  for r in reversed(rows))
            self.applied = max([last] + [r.id for r in rows])
            # Older regions are unknown: disk entries from before them cannot be checked.
            self.floor = rows[-1].id - 1 if len(rows) == MAX_REGIONS else 0
            self.started = True
            self.last_sync = time.monotonic()

    def sync(self, conn: Connection) -> int:
        """Apply every region recorded since the last sync; returns the new generation."""
        if not self.started:
            self.start(conn)
            return self.applied
        with self._sync_lock:
            while True:
                with self._lock:
                    after, gaps = self.applied, list(self._gaps)
                rows = conn.execute(_NEW_ROWS, {"after": after, "gaps": gaps,
                                                "limit": SYNC_BATCH}).all()
                self.apply([Region(r.id, r.grp, (r.minx, r.miny, r.maxx, r.maxy)) for r in rows])
                if len(rows) < SYNC_BATCH:
                    break
        self.last_sync = time.monotonic()
        return self.applied

    def apply(self, regions: list[Region]) -> None:
        """Drop every cached tile the regions touch, in memory and on disk."""
        if not regions:
            self._expire_gaps()
            return
        with self._lock:
            for region in regions:
                self._gaps.pop(region.id, None)
                self._note_gaps(region.id)
                self._regions.append(region)
                self._arrays = None
                self.applied = max(self.applied, region.id)
            while len(self._regions) > MAX_REGIONS:
                self.floor = self._regions.popleft().id
            doomed = [k for k in self._memory if any(self._touches(r, k) for r in regions)]
            for key in doomed:
                del self._memory[key]
        for region in regions:
            self._delete_on_disk(region)
        self._expire_gaps()

    def _note_gaps(self, new_id: int) -> None:
        """Ids skipped between the last applied and `new_id` may still commit: ask again."""
        now = time.monotonic()
        for missing in range(self.applied + 1, min(new_id, self.applied + 1000)):
            self._gaps[missing] = now

    def _expire_gaps(self) -> None:
        cutoff = time.monotonic() - GAP_SECONDS
        with self._lock:
            for gid in [g for g, t in self._gaps.items() if t < cutoff]:
                del self._gaps[gid]

    def _delete_on_disk(self, region: Region) -> None:
        if self._root is None or not self._root.is_dir():
            return
        registry = self._registry_fn()
        for cls_dir in _subdirs(self._root):
            for layer in registry.layers.values():
                if region.grp in layer.depends_for(cls_dir.name):
                    self._delete_layer_tiles(cls_dir / layer.name, layer, region, registry)

    def _delete_layer_tiles(self, layer_dir: Path, layer, region: Region, registry: Registry) -> None:
        for z in range(layer.minzoom, layer.maxzoom + 1):
            zoom_dir = layer_dir / str(z)
            if not zoom_dir.is_dir():
                continue
            x0, y0, x1, y1 = tile_range(region.bbox, z, registry.buffer_px / 256)
            for x_dir in _columns(zoom_dir, x0, x1):
                for tile in _subfiles(x_dir):
                    stem = tile.name.split(".", 1)[0]
                    if stem.isdigit() and y0 <= int(stem) <= y1:
                        _unlink(tile)

    def clear(self) -> None:
        """Forget every tile in memory (tests and emergencies)."""
        with self._lock:
            self._memory.clear()

    def memory_keys(self) -> list[tuple]:
        with self._lock:
            return list(self._memory)


def _columns(zoom_dir: Path, x0: int, x1: int) -> list[Path]:
    """The cached column directories from x0 to x1, by listing when the range is wide."""
    if x1 - x0 > 256:
        return [d for d in _subdirs(zoom_dir) if d.name.isdigit() and x0 <= int(d.name) <= x1]
    return [zoom_dir / str(x) for x in range(x0, x1 + 1) if (zoom_dir / str(x)).is_dir()]


def _subdirs(path: Path) -> list[Path]:
    try:
        return [p for p in path.iterdir() if p.is_dir()]
    except OSError:
        return []


def _subfiles(path: Path) -> list[Path]:
    try:
        return [p for p in path.iterdir() if p.is_file()]
    except OSError:
        return []


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def namespace(database_url: str, registry: Registry) -> str:
    """The disk cache's subdirectory: one per database and per version of the layer files."""
    key = f"{database_url}|{registry.digest}|{FORMAT}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]
