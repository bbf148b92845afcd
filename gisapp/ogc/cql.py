"""CQL2 text filters (OGC API – Features Part 3), a documented subset, as SQLAlchemy clauses.

The text is parsed by pygeofilter into an AST; this module walks the AST and builds a
SQLAlchemy expression in which every property comes from the collection's whitelist of
queryables and every literal is a bound parameter. Nothing from the filter text is ever
spliced into SQL. Anything outside the subset is refused with a clear 400.

The subset:
  * comparisons  =  <>  <  <=  >  >=   between a queryable and a literal
    (string, number, boolean, TIMESTAMP('...') or DATE('...'));
  * IS NULL and IS NOT NULL;
  * AND, OR, NOT (NOT applies to one comparison: pygeofilter's grammar has no
    NOT over a parenthesised AND/OR);
  * S_INTERSECTS(geom, <WKT geometry>), the geometry in filter-crs (CRS84 by default,
    also EPSG:4326, EPSG:4490, EPSG:3857, GCJ-02 and BD-09).

pygeofilter reads AND and OR left to right with equal precedence, where CQL2 binds AND
tighter; so mixing AND and OR at one level without parentheses is refused rather than
silently read the wrong way.
"""
from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, time, timezone

import shapely
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text
from sqlalchemy import and_, func, not_, or_

from ..errors import BadInput
from .crs import CRS84, geometry_to_lnglat

MAX_VERTICES = 10_000

MAX_FILTER = 4000
MAX_DEPTH = 100
GEOMETRY_NAMES = ("geom", "geometry")
_COMPARISONS = {
    ast.Equal: lambda c, v: c == v, ast.NotEqual: lambda c, v: c != v,
    ast.LessThan: lambda c, v: c < v, ast.LessEqual: lambda c, v: c <= v,
    ast.GreaterThan: lambda c, v: c > v, ast.GreaterEqual: lambda c, v: c >= v,
}
SUBSET = ("comparisons (=, <>, <, <=, >, >=) of a property with a literal, IS [NOT] NULL, "
          "AND, OR, NOT, and S_INTERSECTS(geom, <WKT>)")


def parse_filter(text: str, lang: str | None) -> ast.Node:
    """The AST of a cql2-text filter, or BadInput naming what is wrong."""
    if lang not in (None, "", "cql2-text"):
        raise BadInput("filter-lang must be cql2-text", field="filter-lang")
    if len(text) > MAX_FILTER:
        raise BadInput(f"filter is longer than {MAX_FILTER} characters", field="filter")
    _check_and_or_mixing(text)
    try:
        return parse_cql2_text(text)
    except Exception as exc:           # lark raises many kinds; all mean "not CQL2 we read"
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise BadInput(f"filter is not valid CQL2 text in the supported subset ({SUBSET}): "
                       f"{first}", field="filter") from None


def _check_and_or_mixing(text: str) -> None:
    # Remove quoted strings, then look at each parenthesis level for both AND and OR.
    bare = re.sub(r"'(?:[^']|'')*'", "''", text)
    levels: list[set[str]] = [set()]
    for token in re.findall(r"\(|\)|\bAND\b|\bOR\b", bare, flags=re.IGNORECASE):
        if token == "(":
            levels.append(set())
        elif token == ")":
            if len(levels) > 1:
                levels.pop()
        else:
            levels[-1].add(token.upper())
            if levels[-1] == {"AND", "OR"}:
                raise BadInput("filter mixes AND and OR without parentheses; write e.g. "
                               "a = 1 OR (b = 2 AND c = 3)", field="filter")


def to_clause(node: ast.Node, columns: dict, types: dict[str, str], geom_column,
              filter_crs: str = CRS84, depth: int = 0):
    """A SQLAlchemy boolean clause for the AST, using only the whitelisted `columns`."""
    if depth > MAX_DEPTH:
        raise BadInput(f"filter is nested deeper than {MAX_DEPTH} levels", field="filter")
    walk = lambda n: to_clause(n, columns, types, geom_column, filter_crs, depth + 1)  # noqa: E731
    if isinstance(node, ast.And):
        return and_(walk(node.lhs), walk(node.rhs))
    if isinstance(node, ast.Or):
        return or_(walk(node.lhs), walk(node.rhs))
    if isinstance(node, ast.Not):
        return not_(walk(node.sub_node))
    if type(node) in _COMPARISONS:
        name, value = _attribute_and_literal(node, columns, types)
        return _COMPARISONS[type(node)](columns[name], value)
    if isinstance(node, ast.IsNull):
        if not isinstance(node.lhs, ast.Attribute) or node.lhs.name not in columns:
            raise BadInput("IS NULL applies to a queryable property", field="filter")
        col = columns[node.lhs.name]
        return col.is_not(None) if node.not_ else col.is_(None)
    if isinstance(node, ast.GeometryIntersects):
        return _intersects(node, geom_column, filter_crs)
    raise BadInput(f"filter uses {type(node).__name__}, which is not supported; the supported "
                   f"subset is {SUBSET}", field="filter")


def _attribute_and_literal(node, columns: dict, types: dict[str, str]):
    lhs, rhs = node.lhs, node.rhs
    if not isinstance(lhs, ast.Attribute) and isinstance(rhs, ast.Attribute):
        lhs, rhs = rhs, lhs
    if not isinstance(lhs, ast.Attribute) or isinstance(rhs, (ast.Attribute, ast.Node)):
        raise BadInput("a comparison must compare one property with one literal value",
                       field="filter")
    name = lhs.name
    if name not in columns:
        raise BadInput(f"unknown property {name[:60]!r}; queryable here: {', '.join(columns)}",
                       field="filter")
    return name, coerce_value(rhs, types[name], name)


def coerce_value(value, kind: str, name: str):
    """A literal of the property's type, or BadInput (a string never meets a number)."""
    if kind == "string":
        if not isinstance(value, str):
            raise BadInput(f"{name} is text: compare it with a quoted string", field="filter")
        return value
    if kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise BadInput(f"{name} is a number: compare it with a number", field="filter")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise BadInput(f"{name} is true or false", field="filter")
        return value
    if kind == "date-time":
        return _as_datetime(value, name)
    raise BadInput(f"{name} cannot be compared", field="filter")


def _as_datetime(value, name: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=timezone.utc)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    raise BadInput(f"{name} is a time: compare it with TIMESTAMP('2024-01-01T00:00:00Z')",
                   field="filter")


def _intersects(node, geom_column, filter_crs: str):
    lhs, rhs = node.lhs, node.rhs
    if isinstance(rhs, ast.Attribute):
        lhs, rhs = rhs, lhs
    if not isinstance(lhs, ast.Attribute) or lhs.name not in GEOMETRY_NAMES:
        raise BadInput("S_INTERSECTS takes the geometry property (geom) and a WKT geometry",
                       field="filter")
    if isinstance(rhs, values.Envelope):
        geometry = {"type": "Polygon", "coordinates": [[
            [rhs.x1, rhs.y1], [rhs.x2, rhs.y1], [rhs.x2, rhs.y2], [rhs.x1, rhs.y2], [rhs.x1, rhs.y1]]]}
    elif isinstance(rhs, values.Geometry):
        geometry = rhs.geometry
    else:
        raise BadInput("S_INTERSECTS needs a WKT geometry such as POLYGON((...)) or "
                       "POINT(121.51 38.99)", field="filter")
    geometry = geometry_to_lnglat(json.loads(json.dumps(geometry)), filter_crs)
    geojson = json.dumps(_checked(geometry))
    return func.ST_Intersects(geom_column, func.ST_SetSRID(func.ST_GeomFromGeoJSON(geojson), 4326))


def _checked(geometry: dict) -> dict:
    """The filter geometry if PostGIS can use it: valid, finite, in range, not too large."""
    try:
        geom = shapely.geometry.shape(geometry)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError,
            shapely.errors.GEOSException):
        raise BadInput("the S_INTERSECTS geometry is malformed", field="filter") from None
    coords = shapely.get_coordinates(geom)
    if len(coords) > MAX_VERTICES:
        raise BadInput(f"the S_INTERSECTS geometry has more than {MAX_VERTICES} vertices",
                       field="filter")
    if geom.is_empty or not all(math.isfinite(v) for v in coords.ravel()):
        raise BadInput("the S_INTERSECTS geometry is empty or not finite", field="filter")
    if coords[:, 0].min() < -180 or coords[:, 0].max() > 180 or coords[:, 1].min() < -90 \
            or coords[:, 1].max() > 90:
        raise BadInput("the S_INTERSECTS geometry is out of range (in CRS84: longitude, "
                       "latitude; set filter-crs for other coordinates)", field="filter")
    if not geom.is_valid:
        raise BadInput(f"the S_INTERSECTS geometry is invalid: {shapely.is_valid_reason(geom)}",
                       field="filter")
    return geometry
