"""The disk part of the tile cache: one file per tile, shared by the processes of a node.

A file is `<root>/<class>/<layer>/<z>/<x>/<y>.pbf`: a header (the generation its
rendering started at, flags, expiry) and the tile. Written to a temporary name and
renamed, so a reader never sees half a tile. A full or read-only disk costs speed,
never correctness: writes that fail are skipped.

Stale files are found when read (the cache checks a file's generation against the regions
since), so deleting them as changes arrive only gives the space back. One process per node
does that, the one holding an flock on `<root>/.deleter`: every process of a node doing
the same deletions for every report cost each of them a third of its time.
"""
from __future__ import annotations

import fcntl
import os
import struct
import threading
from pathlib import Path

from .layers import Registry, tile_range

# generation, flags (bit 0: carries personal data), expiry in Unix time (0: none)
HEADER = struct.Struct(">QBd")


class DiskTiles:
    """Tiles under `root` (None: no disk cache)."""

    def __init__(self, root: Path | None):
        self.root = root
        self._deleter: int | None = None       # the lock file's descriptor, once held

    def deletes_for_the_node(self) -> bool:
        """Whether this process is the node's deleter (taking the role if it is free)."""
        if self.root is None:
            return False
        if self._deleter is None:
            try:
                self.root.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.root / ".deleter", os.O_CREAT | os.O_RDWR, 0o600)
            except OSError:
                return False
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return False
            self._deleter = fd
        return True

    def close(self) -> None:
        """Give up the deleter's role (a process exiting gives it up anyway)."""
        if self._deleter is not None:
            os.close(self._deleter)
            self._deleter = None

    def _path(self, key: tuple) -> Path:
        cls, layer, z, x, y = key
        return self.root / cls / layer / str(z) / str(x) / f"{y}.pbf"

    def read(self, key: tuple) -> tuple[int, bool, float, bytes] | None:
        """(generation, personal, expiry or 0, tile) of the file for `key`, if any."""
        if self.root is None:
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
        return gen, bool(flags & 1), expires, raw[HEADER.size:]

    def write(self, key: tuple, gen: int, personal: bool, expires: float | None,
              data: bytes) -> None:
        if self.root is None:
            return
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(HEADER.pack(gen, int(personal), expires or 0.0) + data)
            os.replace(tmp, path)
        except OSError:
            pass

    def delete(self, key: tuple) -> None:
        if self.root is not None:
            _unlink(self._path(key))

    def delete_regions(self, regions, registry: Registry) -> None:
        """Delete every file the regions touch, of the layers depending on their groups.
        Each cached directory is listed once per batch, and only cached columns are
        looked into: a batch of reports is many regions over few cached tiles."""
        if self.root is None:
            return
        margin = registry.buffer_px / 256
        for cls in _names(self.root):
            if cls.startswith("."):           # the deleter's lock file
                continue
            for layer in registry.layers.values():
                touching = [r for r in regions if r.grp in layer.depends_for(cls)]
                if touching:
                    self._delete_layer_tiles(os.path.join(self.root, cls, layer.name), layer,
                                             touching, margin)

    def _delete_layer_tiles(self, layer_dir: str, layer, regions, margin: float) -> None:
        for zoom in _names(layer_dir):
            z = int(zoom) if zoom.isdigit() else -1
            if not layer.minzoom <= z <= layer.maxzoom:
                continue
            zoom_dir = os.path.join(layer_dir, zoom)
            columns = {int(x) for x in _names(zoom_dir) if x.isdigit()}
            for region in regions:
                x0, y0, x1, y1 = tile_range(region.bbox, z, margin)
                for x in [c for c in columns if x0 <= c <= x1]:
                    column = os.path.join(zoom_dir, str(x))
                    for name in _names(column):
                        stem = name.split(".", 1)[0]
                        if stem.isdigit() and y0 <= int(stem) <= y1:
                            _unlink(os.path.join(column, name))


def _names(path) -> list[str]:
    """The entries of a directory (none when it is not there)."""
    try:
        return os.listdir(path)
    except OSError:
        return []


def _unlink(path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
