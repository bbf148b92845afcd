"""The disk part of the tile cache: one file per tile, shared by the processes of a node.

A file is `<root>/<class>/<layer>/<z>/<x>/<y>.pbf`: a header (the generation its
rendering started at, flags, expiry) and the tile. Written to a temporary name and
renamed, so a reader never sees half a tile. A full or read-only disk costs speed,
never correctness: writes that fail are skipped.
"""
from __future__ import annotations

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

    def delete_region(self, region, registry: Registry) -> None:
        """Delete every file of a layer depending on the region's group that it touches."""
        if self.root is None or not self.root.is_dir():
            return
        for cls_dir in _subdirs(self.root):
            for layer in registry.layers.values():
                if region.grp in layer.depends_for(cls_dir.name):
                    self._delete_layer_tiles(cls_dir / layer.name, layer, region, registry)

    def _delete_layer_tiles(self, layer_dir: Path, layer, region, registry: Registry) -> None:
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
