"""Boundary edit requests: the JSON body read and checked before any geometry reaches SQL.

Every rejection is a BoundaryRejected carrying the offending geometry (as GeoJSON, or as
submitted when it is not GeoJSON) and a message in Chinese and English, so the editor can
highlight what is wrong on the map.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from flask import Request

from ..areas.features import CODE_RE
from ..errors import BadInput, TooLarge

MAX_VERTICES = 10_000          # per polygon, all rings together
MAX_CHILDREN = 500
MAX_NAME = 60
MAX_REASON = 500
MAX_DEPTH = 16
GEOMETRY_TYPES = ("Polygon", "MultiPolygon")


class BoundaryRejected(BadInput):
    """A boundary edit that validation refused; `kind` says which rule it broke."""

    def __init__(self, kind: str, message: str, **details):
        super().__init__(message, **details)
        self.code = kind


@dataclass(frozen=True)
class Child:
    """One child as the request describes it (code None for a new area)."""

    index: int
    code: str | None
    name: str | None
    version: int | None
    geometry: dict
    resurrect: bool = False


@dataclass(frozen=True)
class ChildrenEdit:
    """A request to replace the set of children of one parent."""

    reason: str
    children: tuple[Child, ...]
    # Versions of children the client saw but left out (it means to retire them).
    known_versions: dict[str, int] = field(default_factory=dict)

    def codes(self) -> list[str]:
        return [c.code for c in self.children if c.code]


def read_body(request: Request, max_bytes: int) -> object:
    """The JSON body; NaN and Infinity are read as numbers so the coordinate can be named."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise TooLarge(f"request body is {request.content_length} bytes; the limit is {max_bytes}")
    raw = request.get_data(cache=True)
    if len(raw) > max_bytes:
        raise TooLarge(f"request body exceeds the limit of {max_bytes} bytes")
    try:
        value = json.loads(raw, parse_constant=float)
    except (UnicodeDecodeError, RecursionError):
        raise BadInput("请求必须是 UTF-8 JSON (body must be UTF-8 JSON)") from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"JSON 格式错误 (malformed JSON: {exc.msg} at line {exc.lineno})") from None
    except ValueError:          # e.g. an integer of more than 4300 digits
        raise BadInput("JSON 格式错误 (malformed JSON: a number is too long)") from None
    if _deeper_than(value, MAX_DEPTH):
        raise BadInput(f"JSON 嵌套过深 (JSON is nested deeper than {MAX_DEPTH} levels)")
    return value


def _deeper_than(value: object, limit: int) -> bool:
    # Stops descending at the limit, so a body nested 900 deep cannot exhaust the stack.
    if not isinstance(value, (dict, list)):
        return False
    if limit == 0:
        return True
    children = value.values() if isinstance(value, dict) else value
    return any(_deeper_than(v, limit - 1) for v in children)


def parse_reason(value: object, default: str | None = None) -> str:
    """A non-empty reason for the change (recorded with every version)."""
    if value is None and default is not None:
        return default
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_REASON:
        raise BadInput(f"reason 必填，最多 {MAX_REASON} 字 (reason is required, at most {MAX_REASON} "
                       "characters)", field="reason")
    return value.strip()


def parse_version(value: object, field_name: str = "version") -> int:
    """A version number the client started from."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadInput(f"{field_name} 必须是正整数 ({field_name} must be a positive integer)",
                       field=field_name)
    return value


def parse_name(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_NAME:
        raise BadInput(f"{where}.name 必须是 1-{MAX_NAME} 字的名称 (name must be 1-{MAX_NAME} "
                       "characters)", field=f"{where}.name")
    return value.strip()


def parse_edit(body: object) -> ChildrenEdit:
    """The request of PUT /api/boundaries/<parent>, checked field by field."""
    if not isinstance(body, dict):
        raise BadInput('请求体必须是 JSON 对象 (body must be {"reason": ..., "children": [...]})')
    children = body.get("children")
    if not isinstance(children, list) or not children:
        raise BadInput("children 必须是非空列表 (children must be a non-empty list)", field="children")
    if len(children) > MAX_CHILDREN:
        raise TooLarge(f"最多 {MAX_CHILDREN} 个下级区域 (at most {MAX_CHILDREN} children)")
    parsed = tuple(parse_child(c, i) for i, c in enumerate(children))
    codes = [c.code for c in parsed if c.code]
    if len(codes) != len(set(codes)):
        dup = next(c for c in codes if codes.count(c) > 1)
        raise BadInput(f"编码 {dup} 重复出现 (code {dup} appears twice)", field="children", code=dup)
    return ChildrenEdit(parse_reason(body.get("reason")), parsed,
                        parse_versions(body.get("known_versions")))


def parse_versions(value: object, field_name: str = "known_versions") -> dict[str, int]:
    """A map of area codes to the versions the client saw ({} when absent)."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and CODE_RE.match(k)
                                              for k in value):
        raise BadInput(f"{field_name} 必须是 {{编码: 版本}} ({field_name} must map codes to "
                       "versions)", field=field_name)
    return {k: parse_version(v, f"{field_name}.{k}") for k, v in value.items()}


def parse_child(value: object, index: int) -> Child:
    """One entry of `children`: code (or null for a new area), name, version, geometry."""
    where = f"children[{index}]"
    if not isinstance(value, dict):
        raise BadInput(f"{where} 必须是对象 ({where} must be an object)", field=where)
    code = value.get("code")
    if code is not None and (not isinstance(code, str) or not CODE_RE.match(code)):
        raise BadInput(f"{where}.code 不是区域编码 ({where}.code is not an area code)",
                       field=f"{where}.code", child=index)
    name = parse_name(value.get("name"), where)
    if code is None and name is None:
        raise BadInput(f"新区域必须有名称 ({where}: a new area needs a name)",
                       field=f"{where}.name", child=index)
    version = parse_version(value.get("version"), f"{where}.version") if code else None
    geometry = parse_geometry(value.get("geometry"), f"{where}.geometry", index, code)
    return Child(index, code, name, version, geometry)


def parse_geometry(value: object, where: str, index: int | None = None,
                   code: str | None = None) -> dict:
    """A GeoJSON Polygon or MultiPolygon in WGS 84 with closed rings, finite in-range
    coordinates and at most MAX_VERTICES vertices per polygon."""
    def reject(kind: str, zh: str, en: str, **extra):
        raise BoundaryRejected(kind, f"{zh} ({where}: {en})", child=index, code=code,
                               field=where, geometry=_echo(value), **extra)

    if not isinstance(value, dict) or value.get("type") not in GEOMETRY_TYPES:
        reject("bad_geojson", "几何必须是 GeoJSON 面（Polygon 或 MultiPolygon）",
               "geometry must be a GeoJSON Polygon or MultiPolygon")
    coords = value.get("coordinates")
    polygons = [coords] if value["type"] == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons:
        reject("bad_geojson", "坐标结构错误", "coordinates must be a non-empty list of polygons")
    for p, rings in enumerate(polygons):
        _check_polygon(rings, reject, f"polygon {p}")
    return {"type": value["type"], "coordinates": coords}


def _check_polygon(rings: object, reject, label: str) -> None:
    if not isinstance(rings, list) or not rings:
        reject("bad_geojson", "坐标结构错误", f"{label} must be a non-empty list of rings")
    vertices = 0
    for r, ring in enumerate(rings):
        if not isinstance(ring, list) or len(ring) < 4:
            reject("bad_geojson", "每个环至少需要 4 个坐标点",
                   f"{label} ring {r} needs at least 4 positions")
        for position in ring:
            _check_position(position, reject, f"{label} ring {r}")
        if ring[0][:2] != ring[-1][:2]:
            reject("bad_geojson", "环必须闭合（首尾坐标相同）",
                   f"{label} ring {r} is not closed (first and last positions differ)")
        vertices += len(ring) - 1
    if vertices > MAX_VERTICES:
        reject("too_many_vertices", f"单个面最多 {MAX_VERTICES} 个顶点",
               f"{label} has {vertices} vertices; at most {MAX_VERTICES} per polygon",
               vertices=vertices, max_vertices=MAX_VERTICES)


def _check_position(position: object, reject, label: str) -> None:
    if (not isinstance(position, list) or len(position) not in (2, 3)
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in position)):
        reject("bad_geojson", "坐标必须是 [经度, 纬度] 数字对",
               f"{label}: a position must be [lng, lat] numbers")
    # An int too large for a float counts as infinite (math.isfinite would overflow).
    if not all(math.isfinite(v) if isinstance(v, float) else abs(v) < 1e300 for v in position):
        reject("non_finite", "坐标不能是 NaN 或无穷大",
               f"{label}: coordinates must be finite (no NaN or Infinity)")
    lng, lat = position[0], position[1]
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        reject("bad_geojson", "坐标超出 WGS 84 范围（经度 -180..180，纬度 -90..90）",
               f"{label}: [{lng}, {lat}] is out of range; positions are [lng, lat] in WGS 84")


def _echo(value: object) -> object:
    """The submitted value made safe for a JSON answer (non-finite numbers become null)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_echo(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _echo(v) for k, v in value.items()}
    return value


def parse_line(value: object) -> dict:
    """A GeoJSON LineString in WGS 84 (the cut of a split), with finite coordinates."""
    def reject(kind: str, zh: str, en: str, **extra):
        raise BoundaryRejected(kind, f"{zh} (line: {en})", field="line", geometry=_echo(value))

    if not isinstance(value, dict) or value.get("type") != "LineString":
        reject("bad_geojson", "分割线必须是 GeoJSON LineString", "must be a GeoJSON LineString")
    coords = value.get("coordinates")
    if not isinstance(coords, list) or not 2 <= len(coords) <= MAX_VERTICES:
        reject("bad_geojson", "分割线需要 2 个以上坐标点", f"needs 2 to {MAX_VERTICES} positions")
    for position in coords:
        _check_position(position, reject, "line")
    return {"type": "LineString", "coordinates": [p[:2] for p in coords]}
