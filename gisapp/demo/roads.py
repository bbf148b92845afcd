"""Roads and water for the demo city's base map, drawn along its own boundaries.

In a real Chinese city the 街道, 社区 and 网格 boundaries mostly run along roads, so
the demo does it the other way round: street boundaries become arterials (主干路),
community boundaries secondary roads (次干路) and grid boundaries minor roads (支路).
Boundary edges that continue each other almost straight are joined into one named road
(a road crosses several junctions under one name, as 中山路 does). Arterials and
secondary roads get names from a list per class; minor roads are the community's lanes
(嘉和苑三巷). The sea south and east of the coastline is the water.
"""
from __future__ import annotations

import math

import numpy as np
import shapely
import shapely.ops
from shapely import LineString, MultiPolygon, Polygon

from . import geometry as geo

CLASS_BY_LEVEL = {1: "主干路", 2: "主干路", 3: "次干路", 4: "支路"}
MIN_METRES = {1: 40.0, 2: 40.0, 3: 30.0, 4: 25.0}  # shorter leftovers of the noding are dropped
STRAIGHT_DEGREES = 35.0                     # the most a road may turn at a junction
MAX_ROAD_METRES = 5000.0                    # a longer run of edges gets a second name
COAST_ROAD = "滨海路"                        # the district outline along the sea
SEA_EDGES = (38.60, 122.30)                 # south and east edge of the drawn sea

ARTERIALS = (
    "中山路", "人民路", "解放路", "长江路", "黄河路", "五四路", "西安路", "高尔基路",
    "东北路", "华北路", "华东路", "华南路", "振兴路", "胜利路", "友好路", "新华路",
    "鲁迅路", "星海路", "联合路", "香周路", "泉水路", "红旗路", "疏港路", "金马路",
    "迎客路", "英华路", "和平路", "建设路", "东联路", "西南路", "中华路", "前进路",
)
SECONDARY = tuple(f"{city}{tail}" for city, tail in zip((
    "青岛", "济南", "烟台", "威海", "南京", "上海", "北京", "天津", "沈阳", "长春",
    "哈尔滨", "鞍山", "抚顺", "本溪", "丹东", "锦州", "营口", "辽阳", "铁岭", "盘锦",
    "吉林", "武汉", "长沙", "杭州", "苏州", "福州", "厦门", "广州", "昆明", "成都",
    "重庆", "兰州", "银川", "太原", "郑州", "合肥", "南昌", "贵阳", "南宁", "西宁",
    "秦皇岛", "唐山", "保定", "洛阳", "开封", "徐州", "扬州", "无锡", "常州", "宁波",
), ("路", "街") * 25))
NAMES = {"主干路": ARTERIALS, "次干路": SECONDARY}
NUMERALS = "一二三四五六七八九"


def build_roads(areas, seed: int) -> dict:
    """Named roads along the boundaries of `areas` (demo.Area rows) and the sea.

    Returns {"roads": [(name, class, LineString)], "water": [(name, kind, MultiPolygon)]}.
    """
    rng = np.random.default_rng(seed)
    namers = {cls: _namer(pool, rng) for cls, pool in NAMES.items()}
    coast = LineString(geo.LAND[2:])
    taken = None
    roads = []
    for level in (1, 2, 3):
        polys = [a.geom for a in areas if a.level == level]
        lines = _boundaries(polys)
        own = lines if taken is None else shapely.difference(lines, taken, grid_size=geo.GRID)
        taken = lines if taken is None else shapely.union(taken, lines, grid_size=geo.GRID)
        cls = CLASS_BY_LEVEL[level]
        edges = [piece for ln in _parts(shapely.line_merge(own)) for piece in _cut(ln)]
        if level == 1:      # the coast apart from the rest, so 滨海路 ends where the sea does
            near = coast.buffer(1e-6)
            edges = [p for e in edges for p in _parts(shapely.line_merge(shapely.intersection(e, near)))
                     + _parts(shapely.line_merge(shapely.difference(e, near)))]
        for chain in join_straight(edges, MIN_METRES[level]):
            on_coast = level == 1 and shapely.distance(
                coast, chain[0].interpolate(0.5, normalized=True)) < 1e-6
            name = COAST_ROAD if on_coast else next(namers[cls])
            roads += [(name, cls, line) for line in chain]
    return {"roads": roads + _lanes(areas), "water": [("黄海", "sea", sea())]}


def _boundaries(polys) -> object:
    """The noded union of the polygons' boundaries (shared edges once)."""
    if not polys:
        return shapely.MultiLineString()
    return shapely.union_all(shapely.boundary(np.asarray(polys, dtype=object)), grid_size=geo.GRID)


def _lanes(areas) -> list[tuple]:
    """支路 on the grid boundaries inside each community, named as lanes in China often
    are, after the neighbourhood and numbered: 嘉和苑一巷, 嘉和苑二街 (long ones are 街)."""
    grids: dict[int, list] = {}
    for a in areas:
        if a.level == 4:
            grids.setdefault(a.parent, []).append(a.geom)
    roads = []
    for community, polys in grids.items():
        outline = areas[community].geom.boundary
        inner = shapely.difference(_boundaries(polys), outline, grid_size=geo.GRID)
        head = areas[community].name.removesuffix("社区")
        chains = join_straight(_parts(shapely.line_merge(inner)), MIN_METRES[4])
        for k, chain in enumerate(chains, start=1):
            tail = "街" if sum(_metres(ln) for ln in chain) > 600 else "巷"
            roads += [(f"{head}{_numeral(k)}{tail}", "支路", line) for line in chain]
    return roads


def sea() -> MultiPolygon:
    """The Yellow Sea: south and east of the demo coastline, out to SEA_EDGES."""
    coast = list(geo.LAND[1:])          # from the north-east corner, round the south coast
    south, east = SEA_EDGES
    ring = coast + [(coast[-1][0], south), (east, south), (east, coast[0][1])]
    return MultiPolygon([Polygon(ring).buffer(0)])


def _parts(geom) -> list[LineString]:
    return [p for p in shapely.get_parts(geom) if p.geom_type == "LineString" and not p.is_empty]


def _cut(line: LineString) -> list[LineString]:
    """`line` in pieces no longer than MAX_ROAD_METRES (a closed outline is one line)."""
    n = math.ceil(_metres(line) / MAX_ROAD_METRES)
    return [shapely.ops.substring(line, k / n, (k + 1) / n, normalized=True) for k in range(n)]


def _metres(line: LineString) -> float:
    xy = np.asarray(line.coords)
    mx, my = geo.metres_per_degree(xy[:, 1].mean())
    return float(np.hypot(np.diff(xy[:, 0]) * mx, np.diff(xy[:, 1]) * my).sum())


def join_straight(lines: list[LineString], min_metres: float) -> list[list[LineString]]:
    """Group edges into roads: from each edge, keep going through junctions along the
    edge that turns least (at most STRAIGHT_DEGREES). Each road is a list of lines."""
    lines = [ln for ln in lines if _metres(ln) >= min_metres]
    at: dict[tuple, list[int]] = {}
    for i, ln in enumerate(lines):
        for end in (ln.coords[0], ln.coords[-1]):
            at.setdefault(_key(end), []).append(i)
    used = [False] * len(lines)
    roads = []
    for i in range(len(lines)):
        if used[i]:
            continue
        used[i] = True
        coords = list(lines[i].coords)
        coords = _extend(coords, lines, at, used)
        coords = _extend(coords[::-1], lines, at, used)
        merged = shapely.line_merge(shapely.MultiLineString([coords]))
        roads.append(_parts(merged))
    return roads


def _extend(coords: list, lines, at, used) -> list:
    """Append to `coords` the straightest unused edge at its last point, while one fits."""
    while _metres(LineString(coords)) < MAX_ROAD_METRES:
        end, before = coords[-1], coords[-2]
        heading = math.atan2(end[1] - before[1], end[0] - before[0])
        best, best_turn = None, STRAIGHT_DEGREES
        for j in at.get(_key(end), ()):
            if used[j]:
                continue
            nxt = list(lines[j].coords)
            if _key(nxt[0]) != _key(end):
                nxt = nxt[::-1]
            turn = abs(_angle(math.atan2(nxt[1][1] - end[1], nxt[1][0] - end[0]) - heading))
            if turn <= best_turn:
                best, best_turn, best_coords = j, turn, nxt
        if best is None:
            return coords
        used[best] = True
        coords += best_coords[1:]
    return coords


def _angle(radians: float) -> float:
    """A difference of headings in degrees, in -180..180."""
    return (math.degrees(radians) + 180.0) % 360.0 - 180.0


def _key(point) -> tuple[int, int]:
    return round(point[0] / geo.GRID), round(point[1] / geo.GRID)


def _namer(pool: tuple[str, ...], rng: np.random.Generator):
    """Names from `pool` in a seeded order, endlessly; once all are used, numbered as a
    real city numbers the sections of a long road (中山二路, 中山三路 …)."""
    order = rng.permutation(len(pool))
    k = 0
    while True:
        name, rounds = pool[order[k % len(pool)]], k // len(pool)
        yield name[:-1] + _numeral(rounds + 1) + name[-1] if rounds else name
        k += 1


def _numeral(n: int) -> str:
    """1..99 in Chinese numerals (一, 十二, 二十三)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else NUMERALS[tens - 1] + "十")
    return head + (NUMERALS[ones - 1] if ones else "")


# --- loading ---------------------------------------------------------------------------

def copy_roads(cur, roads: dict, copy, ewkb) -> None:
    """COPY the demo's roads and water (with demo.py's `_copy` and `_ewkb` helpers)."""
    rows = roads.get("roads", [])
    copy(cur, "road", ("name", "class", "source", "geom"),
         [[r[0] for r in rows], [r[1] for r in rows], ["demo"] * len(rows),
          ewkb([r[2] for r in rows])])
    water = roads.get("water", [])
    copy(cur, "water", ("name", "kind", "source", "geom"),
         [[w[0] for w in water], [w[1] for w in water], ["demo"] * len(water),
          ewkb([w[2] for w in water])])
