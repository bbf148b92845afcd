"""`gisapp buildings import FILE [--commit]`: what the 743 -> 841 review needs to know of each
building (property management, company, stand-alone, year), from CSV or Excel.

A row names an existing building (by name or address, as the households import does) and
sets its attributes; a row with lng and lat (WGS 84) and no such building adds one there,
as a point. Every bad row is reported; nothing is written unless every row is good and
--commit is given (MapIt style). Columns, in Chinese or English:
楼栋/building, 地址/address, 经度/lng, 纬度/lat, 物业/managed (是/否), 物业公司/company,
散楼/standalone (是/否), 建成年份/year.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy.engine import Connection

from .. import db
from ..accounts import audit
from ..accounts.access import Viewer
from ..errors import BadInput, GisappError
from ..households.file_import import _csv_rows, _lookup_buildings, _xlsx_rows
from ..queries import loader

sql = loader(__package__)

ALIASES = {"楼栋": "building", "楼栋名称": "building", "name": "building", "地址": "address",
           "经度": "lng", "纬度": "lat", "lon": "lng", "物业": "managed", "有物业": "managed",
           "物业公司": "company", "management_company": "company", "散楼": "standalone",
           "建成年份": "year", "年份": "year", "built_year": "year"}
KNOWN = {"building", "address", "lng", "lat", "managed", "company", "standalone", "year"}
YES, NO = {"是", "有", "yes", "y", "true", "1"}, {"否", "无", "no", "n", "false", "0", ""}


def read_rows(data: bytes, filename: str) -> list[dict]:
    """Rows keyed by canonical column names, from CSV or .xlsx bytes."""
    raw = _xlsx_rows(data) if filename.lower().endswith((".xlsx", ".xlsm")) else _csv_rows(data)
    if not raw:
        raise BadInput("the file is empty", field="file")
    names = [str(h or "").strip().lstrip("\ufeff") for h in raw[0]]
    header = [ALIASES.get(h, h.lower()) for h in names]
    unknown = [h for h in header if h and h not in KNOWN]
    if unknown:
        raise BadInput(f"unknown columns: {', '.join(unknown)}", field="file")
    return [{h: "" if v is None else str(v).strip() for h, v in zip(header, values) if h}
            for values in raw[1:] if any(v not in (None, "") for v in values)]


def parse_attributes(row: dict) -> dict:
    """The building attributes of one row, checked."""
    managed, standalone = _flag(row.get("managed", ""), "物业"), _flag(row.get("standalone", ""), "散楼")
    company = row.get("company") or None
    if managed and standalone:
        raise BadInput("散楼不能有物业 (a stand-alone building has no property management)")
    if company and not managed:
        raise BadInput("有物业公司的楼栋，物业应为“是” (a company implies managed)")
    if company and len(company) > 100:
        raise BadInput("物业公司名称最多 100 字 (company name too long)")
    year = row.get("year") or None
    if year is not None and not (year.isdigit() and 1800 <= int(year) <= 2100):
        raise BadInput(f"建成年份“{year}”不是 1800-2100 之间的年份 (year must be 1800-2100)")
    return {"managed": managed, "company": company, "standalone": standalone,
            "year": int(year) if year else None}


def _flag(value: str, label: str) -> bool:
    if value.lower() in YES:
        return True
    if value.lower() in NO:
        return False
    raise BadInput(f"{label}应为“是”或“否”，不是“{value}” ({label} must be yes or no)")


def import_buildings(conn: Connection, rows: list[dict], commit: bool) -> dict:
    """Check every row; when all are good and `commit`, update or add the buildings."""
    found = _lookup_buildings(conn, {r[k] for r in rows for k in ("building", "address") if r.get(k)})
    plan, errors = [], []
    for n, row in enumerate(rows, start=2):
        try:
            plan.append((_target(row, found), parse_attributes(row), row))
        except GisappError as exc:
            errors.append({"row": n, "reason": exc.message})
    if commit and not errors:
        for target, attrs, row in plan:
            _write(conn, target, attrs, row)
    return {"rows": len(rows), "valid": len(plan), "errors": errors,
            "updated": sum(1 for t, _, _ in plan if t is not None),
            "added": sum(1 for t, _, _ in plan if t is None), "committed": commit and not errors}


def _target(row: dict, found: dict) -> int | None:
    """The id of the existing building the row names, or None for a new one at lng/lat."""
    for key in ("building", "address"):
        matches = found.get(row.get(key) or "", [])
        if len(matches) > 1:
            raise BadInput(f"楼栋“{row[key]}”不唯一 (the name matches {len(matches)} buildings)")
        if matches:
            return matches[0][0]
    if not row.get("building") or not row.get("lng") or not row.get("lat"):
        raise BadInput("没有找到该楼栋，新楼栋需要名称和经纬度 (no such building; a new one needs a name, lng and lat)")
    try:
        lng, lat = float(row["lng"]), float(row["lat"])
    except ValueError:
        raise BadInput("经纬度必须是数字 (lng and lat must be numbers)") from None
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise BadInput("经纬度超出范围 (lng/lat out of range)")
    return None


def _write(conn: Connection, target: int | None, attrs: dict, row: dict) -> None:
    if target is not None:
        conn.execute(sql("building_attributes"), {**attrs, "id": target})
    else:
        conn.execute(sql("building_add"), {**attrs, "name": row["building"],
                                           "address": row.get("address") or None,
                               "lng": float(row["lng"]), "lat": float(row["lat"])})


@click.group("buildings", cls=AppGroup)
def buildings_group():
    """Buildings: import their property management, stand-alone flag and year."""


@buildings_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--commit", is_flag=True, help="write the rows (default: check and report only)")
def buildings_import(file: Path, commit: bool):
    """Import building attributes from CSV or .xlsx; nothing is written if any row is bad."""
    viewer = Viewer(None, "cli", "city_admin", None, None)
    try:
        rows = read_rows(file.read_bytes(), file.name)
        with db.engine().begin() as conn:
            report = import_buildings(conn, rows, commit)
            if report["committed"]:
                audit.record(conn, viewer, "building.import", file.name, rows=report["rows"],
                             updated=report["updated"], added=report["added"], via="cli")
    except GisappError as exc:
        raise click.ClickException(exc.message) from None
    for err in report["errors"]:
        click.echo(f"row {err['row']}: {err['reason']}", err=True)
    click.echo(f"{report['rows']} rows: {report['updated']} to update, {report['added']} to add, "
               f"{len(report['errors'])} bad")
    if report["errors"]:
        raise click.ClickException("nothing imported: fix the rows above and run again")
    click.echo("imported" if report["committed"] else "dry run: nothing written (add --commit to import)")
