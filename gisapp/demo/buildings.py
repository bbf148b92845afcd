"""What the demo's buildings are: property management (物业), stand-alone buildings (散楼), year.

The 743 -> 841 review (gisapp/boundaries/plan_rule.py) needs them. A grid of the demo is about one
residential compound, so each grid is drawn as one of three kinds, and its buildings
share the kind, the company and (within a few years) the year:
- a managed estate (物业小区): a property-management company, built 1995-2022;
- an old compound without management (老旧小区, 弃管楼): built 1960-2000;
- stand-alone buildings (散楼): no estate and no management, built 1950-2010.

Where: the old town centres of 中山区 and 西岗区 are full of old compounds and scattered
stand-alone buildings; the urban fringe (city villages and former factory housing far from
the centre, 城乡结合部) has the most stand-alone buildings; new districts in between are
mostly managed estates. The share of stand-alone buildings is drawn per community around
that geographic mean, so neighbouring communities differ as real ones do. The generator
knows nothing of the review's thresholds; docs/plan.md shows how its output meets them.
"""
from __future__ import annotations

import numpy as np

from .geometry import metres_per_degree

# Old town centres (中山广场, 西岗 old town) and the core the fringe is measured from.
OLD_TOWNS = ((121.660, 38.912), (121.622, 38.915))
OLD_TOWN_RADIUS_M = 2500.0
CORE = (121.640, 38.912)
FRINGE_FROM_M, FRINGE_FULL_M = 6000.0, 14000.0
# Mean share of stand-alone households: everywhere, plus in old towns, plus on the fringe.
STANDALONE_BASE, STANDALONE_OLD, STANDALONE_FRINGE = 0.06, 0.30, 0.56
STANDALONE_SPREAD = 0.12           # between communities (standard deviation)
MANAGED_NEW, MANAGED_OLD = 0.85, 0.45   # managed share of the compounds that are not 散楼
COMPANY_WORDS = ("海韵", "滨城", "星海", "金石", "港湾", "广厦", "宏泰", "安居", "华府",
                 "新城", "锦绣", "康达", "万家", "鲁迅路")
STANDALONE, OLD_COMPOUND, ESTATE = 0, 1, 2


def describe_buildings(city, seed: int) -> None:
    """Add managed, management_company, standalone and built_year to city.buildings.

    Draws from its own random stream, so the rest of the demo stays as it was."""
    rng = np.random.default_rng([seed, 200])
    areas, b = city.areas, city.buildings
    grid_of = np.array([areas[leaf].parent for leaf in b["area"].tolist()])
    grids, grid_index = np.unique(grid_of, return_inverse=True)
    community = np.array([areas[g].parent for g in grids.tolist()])
    kind = _grid_kinds(areas, community, rng)
    year = np.where(kind == ESTATE, rng.integers(1995, 2023, len(grids)),
                    np.where(kind == OLD_COMPOUND, rng.integers(1960, 2001, len(grids)),
                             rng.integers(1950, 2011, len(grids))))
    company = rng.integers(0, len(COMPANY_WORDS), len(grids))
    k = kind[grid_index]
    b["standalone"] = k == STANDALONE
    b["managed"] = k == ESTATE
    b["management_company"] = [f"大连{COMPANY_WORDS[c]}物业服务有限公司" if m else None
                               for c, m in zip(company[grid_index].tolist(), b["managed"].tolist())]
    b["built_year"] = np.clip(year[grid_index] + rng.integers(-2, 3, len(k)), 1950, 2022)


def _grid_kinds(areas, community: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One kind per grid, drawn from its community's shares."""
    ids, of = np.unique(community, return_inverse=True)
    centres = np.array([[areas[c].geom.centroid.x, areas[c].geom.centroid.y] for c in ids.tolist()])
    old = _old_town(centres)
    reach = (_distance_m(centres, CORE) - FRINGE_FROM_M) / (FRINGE_FULL_M - FRINGE_FROM_M)
    fringe = np.clip(reach, 0, 1)
    mean = STANDALONE_BASE + STANDALONE_OLD * old + STANDALONE_FRINGE * fringe
    standalone = np.clip(mean + rng.normal(0, STANDALONE_SPREAD, len(ids)), 0.0, 0.9)
    managed = (1 - standalone) * (MANAGED_NEW - (MANAGED_NEW - MANAGED_OLD) * old)
    draw = rng.random(len(community))
    return np.where(draw < standalone[of], STANDALONE,
                    np.where(draw < standalone[of] + managed[of], ESTATE, OLD_COMPOUND))


def _old_town(xy: np.ndarray) -> np.ndarray:
    """1 at an old town centre, falling to 0 at OLD_TOWN_RADIUS_M."""
    nearest = np.min([_distance_m(xy, c) for c in OLD_TOWNS], axis=0)
    return np.clip(1 - nearest / OLD_TOWN_RADIUS_M, 0, 1)


def _distance_m(xy: np.ndarray, point: tuple[float, float]) -> np.ndarray:
    mx, my = metres_per_degree(point[1])
    return np.hypot((xy[:, 0] - point[0]) * mx, (xy[:, 1] - point[1]) * my)


def copy_columns(b: dict) -> tuple[tuple[str, ...], list]:
    """The columns this module adds to the building COPY, and their text values."""
    def flag(values):
        return ["t" if v else "f" for v in values.tolist()]
    return (("managed", "management_company", "standalone", "built_year"),
            [flag(b["managed"]), [c or "\\N" for c in b["management_company"]], flag(b["standalone"]),
             [str(y) for y in b["built_year"].tolist()]])
