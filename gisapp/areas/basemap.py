"""Base maps under the areas: our own vector base map, an XYZ tile URL, or an offline
MBTiles file.

Three set-ups, chosen by configuration and by what is in TILES_DIR:

- Nothing configured: the vector base map built from what the server holds (roads,
  water, buildings, area names; tile layer `base`, styles in static/styles/, drawn by
  MapLibre GL through maplibre-gl-leaflet; docs/basemap.md). Works with no network.
- ``BASEMAP_URL`` (``GISAPP_BASEMAP_URL``): an XYZ template such as an intranet Tianditu
  mirror, ``http://tianditu.intranet/vec/{z}/{x}/{y}.png``; named 底图 in the layer control.
- An ``*.mbtiles`` raster file in ``TILES_DIR`` (the first one by file name): served by
  our own server at ``/tiles/basemap/<z>/<x>/<y>.<ext>``; named 离线底图.

A configured XYZ URL or MBTiles file replaces the vector base map. When both are present,
both are offered in the layer control and the offline MBTiles is selected by default: it never leaves our server, so it is the one that always works.
Vector MBTiles (format ``pbf``) cannot be drawn as a raster base map; they are logged
and skipped.

MBTiles stores rows in TMS order (origin south-west), XYZ counts from the north-west:
``tile_row = 2**z - 1 - y``.
"""
from __future__ import annotations

import html
import json
import logging
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

MAX_ZOOM = 24
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
# Leading bytes of each tile format, for files whose metadata omits `format`.
_MAGIC = ((b"\x89PNG", "png"), (b"\xff\xd8", "jpg"), (b"RIFF", "webp"), (b"\x1f\x8b", "pbf"))


@dataclass(frozen=True)
class MBTiles:
    """One raster MBTiles file and the metadata the map needs."""

    path: Path
    format: str
    name: str
    attribution: str
    minzoom: int | None = None
    maxzoom: int | None = None
    bounds: tuple[float, float, float, float] | None = None

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


@dataclass(frozen=True)
class BaseLayer:
    """A tile layer as the page offers it: plain data, turned into folium by map_view."""

    name: str
    url: str
    attribution: str
    selected: bool
    options: dict


def find_mbtiles(tiles_dir: str | Path | None) -> MBTiles | None:
    """The first raster MBTiles file in `tiles_dir` by name, or None."""
    if not tiles_dir or not Path(tiles_dir).is_dir():
        return None
    for path in sorted(Path(tiles_dir).glob("*.mbtiles")):
        info = _read_info(path, path.stat().st_mtime_ns)
        if info is not None:
            return info
    return None


@lru_cache(maxsize=32)
def _read_info(path: Path, mtime_ns: int) -> MBTiles | None:
    """Metadata of one file; cached per modification time, so a replaced file is re-read."""
    try:
        with closing(_open(path)) as conn:
            meta = dict(conn.execute("SELECT name, value FROM metadata").fetchall())
            fmt = (meta.get("format") or _sniff_format(conn)).lower().replace("jpeg", "jpg")
            zooms = _zoom_range(conn, meta)
    except sqlite3.Error as exc:
        log.warning("ignoring %s: not a readable MBTiles file (%s)", path, exc)
        return None
    if fmt not in CONTENT_TYPES:
        log.warning("ignoring %s: format %r is not a raster base map (vector MBTiles such as "
                    "pbf are not supported; use png, jpg or webp tiles)", path, fmt)
        return None
    return MBTiles(path=path, format=fmt, name=meta.get("name") or path.stem,
                   # Metadata is file content, not configuration: shown as text, never as HTML.
                   attribution=html.escape(meta.get("attribution") or "离线底图"),
                   minzoom=zooms[0], maxzoom=zooms[1],
                   bounds=_bounds_or_none(meta.get("bounds")))


def _open(path: Path) -> sqlite3.Connection:
    """A read-only connection: the tile route must never create or change the file.

    sqlite3's own context manager only ends transactions, so callers wrap this in closing().
    """
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _sniff_format(conn: sqlite3.Connection) -> str:
    row = conn.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()
    data = bytes(row[0]) if row and row[0] is not None else b""
    return next((fmt for magic, fmt in _MAGIC if data.startswith(magic)), "unknown")


def _zoom_range(conn: sqlite3.Connection, meta: dict) -> tuple[int | None, int | None]:
    """minzoom and maxzoom from metadata, else from the tiles themselves.

    Leaflet must know the deepest zoom the file holds, or it asks for tiles that are not there.
    """
    low, high = _int_or_none(meta.get("minzoom")), _int_or_none(meta.get("maxzoom"))
    if low is None or high is None:
        found_low, found_high = conn.execute(
            "SELECT min(zoom_level), max(zoom_level) FROM tiles").fetchone()
        low = found_low if low is None else low
        high = found_high if high is None else high
    return low, high


def _int_or_none(raw: str | None) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def _bounds_or_none(raw: str | None) -> tuple[float, float, float, float] | None:
    try:
        west, south, east, north = (float(v) for v in (raw or "").split(","))
    except ValueError:
        return None
    return west, south, east, north


def read_tile(mbtiles: MBTiles, z: int, x: int, y: int) -> bytes | None:
    """The tile at XYZ address z/x/y, or None when the file has no such tile."""
    with closing(_open(mbtiles.path)) as conn:
        row = conn.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, (1 << z) - 1 - y)).fetchone()
    return bytes(row[0]) if row else None


def base_layers(config: dict, mbtiles: MBTiles | None, tile_url: str | None) -> list[BaseLayer]:
    """The base layers to offer, the selected one first; empty for a plain background."""
    layers = []
    if mbtiles is not None and tile_url:
        layers.append(BaseLayer("离线底图", tile_url, mbtiles.attribution, True,
                                _mbtiles_options(mbtiles)))
    if config.get("BASEMAP_URL"):
        layers.append(BaseLayer("底图", config["BASEMAP_URL"],
                                config.get("BASEMAP_ATTRIBUTION") or "底图", not layers, {}))
    return layers


def _mbtiles_options(mbtiles: MBTiles) -> dict:
    """Leaflet options that keep requests inside what the file holds (no 404 floods)."""
    options: dict = {"max_zoom": 19}
    if mbtiles.maxzoom is not None:
        options["max_native_zoom"] = mbtiles.maxzoom
    if mbtiles.minzoom is not None:
        options["min_native_zoom"] = mbtiles.minzoom
    if mbtiles.bounds is not None:
        west, south, east, north = mbtiles.bounds
        options["bounds"] = [[south, west], [north, east]]
    return options


# --- the offline vector base map (tiles/base.sql) ----------------------------------------

STYLES_DIR = Path(__file__).parents[1] / "static" / "styles"
VECTOR_STYLES = ("base-light", "base-dark")


def raster_configured(config: dict) -> bool:
    """Whether a Tianditu/XYZ URL or an MBTiles file replaces the vector base map."""
    return bool(config.get("BASEMAP_URL")) or find_mbtiles(config.get("TILES_DIR")) is not None


def vector_style(name: str, origin: str) -> dict:
    """The MapLibre style `name` with tile URLs made absolute under `origin`.

    MapLibre fetches tiles from its web worker, where a relative URL has no page to be
    relative to; the files keep relative URLs so the same file serves any host.
    """
    style = json.loads((STYLES_DIR / f"{name}.json").read_text())
    for source in style["sources"].values():
        source["tiles"] = [origin + url if url.startswith("/") else url
                           for url in source.get("tiles", ())]
    return style
