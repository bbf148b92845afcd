"""Tile URLs for benchmarks: every layer at zooms 8-18 over the city, sampled at high zooms.

For the lead's wrk runs (scripts/bench): `python -m gisapp.tiles.bench http://127.0.0.1:5000`
prints one URL per line. At low zooms every tile over the city's box is listed; where
a zoom has more tiles than `per_zoom`, an evenly spread, deterministic sample is taken
(a fixed stride through the tiles in row order), so runs are comparable.
"""
from __future__ import annotations

import random
import sys

from ..config import DEFAULTS
from .layers import load_registry, tile_range

CITY_BBOX = (121.45, 38.85, 121.80, 39.05)    # the urban core of Dalian, WGS 84


def tile_urls(base_url: str, zooms: range = range(8, 19), bbox=CITY_BBOX, per_zoom: int = 200,
              tiles_dir: str | None = None, layers: list[str] | None = None,
              seed: int = 2022) -> list[str]:
    """URLs of tiles of every layer (or those named) at `zooms` over `bbox`."""
    registry = load_registry(tiles_dir or DEFAULTS["TILES_DIR"])
    base = base_url.rstrip("/")
    urls = []
    for layer in registry.layers.values():
        if layers and layer.name not in layers:
            continue
        for z in zooms:
            if layer.minzoom <= z <= layer.maxzoom:
                urls += [f"{base}/tiles/{layer.name}/{z}/{x}/{y}.pbf"
                         for x, y in sample_tiles(bbox, z, per_zoom, seed)]
    return urls


def sample_tiles(bbox, z: int, limit: int, seed: int = 2022) -> list[tuple[int, int]]:
    """All (x, y) at zoom z over bbox, or `limit` of them spread evenly with a seeded offset."""
    x0, y0, x1, y1 = tile_range(bbox, z)
    count = (x1 - x0 + 1) * (y1 - y0 + 1)
    width = x1 - x0 + 1
    if count <= limit:
        picks = range(count)
    else:
        stride = count / limit
        offset = random.Random(seed + z).random() * stride
        picks = (int(offset + i * stride) for i in range(limit))
    return [(x0 + i % width, y0 + i // width) for i in picks]


def main(argv: list[str] | None = None) -> int:
    """Print the URLs for the base URL given (default http://127.0.0.1:5000)."""
    args = sys.argv[1:] if argv is None else argv
    for url in tile_urls(args[0] if args else "http://127.0.0.1:5000"):
        print(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
