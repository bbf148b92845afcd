"""`gisapp facilities import FILE [--commit]`: facilities from a CSV file, all or nothing.

Columns (header row, any order): kind (the key or the Chinese name), name, address, phone,
capacity, opening_hours, is_public (是/否, true/false, 1/0; empty means public), lng, lat
and optionally crs (wgs84, gcj02, bd09, cgcs2000). UTF-8 (with or without BOM) or GB18030,
as spreadsheets in China save it. Every row is checked with the same rules as the API;
any error in any row writes nothing. Without --commit the whole import runs in a
transaction that is rolled back (MapIt's habit), so the report is exactly what a commit
would do.
"""
from __future__ import annotations

import csv
import getpass
import io
import json
from collections import Counter
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy.engine import Connection

from .. import db
from ..accounts import audit
from ..accounts.access import Viewer
from ..errors import BadInput
from ..queries import loader
from ..web.uploads import decode_text
from .registry import kinds, parse_facility, save_facility

sql = loader(__package__)

REQUIRED = ("kind", "name", "lng", "lat")
OPTIONAL = ("address", "phone", "capacity", "opening_hours", "is_public", "crs")
TRUE, FALSE = {"", "是", "true", "1", "yes", "y"}, {"否", "false", "0", "no", "n"}
MAX_ROWS = 100_000
DUPLICATE_METRES = 10


def read_csv(path: Path) -> list[dict]:
    """The rows of a CSV file as dicts, decoded as UTF-8 or else GB18030."""
    content = decode_text(path.read_bytes(), "the file is neither UTF-8 nor GB18030 text")
    reader = csv.DictReader(io.StringIO(content, newline=""))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise BadInput(f"CSV 文件无法读取 (unreadable CSV: {exc})") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise BadInput(f"the header lacks column(s): {', '.join(missing)}")
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if unknown:
        raise BadInput(f"unknown column(s): {', '.join(unknown)}")
    reader.fieldnames = header
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise BadInput(f"CSV 文件无法读取 (unreadable CSV: {exc})") from None
    if len(rows) > MAX_ROWS:
        raise BadInput(f"{len(rows)} rows; at most {MAX_ROWS} per file")
    return rows


def row_body(row: dict, kind_keys: dict[str, str]) -> dict:
    """One CSV row as the JSON body the API takes (types converted, kinds by name too)."""
    if None in row:
        raise BadInput("the row has more cells than the header")
    cell = {k: (v or "").strip() for k, v in row.items()}
    body = {"kind": kind_keys.get(cell["kind"], cell["kind"]), "name": cell["name"],
            "location": {"lng": cell["lng"], "lat": cell["lat"], "crs": cell.get("crs") or None}}
    for field in ("address", "phone", "opening_hours"):
        body[field] = cell.get(field) or None
    capacity = cell.get("capacity", "")
    if capacity:
        if not capacity.isdigit():
            raise BadInput("capacity must be a whole number", field="capacity")
        body["capacity"] = int(capacity)
    flag = cell.get("is_public", "").lower()
    if flag not in TRUE | FALSE:
        raise BadInput("is_public must be 是 or 否 (or true/false)", field="is_public")
    body["is_public"] = flag in TRUE
    return body


def import_rows(conn: Connection, rows: list[dict]) -> dict:
    """Check and insert every row in the caller's transaction; a report with per-row errors."""
    known = kinds(conn)
    kind_keys = {name: key for key, name in known.items()}
    errors, written, by_kind, outside = [], [], Counter(), 0
    for number, row in enumerate(rows, start=2):          # row 1 is the header
        try:
            data = parse_facility(conn, row_body(row, kind_keys))
            if conn.execute(
                sql("facility_import_duplicate"), {**data, "m": DUPLICATE_METRES}
            ).first():
                raise BadInput(f"already registered: a {data['kind']} named {data['name']} "
                               f"within {DUPLICATE_METRES} m", field="name")
        except BadInput as exc:
            errors.append(
                {"row": number, "field": exc.details.get("field"), "message": exc.message}
            )
            continue
        written.append(save_facility(conn, None, data))
        by_kind[data["kind"]] += 1
    if written:
        outside = conn.execute(sql("facility_import_outside"), {"ids": written}).scalar()
    return {"rows": len(rows), "valid": len(rows) - len(errors), "errors": errors,
            "by_kind": dict(by_kind), "outside_all_areas": outside}


@click.group("facilities", cls=AppGroup)
def facilities_group():
    """Service facilities."""


@facilities_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--commit", is_flag=True, help="write the facilities (default: a dry run)")
def import_command(file: Path, commit: bool):
    """Register the facilities of a CSV FILE; any bad row writes nothing."""
    operator = Viewer(None, f"cli:{getpass.getuser()}", "city_admin", prefixes=None)
    conn = db.engine().connect()
    try:
        with conn.begin() as tx:
            report = import_rows(conn, read_csv(file))
            ok = not report["errors"]
            if ok and commit:
                audit.record(conn, operator, "facility.import", file.name,
                             count=report["valid"], by_kind=report["by_kind"], via="cli")
            else:
                tx.rollback()
    except BadInput as exc:
        raise click.ClickException(f"{file.name}: {exc.message}; nothing was written") from None
    finally:
        conn.close()
    click.echo(json.dumps({"file": file.name, **report}, ensure_ascii=False, indent=1))
    if not ok:
        raise click.ClickException(
            f"{len(report['errors'])} row(s) have errors; nothing was written"
        )
    click.echo(f"committed {report['valid']} facilities" if commit
               else "dry run: nothing written (use --commit to write)")
