"""Geometry for the synthetic Dalian demo city: coastline, tessellations, buildings.

Every level is cut top-down with clipped Voronoi cells, but the stored boundaries are
built bottom-up: the leaf cells are noded together on a 1e-7 degree grid (snap
rounding), the faces are handed back to their leaves, and each parent is the
coverage union of its children. Siblings therefore share exactly the same vertices
and every level tiles its parent with no gaps or overlaps.
"""
from __future__ import annotations

import numpy as np
import shapely
from shapely import MultiPolygon, Polygon

GRID = 1e-7  # degrees, about 1 cm: the precision every stored vertex is snapped to
M_PER_DEG_LAT = 110540.0
M_PER_DEG_LNG_EQUATOR = 111320.0

# A hand-drawn coastline of Dalian's urban core, clockwise from the north-west. The
# north and west edges are administrative cuts; south and east is the Yellow Sea and
# Dalian Bay (so 121.70 E, 38.86 N is sea).
LAND = (
    (121.450, 39.050), (121.800, 39.050), (121.800, 38.985), (121.785, 38.978),
    (121.765, 38.982), (121.745, 38.972), (121.725, 38.978), (121.705, 38.968),
    (121.690, 38.952), (121.672, 38.945), (121.660, 38.935), (121.668, 38.925),
    (121.690, 38.918), (121.702, 38.906), (121.694, 38.893), (121.680, 38.878),
    (121.662, 38.869), (121.642, 38.873), (121.622, 38.868), (121.603, 38.876),
    (121.588, 38.871), (121.570, 38.866), (121.552, 38.861), (121.535, 38.869),
    (121.515, 38.862), (121.498, 38.853), (121.478, 38.858), (121.462, 38.868),
    (121.450, 38.880),
)

# Voronoi generators per district: a district is the union of its generators' cells
# on land, which puts each one roughly where the real district lies.
DISTRICT_SEEDS: dict[str, tuple[tuple[float, float], ...]] = {
    "210202": ((121.665, 38.905), (121.685, 38.900), (121.650, 38.885)),
    "210203": ((121.625, 38.918), (121.628, 38.885), (121.635, 38.935)),
    "210204": ((121.590, 38.910), (121.580, 38.885), (121.600, 38.930)),
    "210211": ((121.545, 38.900), (121.580, 38.965), (121.620, 38.960), (121.640, 38.955),
               (121.600, 39.010), (121.670, 39.020), (121.700, 38.990)),
    "210212": ((121.470, 38.890), (121.475, 38.960), (121.475, 39.030)),
    "210213": ((121.765, 39.025), (121.775, 38.995), (121.740, 39.040)),
}


def metres_per_degree(lat) -> tuple:
    """(metres per degree of longitude, of latitude) at latitude `lat` (equirectangular)."""
    return M_PER_DEG_LNG_EQUATOR * np.cos(np.radians(lat)), M_PER_DEG_LAT


def district_polygons() -> dict[str, Polygon]:
    """Every demo district's outline; together they are exactly the land polygon."""
    land = Polygon(LAND)
    codes = [c for c, seeds in DISTRICT_SEEDS.items() for _ in seeds]
    seeds = [p for c in DISTRICT_SEEDS for p in DISTRICT_SEEDS[c]]
    cells = _clip_cells(land, np.array(seeds))
    return {c: polygonal(shapely.union_all([g for g, k in zip(cells, codes) if k == c]))
            for c in DISTRICT_SEEDS}


def polygonal(geom) -> MultiPolygon:
    """The polygonal parts of `geom` as one MultiPolygon (lines and points dropped)."""
    parts = [p for p in shapely.get_parts(geom) if not p.is_empty]
    polys = []
    for p in parts:
        if isinstance(p, Polygon):
            polys.append(p)
        elif isinstance(p, MultiPolygon):
            polys.extend(p.geoms)
        elif p.geom_type == "GeometryCollection":
            polys.extend(polygonal(p).geoms)
    return MultiPolygon(polys)


def sample_points(poly, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` uniformly random points strictly inside `poly`, as an (n, 2) array."""
    x0, y0, x1, y1 = poly.bounds
    shapely.prepare(poly)
    found = np.empty((0, 2))
    while len(found) < n:
        batch = rng.random((max(16, 4 * n), 2)) * (x1 - x0, y1 - y0) + (x0, y0)
        inside = shapely.contains_xy(poly, batch[:, 0], batch[:, 1])
        found = np.vstack([found, batch[inside]])
    return found[:n]


def split_region(parent, n: int, rng: np.random.Generator, lloyd: int = 2) -> list:
    """Cut `parent` into `n` compact pieces, returned in reading order (see below).

    Seeds are drawn, relaxed (Lloyd) and their Voronoi cells clipped to the parent.
    A seed hugging a concave edge can leave a small piece, so the draw is repeated
    until the smallest piece has at least 35% of the mean area (or the best of 8 is kept).
    """
    if n == 1:
        return [polygonal(parent)]
    best, best_score = None, -1.0
    for _ in range(8):
        seeds = sample_points(parent, n, rng)
        for _ in range(lloyd):  # Lloyd relaxation: move each seed to its cell's centre
            seeds = _centres(_clip_cells(parent, seeds), parent)
        cells = _merge_detached(_clip_cells(parent, seeds))
        areas = shapely.area(cells)
        score = areas.min() / areas.mean() if len(cells) == n and areas.min() > 0 else 0.0
        if score > best_score:
            best, best_score = cells, score
        if score >= 0.35:
            break
    if best_score <= 0:
        raise RuntimeError(f"could not split a region into {n} non-empty pieces")
    return [best[i] for i in reading_order(best, parent)]


def reading_order(cells, parent) -> np.ndarray:
    """Indexes of `cells` north to south in bands, west to east within a band.

    The numbering rule for codes: a band is as tall as a typical cell
    (sqrt(parent area / number of cells)), counted down from the parent's northern
    edge; cells are sorted by the band of their centroid, then by centroid longitude.
    """
    xy = shapely.get_coordinates(shapely.centroid(cells))
    height = np.sqrt(shapely.area(parent) / len(cells))
    band = np.floor((parent.bounds[3] - xy[:, 1]) / height)
    return np.lexsort((xy[:, 0], band))


def _clip_cells(parent, seeds: np.ndarray) -> list:
    """The Voronoi cells of `seeds` (in seed order) clipped to `parent`."""
    diagram = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=parent,
                                       ordered=True)
    cells = shapely.intersection(shapely.get_parts(diagram), parent)
    return [polygonal(c) for c in cells]


def _centres(cells, parent) -> np.ndarray:
    """Each cell's centroid, or a point on its surface when the centroid falls outside."""
    pts = shapely.centroid(cells)
    outside = ~shapely.contains(parent, pts)
    pts[outside] = shapely.point_on_surface(np.asarray(cells, dtype=object)[outside])
    return shapely.get_coordinates(pts)


def _merge_detached(cells: list) -> list:
    """Give each cell's stray parts (cut off by a concave edge) to the neighbour they touch most."""
    cells = list(cells)
    for i, cell in enumerate(cells):
        if len(cell.geoms) < 2:
            continue
        parts = sorted(cell.geoms, key=lambda p: -p.area)
        cells[i] = MultiPolygon(parts[:1])
        for part in parts[1:]:
            shared = [0.0 if j == i else shapely.intersection(part.boundary, other).length
                      for j, other in enumerate(cells)]
            j = int(np.argmax(shared)) if max(shared) > 0 else i
            cells[j] = polygonal(shapely.union(cells[j], part))
    return cells


def snap_leaves(leaves: list) -> list[MultiPolygon]:
    """Node all leaf polygons on the GRID so that neighbours share identical vertices."""
    lines = shapely.union_all(shapely.boundary(np.asarray(leaves, dtype=object)),
                              grid_size=GRID)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    owner = _face_owners(faces, leaves)
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(len(leaves) + 1))
    out = []
    for i in range(len(leaves)):
        mine = faces[order[bounds[i]:bounds[i + 1]]]
        if len(mine) == 0:
            raise RuntimeError(f"leaf {i} vanished when snapped to the grid")
        out.append(merge(mine))
    return out


def _face_owners(faces, leaves) -> np.ndarray:
    """For each face, the index of the leaf its interior point lies in (largest overlap if none)."""
    tree = shapely.STRtree(leaves)
    inner = shapely.point_on_surface(faces)
    hit_face, hit_leaf = tree.query(inner, predicate="within")
    owner = np.full(len(faces), -1)
    owner[hit_face[::-1]] = hit_leaf[::-1]  # the first hit wins for a point on an edge
    for f in np.flatnonzero(owner < 0):
        near = tree.query(faces[f], predicate="intersects")
        overlap = shapely.area(shapely.intersection(faces[f], tree.geometries[near]))
        owner[f] = near[int(np.argmax(overlap))]
    return owner


def merge(children) -> MultiPolygon:
    """The union of edge-matched polygons (a coverage), as a MultiPolygon."""
    return polygonal(shapely.coverage_union_all(np.asarray(children, dtype=object)))


def _rectangles(cx, cy, length, width, angle) -> np.ndarray:
    """Rotated rectangles (sizes in metres) centred on (cx, cy) degrees, as polygons."""
    mx, my = metres_per_degree(cy)
    u = np.array([-0.5, 0.5, 0.5, -0.5, -0.5])
    v = np.array([-0.5, -0.5, 0.5, 0.5, -0.5])
    du = np.multiply.outer(length, u)
    dv = np.multiply.outer(width, v)
    c, s = np.cos(angle)[..., None], np.sin(angle)[..., None]
    x = cx[..., None] + (du * c - dv * s) / mx[..., None]
    y = cy[..., None] + (du * s + dv * c) / my
    return shapely.polygons(np.stack([x, y], axis=-1))


def place_buildings(microgrids, want_two: np.ndarray, rng: np.random.Generator,
                    tries: int = 16) -> dict:
    """1-2 rotated footprints (12-60 m by 6-18 m) strictly inside each micro-grid.

    Candidates are drawn for all micro-grids at once; a candidate counts when the
    footprint grown by 3 m on each side still lies inside. A micro-grid too small for
    any candidate gets one smaller rectangle in its maximum inscribed circle.
    """
    polys = np.asarray(microgrids, dtype=object)
    n = len(polys)
    shapely.prepare(polys)
    cx, cy, ok = _interior_candidates(polys, tries, rng)
    # Footprints in proportion to the micro-grid, so small ones in the dense core fit too.
    mx, my = metres_per_degree(cy[:, 0])
    side = np.sqrt(shapely.area(polys) * mx * my)[:, None]
    length = np.clip(side * rng.uniform(0.25, 0.55, (n, tries)), 12, 60)
    width = np.clip(length * rng.uniform(0.25, 0.4, (n, tries)), 6, 18)
    angle = rng.uniform(0, np.pi, (n, tries))
    halo = _rectangles(cx, cy, length + 6, width + 6, angle)
    ok &= shapely.contains_properly(polys[:, None], halo)
    first = np.argmax(ok, axis=1)
    rows = np.arange(n)
    clear = ~shapely.intersects(halo, halo[rows, first][:, None])
    second = np.argmax(ok & clear, axis=1)
    has_second = want_two & (ok & clear)[rows, second]
    fitted = ok[rows, first]
    pick = [(rows, first, fitted), (rows[has_second], second[has_second], fitted[has_second])]
    cols = [np.concatenate([a[r, c] for r, c, _ in pick]) for a in (cx, cy, length, width, angle)]
    mg = np.concatenate([r for r, _, _ in pick])
    good = np.concatenate([f for _, _, f in pick])
    _fallback_rectangles(polys, mg, good, cols, rng)
    order = np.argsort(mg, kind="stable")
    result = {k: v[order] for k, v in zip(("cx", "cy", "length", "width", "angle"), cols)}
    result["microgrid"] = mg[order]
    result["geom"] = _rectangles(result["cx"], result["cy"], result["length"],
                                 result["width"], result["angle"])
    return result


def _interior_candidates(polys, tries: int, rng: np.random.Generator):
    """`tries` random points per polygon, and whether each one fell inside."""
    b = shapely.bounds(polys)
    draws = 3 * tries
    x = b[:, [0]] + rng.random((len(polys), draws)) * (b[:, [2]] - b[:, [0]])
    y = b[:, [1]] + rng.random((len(polys), draws)) * (b[:, [3]] - b[:, [1]])
    inside = shapely.contains_xy(polys[:, None], x, y)
    # Keep the first `tries` inside points of each row (stable: inside ones first).
    order = np.argsort(~inside, axis=1, kind="stable")[:, :tries]
    take = np.take_along_axis
    return take(x, order, 1), take(y, order, 1), take(inside, order, 1)


def _fallback_rectangles(polys, mg, good, cols, rng) -> None:
    """Replace unfitted footprints by rectangles inside each micro-grid's largest inscribed circle."""
    cx, cy, length, width, angle = cols
    for k in np.flatnonzero(~good):
        circle = shapely.maximum_inscribed_circle(polys[mg[k]], GRID)
        (x, y), edge = shapely.get_coordinates(circle)
        # The circle is round in degrees; the round circle in metres inside it:
        radius = np.hypot(*(edge - (x, y))) * min(metres_per_degree(y))
        diagonal = min(0.95 * 2 * radius, 32.0)  # a 5:2 rectangle, at most 30 m long
        cx[k], cy[k], angle[k] = x, y, rng.uniform(0, np.pi)
        length[k], width[k] = diagonal / np.hypot(1, 0.4), 0.4 * diagonal / np.hypot(1, 0.4)


def points_in_buildings(buildings: dict, which: np.ndarray, rng: np.random.Generator):
    """A random point strictly inside footprint `which[i]` for each i (inner 80%)."""
    u = rng.uniform(-0.4, 0.4, len(which)) * buildings["length"][which]
    v = rng.uniform(-0.4, 0.4, len(which)) * buildings["width"][which]
    a = buildings["angle"][which]
    cy = buildings["cy"][which]
    mx, my = metres_per_degree(cy)
    x = buildings["cx"][which] + (u * np.cos(a) - v * np.sin(a)) / mx
    y = cy + (u * np.sin(a) + v * np.cos(a)) / my
    return x, y
