"""`gisapp households import FILE [--commit]`: a dry run unless --commit (MapIt style)."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from .. import db
from ..accounts import audit
from ..accounts.access import Viewer
from ..errors import GisappError


@click.group("households", cls=AppGroup)
def households_group():
    """Five-colour households: import."""


@households_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--commit", is_flag=True, help="write the rows (default: check and report only)")
def households_import(file: Path, commit: bool):
    """Import households from CSV or .xlsx; nothing is written if any row is bad."""
    from .file_import import import_households, read_table
    viewer = Viewer(None, "cli", "city_admin", None, None)
    try:
        rows = read_table(file.read_bytes(), file.name)
        with db.engine().begin() as conn:
            report = import_households(conn, viewer, rows, commit, lambda code: True)
            if report["committed"]:
                audit.record(conn, viewer, "household.import", file.name, rows=report["rows"],
                             imported=report["imported"], via="cli")
    except GisappError as exc:
        raise click.ClickException(exc.message) from None
    for err in report["errors"]:
        click.echo(f"row {err['row']}: {err['reason']}", err=True)
    click.echo(f"{report['rows']} rows, {report['valid']} valid, {len(report['errors'])} bad")
    for code, n in report["by_area"].items():
        click.echo(f"  {code}: {n}")
    if report["errors"]:
        raise click.ClickException("nothing imported: fix the rows above and run again")
    if report["committed"]:
        click.echo(f"imported {report['imported']} households")
    else:
        click.echo("dry run: nothing written (add --commit to import)")


@households_group.command("demo-visits")
@click.option("--days", type=int, default=30, show_default=True, help="days of history")
@click.option("--kept", type=float, default=0.85, show_default=True,
              help="share of the visits the cadence asks for that took place")
@click.option("--seed", type=int, default=2022, show_default=True)
def households_demo_visits(days: int, kept: float, seed: int):
    """Add synthetic visit history for the demo city's coloured households."""
    import time

    from sqlalchemy import text

    from ..queries import loader
    sql = loader(__package__)
    if not 1 <= days <= 366 or not 0 <= kept <= 1:
        raise click.ClickException("--days must be 1..366 and --kept 0..1")
    started = time.monotonic()
    with db.engine().begin() as conn:
        conn.execute(text("SELECT setseed(:s)"), {"s": (seed % 1000) / 1000})
        n = conn.execute(sql("demo_visits"), {"days": days, "kept": kept}).rowcount
    click.echo(f"demo-visits: {n} visits over {days} days in {time.monotonic() - started:.1f}s")
