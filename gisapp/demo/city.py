"""The synthetic Dalian demo city: a seeded generator and a bulk loader.

Real district names, GB/T 2260 codes and rough positions; everything below the
district (streets, communities, grids, micro-grids, buildings, households, staff,
facilities) is invented, with the sizes the planning documents give (DOMAIN.md).
The same seed always gives the same city.
"""
from __future__ import annotations

import sys
import time

import numpy as np
from sqlalchemy.engine import Engine

from . import buildings as demo_buildings
from . import geometry as geo
from . import names
from . import roads as demo_roads
from .load import write_city
from .model import Area, City, Progress

# Per scale: district code -> (streets, communities). "city" is Dalian's urban core
# (743 communities, ~50 streets); "district" is a reduced 沙河口区 for development.
SCALES: dict[str, dict[str, tuple[int, int]]] = {
    "city": {"210202": (7, 100), "210203": (6, 85), "210204": (8, 120),
             "210211": (16, 240), "210212": (5, 68), "210213": (8, 130)},
    "district": {"210204": (3, 18)},
}
HOUSEHOLDS_PER_COMMUNITY = 2_680_000 / 743  # Dalian: 2.68 M urban households, 743 communities
GRID_HOUSEHOLDS = (200, 300, 250)  # (min, max, target) households per grid
MICROGRID_HOUSEHOLDS = (50, 100, 75)
# Dalian: 8,224 community workers on duty for 2.68 M households (about 11 per community);
# each community is staffed in proportion to its households.
WORKERS_PER_HOUSEHOLD = 8224 / 2_680_000

COLOURS = ("red", "orange", "yellow", "blue", "green")
COLOUR_SHARES = (0.003, 0.010, 0.020, 0.040, 0.080)  # the rest have no colour
# Chance of each tag (columns as names.TAGS) by colour (rows: none, red .. green): the
# most vulnerable classes carry most of the tags.
TAG_RATES = np.array([
    [0.010, 0.005, 0.008, 0.0005, 0.0005, 0.030, 0.001, 0.0003],
    [0.450, 0.350, 0.350, 0.250, 0.050, 0.050, 0.050, 0.030],
    [0.250, 0.350, 0.300, 0.100, 0.100, 0.150, 0.120, 0.080],
    [0.100, 0.350, 0.300, 0.030, 0.030, 0.200, 0.050, 0.020],
    [0.100, 0.100, 0.100, 0.010, 0.020, 0.350, 0.050, 0.010],
    [0.020, 0.020, 0.030, 0.000, 0.000, 0.250, 0.010, 0.000],
])
MEMBER_SHARES = (0.15, 0.30, 0.30, 0.15, 0.10)  # households of 1..5 people

# kind -> (chance per community, capacity range, opening hours). Kinds with chance
# None serve a whole street and are placed per street (see _add_facilities).
FACILITIES = {
    "mediation_room": (1.0, (6, 20), "08:30-17:00"),
    "elderly_canteen": (0.5, (40, 150), "10:30-13:00 16:30-18:30"),
    "elderly_day_care": (0.4, (20, 60), "08:00-17:30"),
    "child_care": (0.3, (20, 80), "15:30-19:00"),
    "clinic": (0.6, (10, 40), "08:00-17:30"),
    "legal_service_point": (0.3, (5, 20), "09:00-16:30"),
    "counselling_room": (0.25, (2, 10), "09:00-17:00"),
    "reasoning_point": (0.5, (5, 30), "08:30-17:00"),
    "grid_parlour": (0.4, (10, 40), "08:30-20:00"),
    "party_mass_centre": (None, (100, 400), "08:30-17:00"),
    "gov_service_station": (None, (30, 120), "08:30-17:00"),
    "rehabilitation": (None, (20, 80), "08:00-17:00"),
    "swap_station": (None, (10, 30), "00:00-24:00"),  # capacity: battery slots
}


class DemoError(RuntimeError):
    """The demo cannot be loaded (unknown scale, or the database is not empty)."""


def load_demo(engine: Engine, scale: str = "district", seed: int = 2022,
              progress: bool = True) -> dict:
    """Generate the demo city at `scale` and bulk-load it into an empty database."""
    if scale not in SCALES:
        raise DemoError(f"unknown demo scale {scale!r}; choose one of {sorted(SCALES)}")
    bar = Progress(progress)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            # Held to commit, so two loaders started at once cannot both see "empty".
            cur.execute("LOCK TABLE area IN EXCLUSIVE MODE")
            cur.execute("SELECT EXISTS (SELECT 1 FROM area)")
            if cur.fetchone()[0]:
                raise DemoError("table area already has rows; the demo loads only into "
                                "an empty database")
        city = build_city(scale, seed, bar)
        write_city(raw, city, bar)
        raw.commit()
        bar.finish()
    except BaseException:
        raw.rollback()
        raise
    finally:
        raw.close()
    return summary(city)


# --- the plan: how many of what, and where -----------------------------------------

def split_total(total: int, n: int, lo: int, hi: int, rng: np.random.Generator) -> np.ndarray:
    """`n` integers in [lo, hi] that add up to `total`, randomly spread."""
    if not n * lo <= total <= n * hi:
        raise ValueError(f"cannot split {total} into {n} parts of {lo}..{hi}")
    parts = np.full(n, lo)
    weights = rng.dirichlet(np.full(n, 2.0))
    while (spare := total - int(parts.sum())) > 0:
        room = hi - parts
        p = weights * room
        parts += np.minimum(rng.multinomial(spare, p / p.sum()), room)
    return parts


def split_by_size(total: int, size: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
    """Split `total` households into units of size[0]..size[1], about size[2] each."""
    lo, hi, target = size
    n = int(np.clip(round(total / target), -(-total // hi), total // lo))
    return split_total(total, n, lo, hi, rng)


def community_households(n: int, rng: np.random.Generator) -> np.ndarray:
    """Households per community: mostly 3,000+, some 1,500-2,500, a few 6,000-8,000."""
    kind = rng.choice(4, size=n, p=(0.70, 0.20, 0.07, 0.03))
    lows = np.array([2600, 1500, 4500, 6000])[kind]
    highs = np.array([5200, 2600, 6000, 8000])[kind]
    typical = np.clip(rng.normal(3700, 550, n), 2600, 5200)
    raw = np.where(kind == 0, typical, rng.uniform(lows, highs))
    # Scale so the average is Dalian's (2.68 M households / 743 communities).
    return np.round(raw * (n * HOUSEHOLDS_PER_COMMUNITY / raw.sum())).astype(int)


def build_city(scale: str, seed: int, bar: Progress) -> City:
    """Generate every row of the demo city in memory (deterministic in `seed`)."""
    rng = np.random.default_rng(seed)
    outlines = geo.district_polygons()
    areas: list[Area] = []
    plan = SCALES[scale]
    total = sum(s for s, _ in plan.values())
    done = iter(range(1, total + 1))
    for code, (n_streets, n_communities) in plan.items():
        _build_district(areas, code, outlines[code], n_streets, n_communities, rng,
                        lambda: bar.show("boundaries", next(done), total))
    bar.show("snapping boundaries", 0)
    _snap(areas)
    city = City(areas)
    for label, step in (("buildings", _add_buildings), ("households", _add_households),
                        ("staff", _add_staff), ("facilities", _add_facilities)):
        bar.show(label, 0)
        step(city, rng)
    demo_buildings.describe_buildings(city, seed)
    _sum_counts(city)
    bar.show("roads", 0)
    city.roads = demo_roads.build_roads(city.areas, seed)
    return city


def _add(areas: list[Area], area: Area) -> int:
    areas.append(area)
    return len(areas) - 1


def _build_district(areas, code, outline, n_streets, n_communities, rng, on_street) -> None:
    """A district, its streets and everything below them, cut from `outline`."""
    name, street_names = names.DISTRICTS[code]
    d = _add(areas, Area(code, 1, name, None, 0, outline, f"{name}人民政府",
                         names.landlines(rng, 1)[0]))
    mean = n_communities / n_streets
    per_street = split_total(n_communities, n_streets, max(1, int(mean * 0.67)),
                             int(np.ceil(mean * 1.33)), rng)
    homes = community_households(n_communities, rng)
    titles = names.community_names(rng, n_communities)
    k = 0
    for i, (geom, n) in enumerate(zip(geo.split_region(outline, n_streets, rng), per_street)):
        street = f"{street_names[i]}街道"
        s = _add(areas, Area(f"{code}{i + 1:03d}", 2, street, d, 0, geom, f"{street}办事处",
                             names.landlines(rng, 1)[0]))
        for j, cgeom in enumerate(geo.split_region(geom, int(n), rng)):
            _build_community(areas, s, j + 1, titles[k], int(homes[k]), cgeom, rng)
            k += 1
        on_street()


def _build_community(areas, parent, seq, name, households, geom, rng) -> None:
    """A community cut into grids of 200-300 and micro-grids of 50-100 households."""
    code = f"{areas[parent].code}{seq:03d}"
    c = _add(areas, Area(code, 3, name, parent, households, geom, f"{name}居委会",
                         names.landlines(rng, 1)[0]))
    grid_homes = split_by_size(households, GRID_HOUSEHOLDS, rng)
    grids = geo.split_region(geom, len(grid_homes), rng)
    for g, (ggeom, gh) in enumerate(zip(grids, grid_homes), start=1):
        gi = _add(areas, Area(f"{code}{g:03d}", 4, f"第{g}网格", c, int(gh), ggeom))
        micro_homes = split_by_size(int(gh), MICROGRID_HOUSEHOLDS, rng)
        micro = geo.split_region(ggeom, len(micro_homes), rng)
        for m, (mgeom, mh) in enumerate(zip(micro, micro_homes), start=1):
            _add(areas, Area(f"{code}{g:03d}{m:03d}", 5, f"第{m}微网格", gi, int(mh), mgeom))


def _snap(areas: list[Area]) -> None:
    """Final boundaries: snapped micro-grids, and every parent the union of its children."""
    leaves = [i for i, a in enumerate(areas) if a.level == 5]
    for i, geom in zip(leaves, geo.snap_leaves([areas[i].geom for i in leaves])):
        areas[i].geom = geom
    for level in (4, 3, 2, 1):
        children: dict[int, list] = {}
        for a in areas:
            if a.level == level + 1:
                children.setdefault(a.parent, []).append(a.geom)
        for parent, geoms in children.items():
            areas[parent].geom = geo.merge(geoms)


# --- what lives inside: buildings, households, staff, facilities --------------------

def _leaves(areas: list[Area]) -> np.ndarray:
    return np.array([i for i, a in enumerate(areas) if a.level == 5])


def _add_buildings(city: City, rng: np.random.Generator) -> None:
    """1-2 buildings per micro-grid, with the micro-grid's households split between them."""
    areas, leaves = city.areas, _leaves(city.areas)
    b = geo.place_buildings([areas[i].geom for i in leaves], rng.random(len(leaves)) < 0.6, rng)
    n, mg = len(b["cx"]), b["microgrid"]
    first = np.r_[True, mg[1:] != mg[:-1]]
    share = np.where(first & np.r_[mg[1:] == mg[:-1], False], rng.uniform(0.35, 0.65, n), 1.0)
    homes = np.array([areas[i].households for i in leaves])[mg]
    b["households"] = np.where(first, np.round(homes * share), 0).astype(int)
    b["households"][~first] = homes[~first] - b["households"][np.flatnonzero(~first) - 1]
    b["area"] = leaves[mg]
    b["units"] = rng.integers(2, 7, n)
    # Enough floors for every household to have a flat (two flats per floor and unit).
    need = -(-b["households"] // (2 * b["units"]))
    b["floors"] = np.maximum(rng.integers(6, 34, n), need)
    b["name"], b["address"] = _building_labels(areas, b["area"], rng)
    city.buildings = b


def _building_labels(areas, leaf_of, rng) -> tuple[list[str], list[str]]:
    """Names numbered per community ("12号楼") and street addresses ("沙河口区黄河路12号")."""
    out_names, out_addresses, seen, roads = [], [], {}, {}
    for leaf in leaf_of.tolist():
        community = areas[areas[leaf].parent].parent
        seen[community] = number = seen.get(community, 0) + 1
        if community not in roads:
            roads[community] = names.ROADS[int(rng.integers(len(names.ROADS)))]
        district = areas[areas[community].parent].parent
        out_names.append(f"{number}号楼")
        out_addresses.append(f"{areas[district].name}{roads[community]}{number}号")
    return out_names, out_addresses


def _add_households(city: City, rng: np.random.Generator) -> None:
    """Every household's building, flat, point, size, colour class and tags (as arrays)."""
    b = city.buildings
    building = np.repeat(np.arange(len(b["cx"])), b["households"])
    nth = np.arange(len(building)) - np.repeat(np.cumsum(b["households"]) - b["households"],
                                               b["households"])
    x, y = geo.points_in_buildings(b, building, rng)
    colour = np.searchsorted(np.cumsum(COLOUR_SHARES), rng.random(len(building)), side="right")
    colour = np.where(colour < 5, colour + 1, 0)  # 1..5 = red..green, 0 = no colour
    tags = _draw_tags(colour, rng)
    members = rng.choice(np.arange(1, 6), size=len(building), p=MEMBER_SHARES)
    members[tags[:, 5]] = 2  # 空巢老人: an elderly couple
    members[tags[:, 0]] = 1  # 独居老人: lives alone
    unit, floor, door = _flats(b, building, nth, rng)
    city.households = dict(building=building, x=x, y=y, colour=colour, tags=tags,
                           members=members, unit=unit, floor=floor, door=door,
                           area=b["area"][building])


def _draw_tags(colour: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A households x TAGS boolean matrix, drawn at each colour's rates."""
    tags = rng.random((len(colour), len(names.TAGS))) < TAG_RATES[colour]
    # Red and orange households are classed for a reason: give each at least one tag.
    for c in (1, 2):
        bare = (colour == c) & ~tags.any(axis=1)
        tags[bare, int(np.argmax(TAG_RATES[c]))] = True
    tags[tags[:, 0], 5] = False  # living alone and empty-nest couple exclude each other
    return tags


def _flats(b: dict, building, nth, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (unit, floor, door) per household of a building, spread over the building."""
    slots = b["units"] * b["floors"] * 2
    primes = np.array([7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47])
    coprime = np.gcd(slots[:, None], primes[None, :]) == 1
    step = primes[np.argmax(coprime, axis=1)]
    offset = rng.integers(0, slots)
    # k -> (k * step + offset) mod slots visits every slot once, since step is coprime.
    slot = (nth * step[building] + offset[building]) % slots[building]
    units = b["units"][building]
    rest = slot // units
    return slot % units + 1, rest // 2 + 1, rest % 2 + 1


def _add_staff(city: City, rng: np.random.Generator) -> None:
    """People and duties: leaders per level, workers per community, helpers per grid."""
    duties = city.duties
    count = [0]

    def hire(area: int, role: str, person: int | None = None) -> int:
        if person is None:
            person, count[0] = count[0], count[0] + 1
        duties.append((person, area, role))
        return person

    workers: dict[int, list[int]] = {}
    for i, a in enumerate(city.areas):
        if a.level == 1:
            hire(i, "district_supervisor")
        elif a.level == 2:
            hire(i, "street_secretary")
        elif a.level == 3:
            hire(i, "community_secretary")
            workers[i] = [hire(i, "community_worker")
                          for _ in range(max(3, round(a.households * WORKERS_PER_HOUSEHOLD)))]
        elif a.level == 4:
            _staff_grid(i, int(a.code[-3:]) - 1, workers[a.parent], hire, rng)
        else:
            hire(i, "info_officer")
    for leaf in city.buildings["area"].tolist():
        hire(leaf, "building_head")
    city.persons = list(zip(names.person_names(rng, count[0]),
                            names.mobile_phones(rng, count[0])))


def _staff_grid(grid: int, seq: int, workers: list[int], hire, rng) -> None:
    """A community worker as the grid's 网格员; every four grids share a 网格长; helpers."""
    hire(grid, "grid_worker", workers[seq % len(workers)])
    hire(grid, "grid_leader", workers[-1 - (seq // 4) % len(workers)])
    for _ in range(int(rng.integers(1, 3))):
        hire(grid, "party_member")
    for _ in range(int(rng.integers(0, 3))):
        hire(grid, "volunteer")


def _add_facilities(city: City, rng: np.random.Generator) -> None:
    """Service facilities: some in every community, the larger ones once per street."""
    communities: dict[int, list[int]] = {}
    for i, a in enumerate(city.areas):
        if a.level == 3:
            communities.setdefault(a.parent, []).append(i)
            for kind, (chance, _, _) in FACILITIES.items():
                if chance is not None and rng.random() < chance:
                    _facility(city, kind, i, a.name.removesuffix("社区"), rng)
    for street, members in communities.items():
        title = city.areas[street].name
        for kind, n in (("party_mass_centre", 1), ("gov_service_station", 1),
                        ("rehabilitation", int(rng.integers(1, 3))),
                        ("swap_station", int(rng.integers(1, 4)))):
            for _ in range(n):
                host = members[int(rng.integers(len(members)))]
                label = title if n == 1 else city.areas[host].name.removesuffix("社区")
                _facility(city, kind, host, label, rng)


def _facility(city: City, kind: str, community: int, label: str, rng) -> None:
    """One facility at a random point of `community`, named after `label`."""
    _, (lo, hi), hours = FACILITIES[kind]
    area = city.areas[community]
    x, y = geo.sample_points(area.geom, 1, rng)[0]
    district = city.areas[city.areas[area.parent].parent].name
    road = names.ROADS[int(rng.integers(len(names.ROADS)))]
    address = f"{district}{road}{int(rng.integers(1, 300))}号"
    phone = None if kind == "swap_station" else names.landlines(rng, 1)[0]
    city.facilities.append((kind, f"{label}{names.FACILITY_NAMES[kind]}", address, phone,
                            int(rng.integers(lo, hi + 1)), hours, x, y))


def _sum_counts(city: City) -> None:
    """Cached counts on every area: its households and its households per colour."""
    n, h = len(city.areas), city.households
    homes = np.bincount(h["area"], minlength=n)
    coloured = h["colour"] > 0
    by_colour = np.bincount(h["area"][coloured] * 5 + h["colour"][coloured] - 1,
                            minlength=5 * n).reshape(n, 5)
    for i in range(n - 1, -1, -1):  # children always come after their parent
        area = city.areas[i]
        area.households, area.colour_counts = int(homes[i]), by_colour[i].tolist()
        if area.parent is not None:
            homes[area.parent] += homes[i]
            by_colour[area.parent] += by_colour[i]


def summary(city: City) -> dict:
    """Counts of what was loaded."""
    levels = [a.level for a in city.areas]
    colour = city.households["colour"]
    return {
        "districts": levels.count(1), "streets": levels.count(2),
        "communities": levels.count(3), "grids": levels.count(4),
        "microgrids": levels.count(5), "buildings": len(city.buildings["cx"]),
        "households": len(colour),
        "coloured_households": {name: int((colour == c).sum())
                                for c, name in enumerate(COLOURS, start=1)},
        "persons": len(city.persons), "duties": len(city.duties),
        "facilities": len(city.facilities), "roads": len(city.roads.get("roads", ())),
    }


# --- loading: COPY in one transaction ------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    """`python -m gisapp.demo.city URL [district|city] [seed]`: load the demo into URL."""
    from ..db import make_engine
    args = sys.argv[1:] if argv is None else argv
    eng = make_engine(args[0])
    started = time.monotonic()
    result = load_demo(eng, args[1] if len(args) > 1 else "district",
                       int(args[2]) if len(args) > 2 else 2022)
    print(f"loaded in {time.monotonic() - started:.1f}s: {result}")


if __name__ == "__main__":
    main()
