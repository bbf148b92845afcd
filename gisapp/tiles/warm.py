"""Render the wall's overview tiles ahead of time (`gisapp tiles warm`).

A wall that restarts asks for the whole city at once: the base map, the district and
street outlines and the per-area case counts at the overview zooms. Built here beforehand,
into the same memory and disk cache the server reads (keyed by access class: areas are the same for
everyone, case counts are per class, and every citywide viewer shares the class
`city`), so the first look is answered from the cache. A change drops only the tiles of
the district it touched; those are built again on the next request.
"""
from __future__ import annotations

from .. import db
from ..accounts.access import Viewer
from ..queries import loader
from .layers import tile_range
from .service import fetch_tile, registry

sql = loader("gisapp.live")

OVERVIEW_LAYERS = ("base", "district", "street", "case_areas")
OVERVIEW_ZOOMS = range(8, 14)
# The wall's viewers see the whole city; their case tiles share the access class "city".
CITYWIDE = Viewer(user_id=0, username="tile-warm", role="wall_viewer", prefixes=None)


def overview_tiles(bbox, layers=OVERVIEW_LAYERS, zooms=OVERVIEW_ZOOMS):
    """(layer, z, x, y) of every overview tile over the bbox (west, south, east, north)."""
    for z in zooms:
        x0, y0, x1, y1 = tile_range(bbox, z)
        for layer in layers:
            for x in range(x0, x1 + 1):
                for y in range(y0, y1 + 1):
                    yield layer, z, x, y


def warm(layers=OVERVIEW_LAYERS, zooms=OVERVIEW_ZOOMS) -> int:
    """Build (or find cached) every overview tile over the districts; how many there are.
    Runs inside an app context."""
    with db.read() as conn:
        row = conn.execute(sql("wall_extent")).one()
    if row.west is None:
        return 0
    layers = [name for name in layers if name in registry().layers]
    n = 0
    for layer, z, x, y in overview_tiles((row.west, row.south, row.east, row.north), layers, zooms):
        fetch_tile(layer, str(z), str(x), str(y), CITYWIDE)
        n += 1
    return n
