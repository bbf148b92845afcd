"""Where a tile request points: `<layer>/<z>/<x>/<y>.pbf` and `?g=<generation>`.

One parser for the tile view and for the fast path before Flask (gisapp.tiles.fastpath),
so both accept exactly the same addresses; the view turns its errors into 404 and 400,
the fast path into "not sure, let the view answer".
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from werkzeug.exceptions import NotFound

from ..errors import BadInput
from .layers import Layer, Registry, parse_address

_GENERATION = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class TileAddress:
    """A valid tile of a layer, and the generation the page asks for at least."""

    layer: Layer
    z: int
    x: int
    y: int
    generation: int = 0


def split_path(tail: str) -> tuple[str, str, str, str]:
    """(layer, z, x, y) as written in '<layer>/<z>/<x>/<y>.pbf', or NotFound."""
    parts = tail.split("/")
    if len(parts) != 4 or not parts[3].endswith(".pbf") or not all(parts) or parts[3] == ".pbf":
        raise NotFound()
    return parts[0], parts[1], parts[2], parts[3][:-4]


def parse_generation(raw: str | None) -> int:
    """The `g` of a tile URL (0 when absent), or BadInput."""
    if not raw:
        return 0
    if not _GENERATION.fullmatch(raw):
        raise BadInput("g must be a whole number (a tile generation)", field="g")
    return int(raw)


def parse(registry: Registry, parts: tuple[str, str, str, str],
          generation: str | None = None) -> TileAddress:
    """The address the parts name: a known layer, z in its range, x and y in the grid."""
    min_generation = parse_generation(generation)
    name, z, x, y = parts
    layer = registry.layer(name)
    zoom, col, row = parse_address(layer, z, x, y)
    return TileAddress(layer, zoom, col, row, min_generation)
