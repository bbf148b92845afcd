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

from .. import db
from ..accounts import auth
from ..boundaries.save import Operator
from ..errors import GisappError
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


@click.command("import")
@click.argument("layer", type=click.Choice(["facilities", "households", "roads"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--commit", is_flag=True, help="write the rows (default: a dry run)")
@click.option("--replace", is_flag=True, help="roads only: delete every road first (the demo's)")
@with_appcontext
def import_command(layer: str, file: Path, commit: bool, replace: bool):
    """Import facilities, households or roads from GeoJSON, GeoPackage or a (zipped) Shapefile.

    Points are reprojected to WGS 84 from the file's CRS; then the registry's own import
    checks every row (CSV and Excel files go to `gisapp facilities|households import`).
    Roads (lines) are described in gisapp/areas/roads_import.py and docs/basemap.md.
    """
    import json

    from .export_formats import is_geo_file, read_point_rows
    if layer == "roads":
        return _import_roads(file, commit, replace)
    if not is_geo_file(file):
        raise click.ClickException(f"for CSV or Excel use: gisapp {layer} import {file}")
    try:
        rows, columns = read_point_rows(file)
        with db.engine().connect() as conn, conn.begin() as tx:
            report, ignored = _import_rows(conn, layer, rows, commit)
            if not (commit and not report["errors"]):
                tx.rollback()
    except GisappError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(json.dumps({**report, "ignored_columns": ignored}, ensure_ascii=False, indent=1))
    if report["errors"]:
        raise click.ClickException("nothing imported: fix the rows above and run again")
    click.echo("committed" if commit else "dry run: nothing written (add --commit to import)")


def _import_rows(conn, layer: str, rows: list[dict], commit: bool):
    """Hand the rows, cut to the columns the registry knows, to its import."""
    import getpass

    from ..accounts import audit
    from ..accounts.access import Viewer
    operator = Viewer(None, f"cli:{getpass.getuser()}", "city_admin", prefixes=None)
    if layer == "facilities":
        from ..facilities.file_import import OPTIONAL, REQUIRED, import_rows
        known = set(REQUIRED + OPTIONAL)
        report = import_rows(conn, [{k: v for k, v in r.items() if k in known} for r in rows])
    else:
        from ..households.file_import import HEADER_ALIASES, KNOWN, import_households
        rows = [{HEADER_ALIASES.get(k, k): v for k, v in r.items()} for r in rows]
        known = KNOWN
        report = import_households(conn, operator, [{k: v for k, v in r.items() if k in known}
                                                    for r in rows], commit, lambda code: True)
    if commit and not report["errors"]:
        audit.record(conn, operator, f"{layer}.import", None, rows=len(rows), via="cli")
    ignored = sorted({k for r in rows for k in r} - known)
    return report, ignored


def _import_roads(file: Path, commit: bool, replace: bool) -> None:
    """Roads from a GIS file into the base map; rolled back unless --commit."""
    import getpass
    import json

    from ..accounts import audit
    from ..accounts.access import Viewer
    from ..areas.roads_import import import_roads, read_roads
    from .export_formats import is_geo_file
    if not is_geo_file(file):
        raise click.ClickException(f"{file.name}: give a GeoJSON, GeoPackage or (zipped) Shapefile")
    operator = Viewer(None, f"cli:{getpass.getuser()}", "city_admin", prefixes=None)
    try:
        roads, read = read_roads(file)
        with db.engine().connect() as conn, conn.begin() as tx:
            report = import_roads(conn, roads, file.name, replace)
            if commit:
                audit.record(conn, operator, "roads.import", None, rows=len(roads), via="cli")
            else:
                tx.rollback()
    except GisappError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(json.dumps({**read, **report}, ensure_ascii=False, indent=1))
    click.echo("committed" if commit else "dry run: nothing written (add --commit to import)")
