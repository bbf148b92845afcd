"""`gisapp export LAYER --format F FILE`: a layer to a file from the command line.

By default the export runs with a city administrator's rights (areas, facilities, all
cases; no household personal data, as for the city admin on the web). `--as USER`
exports exactly what that user may see, households included when they have a duty.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import text

from . import auth, db
from .boundaries import Operator
from .errors import GisappError
from .export import FORMATS, LAYERS, layer_rows, write_layer


def _viewer(conn, username: str | None):
    if username is None:
        import getpass
        return Operator(user_id=None, username=f"cli:{getpass.getuser()}", role="city_admin",
                        prefixes=None)
    user_id = conn.execute(text("SELECT id FROM app_user WHERE username = :u AND NOT disabled"),
                           {"u": username}).scalar()
    viewer = auth.viewer_for_user(conn, user_id) if user_id else None
    if viewer is None:
        raise click.ClickException(f"no active user {username!r}")
    return viewer


@click.command("export")
@click.argument("layer", type=click.Choice(LAYERS))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default=None,
              help="default: from FILE's extension")
@click.option("--area", default=None, help="only what lies in the area with this code")
@click.option("--as", "username", default=None, help="export with this user's rights")
@with_appcontext
def export_command(layer: str, file: Path, fmt: str | None, area: str | None, username: str | None):
    """Write LAYER (area levels, facilities, cases, households) to FILE."""
    fmt = fmt or {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".shp": "shp",
                  ".csv": "csv"}.get(file.suffix.lower())
    if fmt is None:
        raise click.ClickException("give --format (geojson, gpkg, shp, csv)")
    try:
        with db.engine().begin() as conn:
            data = layer_rows(conn, _viewer(conn, username), layer, area)
        if file.exists():
            file.unlink()
        write_layer(data, layer, fmt, file)
    except GisappError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"exported {len(data['rows'])} {layer} to {file}")
