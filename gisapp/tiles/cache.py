"""The tile cache of one process, in four parts with one job each:

- memory (`memory.MemoryTiles`): an LRU of recent tiles;
- disk (`disk.DiskTiles`): every tile rendered on this node, shared by its processes;
- invalidation (`regions.Regions`): the changes applied, and which tiles they make stale;
- catch-up (`catchup.CatchUp`): reading new changes from `tile_dirty`, and when.

`TileCache` puts them together. A key is (access class, layer, z, x, y): the access
class (gisapp.tiles.layers.access_class) keeps, say, a grid worker's household points
from ever being served to the public.

Every entry carries the generation (the last applied `tile_dirty` id) at which its
rendering started. A render that raced a change is not stored, and a disk entry written
by another process is checked against the regions applied since its generation before
it is trusted. Applying a region drops the tiles it touches from memory and deletes
them from disk; nothing else is touched.
"""
from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Connection

from .catchup import CatchUp
from .disk import DiskTiles
from .layers import Registry
from .memory import MemoryTiles
from .regions import Region, RegionArrays, Regions
from .trim import DiskTrim

__all__ = ["Entry", "Region", "RegionArrays", "TileCache", "etag_of", "namespace"]
FORMAT = 2                          # of the disk entries; part of the namespace


@dataclass(frozen=True)
class Entry:
    """One cached tile."""

    data: bytes
    etag: str
    gen: int
    personal: bool = False
    expires: float | None = None


def etag_of(data: bytes) -> str:
    """A strong ETag: a hash of the tile's bytes."""
    return '"' + hashlib.sha256(data).hexdigest()[:24] + '"'


class TileCache:
    """Memory LRU + disk cache for one process, kept exact by `tile_dirty`."""

    def __init__(self, registry_fn, directory: str | Path | None, scope: str,
                 memory_entries: int = 4096, on_apply=None, max_disk_bytes: int = 0):
        """`scope` names what else a tile depends on (the database, settings); the disk
        directory is `namespace(scope, registry)`, so one per version of the layer files.
        `max_disk_bytes` limits everything under `directory` (gisapp.tiles.trim)."""
        self._registry_fn = registry_fn
        self._on_apply = on_apply           # told of each applied batch (the proxy's bans)
        self.renders = 0                    # tiles rendered (each render ends in put)
        self._memory = MemoryTiles(memory_entries)
        self._directory, self._scope = (Path(directory) if directory else None), scope
        self.trim = DiskTrim(self._directory, max_disk_bytes)
        self._disk = DiskTiles(None)
        self.digest = ""                    # of the layer definitions the tiles were built by
        self._changes = Regions(registry_fn)
        self._catch_up = CatchUp(self)
        self._lock = threading.RLock()
        self.follow(registry_fn())

    def follow(self, registry: Registry) -> None:
        """Keep only tiles of these layer definitions. When tiles/ was edited under a
        running process (the registry is re-read, gisapp.tiles.layers), every tile built
        by the old files is forgotten in memory, and the disk is read and written under
        the new files' own directory."""
        if registry.digest == self.digest:
            return
        with self._lock:
            if registry.digest == self.digest:
                return
            old, self.digest = self._disk, registry.digest
            self._memory.clear()
            self._disk = DiskTiles(self._directory / namespace(self._scope, registry)
                                   if self._directory else None)
        old.close()

    # --- reading and writing ------------------------------------------------------------

    def get(self, key: tuple) -> Entry | None:
        """The cached tile for `key`, from memory or disk, if still valid."""
        self.follow(self._registry_fn())
        now = time.time()
        with self._lock:
            entry = self._memory.get(key, now)
        if entry is not None:
            return entry
        entry = self._read_disk(key, now)
        if entry is not None:
            with self._lock:
                self._memory.put(key, entry)
        return entry

    def put(self, key: tuple, data: bytes, gen: int, personal: bool = False,
            expires: float | None = None, digest: str | None = None) -> Entry:
        """Store a freshly rendered tile, unless a change arrived while it was rendered,
        or the layer files changed (`digest`: of the definitions it was rendered by).

        `expires` (Unix time) is when the tile changes by time alone, as its SQL said;
        a layer may instead declare a fixed `ttl_seconds`.
        """
        registry = self._registry_fn()
        self.follow(registry)
        layer = registry.layers[key[1]]
        if expires is None and layer.ttl_seconds:
            expires = time.time() + layer.ttl_seconds
        entry = Entry(data, etag_of(data), gen, personal, expires)
        with self._lock:
            self.renders += 1
            if self.raced(key, gen) or digest not in (None, self.digest):
                return entry
            self._memory.put(key, entry)
            disk = self._disk
        disk.write(key, gen, personal, expires, data)
        return entry

    def raced(self, key: tuple, gen: int) -> bool:
        """Whether a change applied after generation `gen` touches the tile `key` (so a
        tile rendered from `gen` may be shown once, but not kept)."""
        with self._lock:
            return self.applied > gen and self._changes.touched_since(key, gen)

    def _read_disk(self, key: tuple, now: float) -> Entry | None:
        found = self._disk.read(key)
        if found is None:
            return None
        gen, personal, expires, data = found
        layer = self._registry_fn().layers.get(key[1])
        with self._lock:
            stale = gen < self._changes.floor or self._changes.touched_since(key, gen)
        if stale or layer is None or (expires and expires <= now):
            self._disk.delete(key)
            return None
        return Entry(data, etag_of(data), gen, personal, expires or None)

    # --- invalidation -------------------------------------------------------------------

    def reset(self, recent: list[Region], last_id: int) -> None:
        """Start from the most recent regions (oldest first) and the last id handed out."""
        with self._lock:
            self._changes.reset(recent, last_id)

    def pending(self) -> tuple[int, list[int]]:
        """What catch-up asks for: regions after this generation, and these skipped ids."""
        with self._lock:
            return self._changes.applied, list(self._changes.gaps)

    def apply(self, regions: list[Region]) -> None:
        """Drop every cached tile the regions touch, in memory and on disk."""
        # One process per node gives the disk space back: reads check a file's staleness
        # anyway, and every process of the node applies the same regions. Every process
        # bans, though: a tile it served to the proxy before it applied a change is
        # covered only by its own ban, sent after (docs/cluster.md, "Races").
        lead = self._disk.deletes_for_the_node()
        self.trim.due(lead)
        if regions:
            with self._lock:
                self._changes.add(regions)
                self._memory.drop(lambda k: any(self._changes.touches(r, k) for r in regions))
            if lead:
                # A batch repeats boxes (every report in a district dirties the district's
                # box): each distinct one is deleted once.
                distinct = {(r.grp, r.bbox): r for r in regions}.values()
                self._disk.delete_regions(list(distinct), self._registry_fn())
        with self._lock:
            self._changes.expire_gaps()
        if self._on_apply is not None:
            self._on_apply(regions)

    def close(self) -> None:
        """Release what the cache holds beyond memory (the node's deleter role)."""
        self._disk.close()

    def _touches(self, region: Region, key: tuple) -> bool:
        return self._changes.touches(region, key)

    # --- catching up (gisapp.tiles.catchup) ---------------------------------------------

    def start(self, conn: Connection) -> None:
        self._catch_up.start(conn)

    def sync(self, conn: Connection) -> int:
        """Apply every region recorded since the last sync; returns the new generation."""
        return self._catch_up.sync(conn)

    def sync_due(self, period: float, min_generation: int = 0, claim: bool = False) -> bool:
        """Whether a request must sync first (see CatchUp.sync_due)."""
        return self._catch_up.sync_due(period, min_generation, claim)

    @property
    def started(self) -> bool:
        return self._catch_up.started

    @property
    def last_sync(self) -> float:
        return self._catch_up.last_sync

    @last_sync.setter
    def last_sync(self, value: float) -> None:
        self._catch_up.last_sync = value

    @property
    def applied(self) -> int:
        return self._changes.applied

    @applied.setter
    def applied(self, value: int) -> None:
        self._changes.applied = value

    @property
    def _regions(self):
        return self._changes.recent

    @_regions.setter
    def _regions(self, regions) -> None:       # tests set the regions a process knows
        with self._lock:
            self._changes.replace(regions)

    @property
    def floor(self) -> int:
        return self._changes.floor

    def clear(self) -> None:
        """Forget every tile in memory (tests and emergencies)."""
        with self._lock:
            self._memory.clear()

    def memory_keys(self) -> list[tuple]:
        with self._lock:
            return self._memory.keys()


def namespace(scope: str, registry: Registry) -> str:
    """The disk cache's subdirectory: one per scope (database, settings) and per version
    of the layer files."""
    key = f"{scope}|{registry.digest}|{FORMAT}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]
