"""Areas: one area as a Feature, and filtered pages of areas as FeatureCollections."""
from __future__ import annotations

from sqlalchemy.engine import Connection

from ..errors import BadInput, NotFound
from ..queries import loader

sql = loader(__package__)

LEVELS = {"district": 1, "street": 2, "community": 3, "grid": 4, "microgrid": 5}
MAX_PAGE = 5000
DEFAULT_PAGE = 100


def parse_level(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if raw in LEVELS:
        return LEVELS[raw]
    if raw.isdigit() and 1 <= int(raw) <= 5:
        return int(raw)
    raise BadInput(f"level must be one of {', '.join(LEVELS)}", field="level")


def zoom_tolerance(zoom: int | None) -> float:
    """Half a pixel at `zoom`, in degrees: the simplification that cannot be seen."""
    if zoom is None:
        return 0.0
    return 360.0 / (256 * 2 ** zoom) / 2


def get_area(conn: Connection, code: str) -> dict:
    """The current area with this code as a GeoJSON Feature, or NotFound."""
    feature = conn.execute(sql("area_feature"), {"code": code}).scalar()
    if feature is None:
        raise NotFound(f"没有编码为 {code} 的区域 (no current area with code {code})", code=code)
    return feature


def list_areas(conn: Connection, level: int | None = None, parent: str | None = None,
               bbox: tuple | None = None, zoom: int | None = None,
               limit: int = DEFAULT_PAGE, offset: int = 0) -> dict:
    """A FeatureCollection page of current areas matching the filters."""
    minx, miny, maxx, maxy = bbox or (None, None, None, None)
    return conn.execute(sql("area_collection"), {
        "level": level, "parent": parent, "minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy,
        "tolerance": zoom_tolerance(zoom), "limit": limit, "offset": offset,
    }).scalar()
