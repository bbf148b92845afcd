"""Vector tiles: the layer registry (tiles/layers.toml), tile addressing, access classes,
and building one tile in PostGIS.

Everything a layer is lives in the top-level `tiles/` directory: `layers.toml` declares
each layer's zoom range, the SQL file that builds it, its aggregation rule per zoom and
the change groups that invalidate it; the SQL files build the tile with ST_TileEnvelope
-> ST_AsMVTGeom -> ST_AsMVT. This module only chooses the file and binds the values.
"""
from __future__ import annotations

import hashlib
import math
import time
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..accounts.access import HOUSEHOLD_DUTY, Viewer
from ..areas.features import parse_int
from ..cases.report import CLOCK_STATES, FINAL_STATES, visibility_sql
from ..errors import BadInput, NotFound, Unauthenticated

WORLD = 40075016.68557849          # width of the Web Mercator world, metres
ORIGIN = WORLD / 2
MAX_ZOOM = 22
LAYER_KINDS = ("area", "cases", "households", "facilities", "base")


@dataclass(frozen=True)
class Band:
    """How a layer is built over a range of zooms."""

    minzoom: int
    maxzoom: int
    cluster_px: int = 0
    level: int | None = None
    points: bool = False


@dataclass(frozen=True)
class Layer:
    """One tile layer as declared in tiles/layers.toml."""

    name: str
    kind: str
    minzoom: int
    maxzoom: int
    sql: str
    depends: tuple[str, ...]
    bands: tuple[Band, ...] = ()
    level: int | None = None
    case_kind: str | None = None
    ttl_seconds: int | None = None
    public_sql: str | None = None
    public_depends: tuple[str, ...] = ()
    public_bands: tuple[Band, ...] = ()

    def band(self, z: int, public: bool = False) -> Band:
        """The band covering zoom `z` (a layer without bands has one implicit band)."""
        bands = self.public_bands if public and self.public_sql else self.bands
        return next((b for b in bands if b.minzoom <= z <= b.maxzoom),
                    Band(self.minzoom, self.maxzoom, level=self.level))

    def depends_for(self, access_class: str) -> tuple[str, ...]:
        """The change groups that invalidate this layer's tiles for an access class."""
        if access_class == "public" and self.public_sql:
            return self.public_depends
        return self.depends


@dataclass(frozen=True)
class Registry:
    """All layers, the shared defaults, and a digest of the definitions (for cache keys)."""

    directory: Path
    layers: dict[str, Layer]
    extent: int
    buffer_px: int
    max_points: int
    fallback_cluster_px: int
    digest: str
    sql_text: dict[str, str] = field(default_factory=dict)

    def layer(self, name: str) -> Layer:
        """The layer called `name`, or NotFound."""
        if name not in self.layers:
            raise NotFound(f"没有名为 {name} 的图层 (no tile layer {name!r}; one of "
                           f"{', '.join(self.layers)})", layer=name)
        return self.layers[name]


REGISTRY_CHECK_SECONDS = 1.0
_checked: dict[str | Path, tuple[float, Registry]] = {}


def load_registry(tiles_dir: str | Path) -> Registry:
    """Read tiles/layers.toml and the SQL files it names (re-read when a file changes).

    The files are looked at no more than once a second: a cached tile is served in well
    under a millisecond, and listing a directory on every one would double that.
    """
    checked = _checked.get(tiles_dir)
    now = time.monotonic()
    if checked is None or now - checked[0] > REGISTRY_CHECK_SECONDS:
        directory = Path(tiles_dir)
        files = sorted(directory.glob("*.sql")) + [directory / "layers.toml"]
        stamp = tuple((p.name, p.stat().st_mtime_ns) for p in files if p.exists())
        _checked[tiles_dir] = checked = (now, _load_registry(directory, stamp))
    return checked[1]


@lru_cache(maxsize=4)
def _load_registry(directory: Path, stamp: tuple) -> Registry:
    raw = (directory / "layers.toml").read_bytes()
    spec = tomllib.loads(raw.decode())
    defaults = spec.get("defaults", {})
    layers = {name: _layer(name, body) for name, body in spec["layers"].items()}
    names = {layer.sql for layer in layers.values()} | {
        layer.public_sql for layer in layers.values() if layer.public_sql}
    sql_text = {name: (directory / name).read_text() for name in sorted(names)}
    digest = hashlib.sha256(raw + "".join(sql_text.values()).encode()).hexdigest()[:12]
    return Registry(directory, layers, int(defaults.get("extent", 4096)),
                    int(defaults.get("buffer_px", 16)), int(defaults.get("max_points", 5000)),
                    int(defaults.get("fallback_cluster_px", 8)), digest, sql_text)


def _layer(name: str, body: dict) -> Layer:
    if body["kind"] not in LAYER_KINDS:
        raise ValueError(f"tiles/layers.toml: layer {name} has unknown kind {body['kind']!r}")
    return Layer(name=name, kind=body["kind"], minzoom=int(body["minzoom"]),
                 maxzoom=int(body["maxzoom"]), sql=body["sql"],
                 depends=tuple(body.get("depends", ())), bands=_bands(body.get("bands", ())),
                 level=body.get("level"), case_kind=body.get("case_kind"),
                 ttl_seconds=body.get("ttl_seconds"), public_sql=body.get("public_sql"),
                 public_depends=tuple(body.get("public_depends", ())),
                 public_bands=_bands(body.get("public_bands", ())))


def _bands(raw) -> tuple[Band, ...]:
    return tuple(Band(b["zooms"][0], b["zooms"][1], int(b.get("cluster_px", 0)), b.get("level"),
                      bool(b.get("points", False))) for b in raw)


# --- addressing ----------------------------------------------------------------------------

def parse_address(layer: Layer, z: str, x: str, y: str) -> tuple[int, int, int]:
    """Validated z/x/y for this layer: whole numbers, x and y inside the zoom's grid."""
    zoom = parse_int(z, "z", 0, 0, MAX_ZOOM)
    if not layer.minzoom <= zoom <= layer.maxzoom:
        raise BadInput(f"图层 {layer.name} 的缩放级别为 {layer.minzoom}-{layer.maxzoom} "
                       f"(z must be between {layer.minzoom} and {layer.maxzoom})", field="z")
    top = 2 ** zoom - 1
    return zoom, parse_int(x, "x", 0, 0, top), parse_int(y, "y", 0, 0, top)


def tile_size(z: int) -> float:
    """The width of one tile at zoom `z`, in Web Mercator metres."""
    return WORLD / 2 ** z


def mercator(lng: float, lat: float) -> tuple[float, float]:
    """WGS 84 degrees to Web Mercator metres."""
    lat = max(min(lat, 85.05112878), -85.05112878)
    return (lng * ORIGIN / 180.0,
            math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * ORIGIN / math.pi)


def tile_range(bbox: tuple[float, float, float, float], z: int,
               margin: float = 0.0) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1), inclusive: the tiles at zoom `z` whose envelope, widened by
    `margin` tiles on each side, touches the WGS 84 bbox."""
    (mx0, my0), (mx1, my1) = mercator(bbox[0], bbox[1]), mercator(bbox[2], bbox[3])
    size, top = tile_size(z), 2 ** z - 1

    def col(mx: float) -> float:
        return (mx + ORIGIN) / size

    def row(my: float) -> float:
        return (ORIGIN - my) / size

    x0 = max(0, math.floor(col(mx0) - margin))
    x1 = min(top, math.floor(col(mx1) + margin))
    y0 = max(0, math.floor(row(my1) - margin))
    y1 = min(top, math.floor(row(my0) + margin))
    return x0, y0, x1, y1


# --- access classes ------------------------------------------------------------------------

def access_class(layer: Layer, viewer: Viewer) -> str:
    """The part of the cache key that says which viewers may share this layer's tiles.

    Area polygons carry five-colour counts: exact inside the jurisdiction of a viewer with
    a duty toward the households, small ones hidden for everyone else (small_counts), so
    they differ by that jurisdiction. Facilities differ for staff; households differ by
    household-duty jurisdiction; cases by visibility (citywide, or per user, since a user
    also sees the cases they reported). The jurisdiction's digest is part of the class,
    so a change of duties never serves tiles built for the old ones.
    """
    if layer.kind == "base":
        return "any"
    if layer.kind == "area":
        return _counts_class(viewer, "any")
    if viewer.is_public:
        return "public"
    if layer.kind == "facilities":
        return "staff"
    if layer.kind == "households":
        if viewer.role not in HOUSEHOLD_DUTY:
            return _counts_class(viewer, "aggregate")
        return "duty-" + _digest(viewer.prefixes)
    if viewer.citywide:
        return "city"
    return f"user{viewer.user_id}-{_digest(viewer.prefixes)}"


def _counts_class(viewer: Viewer, without_duty: str) -> str:
    """The class of counts exact inside the viewer's duty (or `without_duty` if none)."""
    if not viewer.duty_patterns():
        return without_duty
    return "counts-city" if viewer.citywide else "counts-" + _digest(viewer.prefixes)


def _digest(prefixes) -> str:
    return hashlib.sha256(",".join(prefixes or ()).encode()).hexdigest()[:10]


def shows_personal_data(layer: Layer, viewer: Viewer, z: int) -> bool:
    """Whether this tile may carry individual households (an audited read)."""
    return (layer.kind == "households" and viewer.role in HOUSEHOLD_DUTY
            and layer.band(z).points and not viewer.is_public)


# --- building --------------------------------------------------------------------------------

def render_tile(conn: Connection, registry: Registry, layer: Layer, viewer: Viewer,
                z: int, x: int, y: int, small: int = 5) -> tuple[bytes, float | None]:
    """The MVT bytes of one tile as this viewer may see it (b'' when empty), and when
    (Unix time) its contents change by time alone, if the layer's SQL says so. Counts of
    a colour under `small` are hidden outside the viewer's duty (gisapp/accounts/small_counts.py).

    A layer's SQL returns the tile, and optionally a second column `expires_at`.
    """
    public = viewer.is_public
    if layer.kind == "cases" and public and not layer.public_sql:
        raise Unauthenticated("请先登录 (login required for case tiles)")
    band = layer.band(z, public)
    params = _common_params(registry, layer, z, x, y)
    sql_name = layer.public_sql if public and layer.public_sql else layer.sql
    statement = registry.sql_text[sql_name]
    if layer.kind == "area":
        params.update(level=layer.level, tolerance=tile_size(z) / 512,
                      counted=viewer.duty_patterns(), small=small)
    elif layer.kind == "base":
        params.update(tolerance=tile_size(z) / 512)
    elif layer.kind == "cases" and public:
        params.update(level=band.level, hidden_states=list(FINAL_STATES))
    elif layer.kind == "cases":
        visible, vis_params = visibility_sql(viewer)
        # `visible` is one of visibility_sql's fixed fragments, never request text.
        statement = statement.replace("{visible}", visible)
        params.update(vis_params, kind=layer.case_kind, hidden_states=list(FINAL_STATES),
                      clock_states=list(CLOCK_STATES), level=band.level,
                      tolerance=tile_size(z) / 512, **_cells(registry, band, z))
    elif layer.kind == "households":
        patterns = viewer.like_patterns() if shows_personal_data(layer, viewer, z) else []
        params.update(level=band.level, patterns=patterns, counted=viewer.duty_patterns(),
                      small=small)
    else:
        params.update(staff=not public, **_cells(registry, band, z))
    row = conn.execute(text(statement), params).one()
    expires = row[1] if len(row) > 1 else None
    return bytes(row[0] or b""), expires.timestamp() if expires is not None else None


def _common_params(registry: Registry, layer: Layer, z: int, x: int, y: int) -> dict:
    return {"z": z, "x": x, "y": y, "layer": layer.name, "extent": registry.extent,
            "buffer": registry.buffer_px * registry.extent // 256,
            "margin": registry.buffer_px / 256, "max_points": registry.max_points}


def _cells(registry: Registry, band: Band, z: int) -> dict:
    """Cluster cell sizes in metres at zoom z (0 = individual points)."""
    px = tile_size(z) / 256
    return {"cell": band.cluster_px * px, "fallback_cell": registry.fallback_cluster_px * px}


def layer_catalogue(registry: Registry) -> list[dict]:
    """What a map client needs to know about each layer (TileJSON-like)."""
    return [{"name": layer.name, "kind": layer.kind, "minzoom": layer.minzoom,
             "maxzoom": layer.maxzoom, "level": layer.level, "url":
             f"/tiles/{layer.name}/{{z}}/{{x}}/{{y}}.pbf"} for layer in registry.layers.values()]
