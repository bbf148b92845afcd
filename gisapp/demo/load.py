"""Writing a generated demo city into PostGIS: COPY in chunks, bulk indexes dropped and
rebuilt around the load, sequences moved past the ids the generator chose."""
from __future__ import annotations

import io

import numpy as np
import shapely
from psycopg2 import sql as pgsql

from . import buildings as demo_buildings
from . import names
from . import roads as demo_roads
from .model import City, Progress

AREA_COLUMNS = ("id", "code", "level", "parent_id", "name", "office_name", "office_phone",
                "households", "colour_counts")
HOUSEHOLD_COLUMNS = ("building_id", "unit", "room", "head_name", "phone", "members",
                     "colour", "tags", "geom", "area_id")
VALID_FROM = "2022-01-01 00:00+08"  # the demo boundaries' first version
STARTS_ON = "2022-01-01"  # the demo staff's duties
CHUNK = 200_000  # households per COPY statement: bounds the memory used for text
NULL = "\\N"


def write_city(raw, city: City, bar: Progress) -> None:
    """COPY every row of `city` through the psycopg2 connection `raw` (not committed)."""
    with raw.cursor() as cur:
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        base = {t: _max_id(cur, t) for t in ("area", "building", "person", "facility")}
        saved = _drop_bulk_indexes(cur, ("household", "building"))
        bar.show("loading areas", 0)
        _copy_areas(cur, city, base["area"])
        _copy_buildings(cur, city, base)
        _copy_households(cur, city, base, bar)
        bar.show("staff, facilities", 0)
        _copy_staff(cur, city, base)
        cur.execute("ANALYZE area; ANALYZE area_version")  # plans for locate_leaf below
        _copy_facilities(cur, city, base["facility"])
        demo_roads.copy_roads(cur, city.roads, _copy, _ewkb)
        bar.show("indexes, keys", 0)
        for statement in saved:
            cur.execute(statement)
        bar.show("analyze", 0)
        for table in ("area", "building", "person", "facility", "household", "duty",
                      "area_version"):
            _reset_sequence(cur, table)
            cur.execute(pgsql.SQL("ANALYZE {}").format(pgsql.Identifier(table)))
        bar.show("done", 1)


def _max_id(cur, table: str) -> int:
    """The largest id in `table` (0 when empty): loaded ids start after it."""
    cur.execute(pgsql.SQL("SELECT coalesce(max(id), 0) FROM {}").format(pgsql.Identifier(table)))
    return int(cur.fetchone()[0])


def _reset_sequence(cur, table: str) -> None:
    """Move the id sequence past the ids this loader chose itself."""
    cur.execute(pgsql.SQL("SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                          "greatest((SELECT max(id) FROM {}), 1))").format(pgsql.Identifier(table)),
                (table,))


def _drop_bulk_indexes(cur, tables: tuple[str, ...]) -> list[str]:
    """Drop the plain indexes and foreign keys of the big tables; return the DDL to restore them.

    Building an index once after COPY, and checking a foreign key with one join, is
    much faster than doing both row by row (PostgreSQL's "Populating a Database").
    Indexes behind unique or primary-key constraints stay.
    """
    cur.execute(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), "
        "       pg_get_indexdef(i.indexrelid) "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE i.indrelid = ANY (%s::regclass[]) "
        "  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
        "ORDER BY 1", (list(tables),))
    indexes = cur.fetchall()
    cur.execute(
        "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY (%s::regclass[]) "
        "ORDER BY 1, 2", (list(tables),))
    keys = cur.fetchall()
    # The names come quoted from the catalog (quote_ident, regclass), not from input.
    for table, name, _ in keys:
        cur.execute(pgsql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
            pgsql.SQL(table), pgsql.SQL(name)))
    for name, _ in indexes:
        cur.execute(pgsql.SQL("DROP INDEX {}").format(pgsql.SQL(name)))
    return ([ddl for _, ddl in indexes]
            + [pgsql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                pgsql.SQL(table), pgsql.SQL(name), pgsql.SQL(ddl)) for table, name, ddl in keys])


def _copy(cur, table: str, columns: tuple[str, ...], values: list) -> None:
    """COPY rows given column-wise (lists of text, NULL for missing) into `table`."""
    text = "\n".join(map("\t".join, zip(*values)))
    if text:  # `table` and `columns` are literals of this module, never input
        statement = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
            pgsql.Identifier(table), pgsql.SQL(", ").join(map(pgsql.Identifier, columns)))
        cur.copy_expert(statement.as_string(cur), io.StringIO(text + "\n"))


def _text(values) -> list[str]:
    """COPY text for each value: NULL for None, the plain string otherwise."""
    if isinstance(values, np.ndarray):
        values = values.tolist()
    return [NULL if v is None else str(v) for v in values]


def _ewkb(geoms) -> list[str]:
    """Hex EWKB with SRID 4326: what PostGIS parses fastest from COPY text."""
    geoms = shapely.set_srid(np.asarray(geoms, dtype=object), 4326)
    return shapely.to_wkb(geoms, hex=True, include_srid=True).tolist()


def _ewkb_points(x: np.ndarray, y: np.ndarray) -> list[str]:
    """Hex EWKB points with SRID 4326, packed by numpy (a shapely object per row is slow)."""
    rec = np.empty(len(x), dtype=[("order", "u1"), ("type", "<u4"), ("srid", "<u4"),
                                  ("x", "<f8"), ("y", "<f8")])
    rec["order"], rec["type"], rec["srid"] = 1, 0x20000001, 4326  # little-endian, point+SRID
    rec["x"], rec["y"] = x, y
    hexed = rec.tobytes().hex()
    width = 2 * rec.itemsize
    return [hexed[i:i + width] for i in range(0, len(hexed), width)]


def _copy_areas(cur, city: City, base: int) -> None:
    """Areas level by level (the code trigger looks up each parent), then version 1 of each."""
    areas = city.areas
    for level in range(1, 6):
        rows = [(i, a) for i, a in enumerate(areas) if a.level == level]
        _copy(cur, "area", AREA_COLUMNS, [
            _text(base + i + 1 for i, _ in rows), [a.code for _, a in rows],
            [str(level)] * len(rows),
            _text(None if a.parent is None else base + a.parent + 1 for _, a in rows),
            [a.name for _, a in rows], _text(a.office_name for _, a in rows),
            _text(a.office_phone for _, a in rows), _text(a.households for _, a in rows),
            ["{%s}" % ",".join(map(str, a.colour_counts)) for _, a in rows]])
    n = len(areas)
    _copy(cur, "area_version", ("area_id", "version", "geom", "valid_from", "author", "reason"),
          [_text(range(base + 1, base + n + 1)), ["1"] * n, _ewkb([a.geom for a in areas]),
           [VALID_FROM] * n, ["demo"] * n, ["示范数据初始化"] * n])


def _copy_buildings(cur, city: City, base: dict) -> None:
    b = city.buildings
    n = len(b["cx"])
    more, values = demo_buildings.copy_columns(b)
    _copy(cur, "building", ("id", "name", "address", "units", "floors", "geom", "area_id") + more, [
        _text(np.arange(n) + base["building"] + 1), b["name"], b["address"], _text(b["units"]),
        _text(b["floors"]), _ewkb(b["geom"]), _text(b["area"] + base["area"] + 1)] + values)


def _copy_households(cur, city: City, base: dict, bar: Progress) -> None:
    """Households in chunks; names and phones are drawn per chunk to bound memory."""
    h = city.households
    rng = np.random.default_rng(len(h["x"]))  # its own stream: chunking never shifts others
    tag_text = np.array(["{%s}" % ",".join(t for k, t in enumerate(names.TAGS) if m >> k & 1)
                         for m in range(1 << len(names.TAGS))], dtype=object)
    tag_mask = h["tags"] @ (1 << np.arange(len(names.TAGS)))
    colour_text = np.array([NULL, "1", "2", "3", "4", "5"], dtype=object)
    total = len(h["x"])
    for start in range(0, total, CHUNK):
        s = slice(start, min(start + CHUNK, total))
        rooms = [f"{f}{d:02d}" for f, d in zip(h["floor"][s].tolist(), h["door"][s].tolist())]
        _copy(cur, "household", HOUSEHOLD_COLUMNS, [
            _text(h["building"][s] + base["building"] + 1), _text(h["unit"][s]), rooms,
            names.person_names(rng, len(rooms)), names.mobile_phones(rng, len(rooms)),
            _text(h["members"][s]), colour_text[h["colour"][s]].tolist(),
            tag_text[tag_mask[s]].tolist(), _ewkb_points(h["x"][s], h["y"][s]),
            _text(h["area"][s] + base["area"] + 1)])
        bar.show("loading households", s.stop, total)


def _copy_staff(cur, city: City, base: dict) -> None:
    n = len(city.persons)
    _copy(cur, "person", ("id", "name", "phone"), [
        _text(range(base["person"] + 1, base["person"] + n + 1)),
        [p[0] for p in city.persons], [p[1] for p in city.persons]])
    _copy(cur, "duty", ("person_id", "area_id", "role", "starts_on"), [
        _text(base["person"] + p + 1 for p, _, _ in city.duties),
        _text(base["area"] + a + 1 for _, a, _ in city.duties),
        [r for _, _, r in city.duties], [STARTS_ON] * len(city.duties)])


def _copy_facilities(cur, city: City, base: int) -> None:
    """Facilities, then each one's leaf area by the locate rule, in SQL."""
    rows, first = city.facilities, base + 1
    _copy(cur, "facility", ("id", "kind", "name", "address", "phone", "capacity",
                            "opening_hours", "geom"), [
        _text(range(first, first + len(rows))), *[_text(r[k] for r in rows) for k in range(6)],
        _ewkb_points(np.array([r[6] for r in rows]), np.array([r[7] for r in rows]))])
    cur.execute("UPDATE facility SET area_id = locate_leaf(geom) WHERE id >= %s", (first,))
