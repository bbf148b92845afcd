"""`gisapp boundaries export|import`: boundary files from the command line.

Imports are dry runs unless --commit (MapIt's habit): the whole save runs, validation
and all, and is rolled back, so the report shows exactly what a commit would do.
"""
from __future__ import annotations

import getpass
import json
from pathlib import Path

import click
from flask.cli import AppGroup

from .. import db
from ..errors import GisappError
from .files import FORMATS, export_children, import_children, read_features, write_features
from .save import Operator


def operator() -> Operator:
    """The person at the command line, recorded as the author of what they change."""
    return Operator(user_id=None, username=f"cli:{getpass.getuser()}", role="city_admin",
                    prefixes=None)


@click.group("boundaries", cls=AppGroup)
def boundaries_group():
    """Export and import the boundaries of an area's children."""


@boundaries_group.command("export")
@click.option("--parent", "parent_code", required=True, help="code of the area whose children to export")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="geojson", show_default=True)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_command(parent_code: str, fmt: str, file: Path):
    """Write the current children of an area (code, name, version) to FILE."""
    try:
        with db.engine().connect() as conn:
            fc = export_children(conn, parent_code)
        write_features(fc, file, fmt)
    except GisappError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"exported {len(fc['features'])} areas under {parent_code} to {file}")


@boundaries_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--parent", "parent_code", required=True, help="code of the area whose children FILE holds")
@click.option("--reason", default=None, help="why (recorded with every new version)")
@click.option("--commit", is_flag=True, help="write the change (default: a dry run)")
def import_command(file: Path, parent_code: str, reason: str | None, commit: bool):
    """Replace the children of an area with the features of FILE (code, name, version)."""
    conn = db.engine().connect()
    try:
        with conn.begin() as tx:
            summary = import_children(conn, operator(), parent_code, read_features(file),
                                      reason or f"导入 {file.name}")
            if not commit:
                tx.rollback()
    except GisappError as exc:
        detail = {k: v for k, v in exc.details.items() if k != "geometry"}
        click.echo(json.dumps({"error": exc.code, "message": exc.message, **detail},
                              ensure_ascii=False, default=str), err=True)
        raise click.ClickException("import refused; nothing was written") from None
    finally:
        conn.close()
    click.echo(json.dumps(summary, ensure_ascii=False, indent=1, default=str))
    click.echo("committed" if commit else "dry run: nothing written (use --commit to write)")
