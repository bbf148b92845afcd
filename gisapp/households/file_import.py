"""Household import from CSV or Excel: every bad row reported, all or nothing.

A row is placed by its building (looked up by name or address) or by its coordinates
(lng, lat in any crs that locate accepts). Row numbers are the spreadsheet's: the
header is row 1. A dry run (the default) checks every row and reports; a commit
inserts every row in the caller's one transaction, and only when no row is bad.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Callable

from sqlalchemy.engine import Connection

from ..accounts.access import Viewer
from ..errors import BadInput, GisappError
from ..queries import loader
from ..web.uploads import decode_text
from .edit import adjust_counts, clean_fields, insert_household, parse_location

sql = loader(__package__)

MAX_ROWS = 50_000
HEADER_ALIASES = {
    "楼栋": "building", "楼栋名称": "building", "地址": "building", "address": "building",
    "单元": "unit", "房号": "room", "户号": "room", "户主": "head_name", "户主姓名": "head_name",
    "head": "head_name", "电话": "phone", "联系电话": "phone", "人数": "members",
    "家庭人数": "members", "标签": "tags", "颜色": "colour", "color": "colour", "等级": "colour",
    "经度": "lng", "纬度": "lat", "坐标系": "crs", "lon": "lng", "longitude": "lng",
    "latitude": "lat",
}
KNOWN = {"building", "unit", "room", "head_name", "phone", "members", "tags", "colour", "lng",
         "lat", "crs"}


def read_table(data: bytes, filename: str) -> list[dict]:
    """Rows (dicts keyed by canonical column names) from CSV or .xlsx bytes."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        rows = xlsx_rows(data)
    elif name.endswith((".csv", ".txt")):
        rows = csv_rows(data)
    else:
        raise BadInput("file must be .csv or .xlsx", field="file")
    if not rows:
        raise BadInput("the file is empty", field="file")
    header = [_canonical(h) for h in rows[0]]
    unknown = [h for h in header if h and h not in KNOWN]
    if unknown:
        raise BadInput(f"unknown columns: {', '.join(unknown)}", field="file")
    if "building" not in header and not {"lng", "lat"} <= set(header):
        raise BadInput("the file needs a building column or lng and lat columns", field="file")
    if len(rows) - 1 > MAX_ROWS:
        raise BadInput(f"at most {MAX_ROWS} rows per file", field="file")
    out = []
    for values in rows[1:]:
        row = {h: _cell(v) for h, v in zip(header, values) if h}
        out.append(row)
    return out


def _canonical(h) -> str:
    key = str(h or "").strip().lstrip("\ufeff")
    return HEADER_ALIASES.get(key, HEADER_ALIASES.get(key.lower(), key.lower()))


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def csv_rows(data: bytes) -> list[list]:
    """The rows of an uploaded CSV file (UTF-8 or GB18030), as lists of cells."""
    textdata = decode_text(data, "CSV must be UTF-8 or GB18030 text", field="file")
    try:        # newline="": the csv module reads the line ends itself (a lone \r too)
        return [r for r in csv.reader(io.StringIO(textdata, newline=""))]
    except csv.Error as exc:
        raise BadInput(f"CSV 文件无法读取 (unreadable CSV: {exc})", field="file") from None


def xlsx_rows(data: bytes) -> list[list]:
    """The rows of the first sheet of an uploaded .xlsx file, as lists of cells."""
    from openpyxl import load_workbook
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:        # openpyxl raises many kinds for a damaged file
        raise BadInput(f"not a readable .xlsx file ({type(exc).__name__})", field="file") from None
    try:
        return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()


def check_rows(
    conn: Connection, rows: list[dict], allowed: Callable[[str], bool]
) -> tuple[list, list]:
    """(placed rows, errors): every row validated, located and checked against `allowed`."""
    errors, parsed = [], []
    buildings = lookup_buildings(conn, {r["building"] for r in rows if r.get("building")})
    for n, row in enumerate(rows, start=2):
        if not any(row.values()):
            continue                                  # blank lines are not rows
        try:
            parsed.append((n, *_parse_row(row, buildings)))
        except GisappError as exc:
            errors.append({"row": n, "reason": exc.message})
    placed = _locate(conn, parsed, errors, allowed)
    errors.sort(key=lambda e: e["row"])
    return placed, errors


def lookup_buildings(conn: Connection, names: set[str]) -> dict:
    """Building ids by name or address, for the rows that place a household by building."""
    found: dict[str, set[int]] = {}
    for r in conn.execute(sql("household_import_buildings"), {"names": sorted(names)}):
        found.setdefault(r.key, set()).add(r.id)
    ids = sorted({i for s in found.values() for i in s})
    points = {
        r.id: (r.lng, r.lat)
        for r in conn.execute(sql("household_import_building_points"), {"ids": ids})
    }
    return {k: [(i, points[i]) for i in sorted(v)] for k, v in found.items()}


def _parse_row(row: dict, buildings: dict) -> tuple[dict, float, float]:
    fields = clean_fields({k: v for k, v in row.items() if k in
                           ("unit", "room", "head_name", "phone", "members", "tags", "colour")},
                          partial=False)
    if row.get("lng") or row.get("lat"):
        lng, lat = parse_location({"lng": row.get("lng"), "lat": row.get("lat"),
                                   "crs": row.get("crs") or None})
        if row.get("building"):
            fields["building_id"] = _building(row["building"], buildings)[0]
        return fields, lng, lat
    if not row.get("building"):
        raise BadInput("the row has neither a building nor lng/lat")
    building_id, (lng, lat) = _building(row["building"], buildings)
    fields["building_id"] = building_id
    return fields, lng, lat


def _building(name: str, buildings: dict):
    matches = buildings.get(name, [])
    if not matches:
        raise BadInput(f"没有找到楼栋“{name}” (no building with this name or address)")
    if len(matches) > 1:
        raise BadInput(
            f"楼栋“{name}”不唯一，请用坐标 (the building name matches {len(matches)} buildings)"
        )
    return matches[0]


def _locate(conn: Connection, parsed: list, errors: list, allowed) -> list:
    if not parsed:
        return []
    leaves = conn.execute(
        sql("household_import_leaves"), {"xs": [p[2] for p in parsed], "ys": [p[3] for p in parsed]}
    ).all()
    placed = []
    for (n, fields, lng, lat), leaf in zip(parsed, sorted(leaves, key=lambda r: r.i)):
        if leaf.id is None:
            errors.append(
                {"row": n, "reason": "位置不在任何网格内 (the location lies outside every area)"}
            )
        elif not allowed(leaf.code):
            errors.append(
                {"row": n, "reason": f"区域 {leaf.code} 不在您的职责范围内 (outside your duties)"}
            )
        else:
            placed.append({"row": n, "fields": fields, "lng": lng, "lat": lat,
                           "area_id": leaf.id, "area_code": leaf.code})
    return placed


def import_households(conn: Connection, viewer: Viewer, rows: list[dict], commit: bool,
                      allowed: Callable[[str], bool]) -> dict:
    """Check every row; with commit and no bad row, insert them all (caller's transaction)."""
    placed, errors = check_rows(conn, rows, allowed)
    imported = 0
    if commit and not errors and placed:
        deltas: Counter = Counter()
        for p in placed:
            insert_household(conn, viewer, p["fields"], p["lng"], p["lat"], p["area_id"], "导入",
                             counts=False)
            deltas[(p["area_id"], p["fields"].get("colour"))] += 1
        adjust_counts(conn, deltas)         # once per area and colour, not once per row
        imported = len(placed)
    by_area = Counter(p["area_code"] for p in placed)
    return {"rows": len(placed) + len(errors), "valid": len(placed), "errors": errors,
            "committed": bool(commit and not errors and placed), "imported": imported,
            "by_area": dict(sorted(by_area.items()))}
