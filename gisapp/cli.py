"""The `gisapp` command: Flask's CLI with our app, plus project commands."""
from __future__ import annotations

import sys
import time

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup
from sqlalchemy import text

from . import db


@click.command("demo")
@click.option("--scale", type=click.Choice(["district", "city"]), default="district",
              show_default=True, help="one district, or Dalian's whole urban core")
@click.option("--seed", type=int, default=2022, show_default=True)
@click.option("--if-empty", is_flag=True, help="do nothing if areas are already loaded")
def demo_command(scale: str, seed: int, if_empty: bool):
    """Load the synthetic Dalian demo city into an empty database."""
    from .demo import load_demo
    eng = db.engine()
    db.apply_schema(eng, current_app.config["SQL_DIR"])
    with eng.connect() as conn:
        loaded = conn.execute(text("SELECT count(*) FROM area")).scalar()
    if loaded and if_empty:
        click.echo(f"demo: {loaded} areas already loaded; nothing to do")
        return
    started = time.monotonic()
    summary = load_demo(eng, scale=scale, seed=seed)
    with eng.begin() as conn:
        conn.execute(text("SELECT refresh_area_counts()"))
    click.echo(f"demo: loaded scale={scale} in {time.monotonic() - started:.1f}s")
    for key, value in summary.items():
        click.echo(f"  {key}: {value}")


def register_commands(app: Flask) -> None:
    app.cli.add_command(demo_command)


def main() -> None:
    from . import create_app
    cli = FlaskGroup(create_app=lambda: create_app(), add_default_commands=True,
                     add_version_option=False, help="gisapp management commands")
    sys.exit(cli.main())
