"""The `gisapp` command: Flask's CLI with our app, plus project commands."""
from __future__ import annotations

import sys
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from sqlalchemy import text

from . import db


@click.command("demo")
@click.option("--scale", type=click.Choice(["district", "city"]), default="district",
              show_default=True, help="one district, or Dalian's whole urban core")
@click.option("--seed", type=int, default=2022, show_default=True)
@click.option("--if-empty", is_flag=True, help="do nothing if areas are already loaded")
@with_appcontext
def demo_command(scale: str, seed: int, if_empty: bool):
    """Load the synthetic Dalian demo city into an empty database."""
    from .demo.city import load_demo
    from .demo.users import create_demo_users
    from .consultation import demo as consultation_demo
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
        users = create_demo_users(conn)
        consultation_demo.add_demo_topics(conn, current_app.config["PHOTO_DIR"])
    click.echo(f"demo: loaded scale={scale} in {time.monotonic() - started:.1f}s")
    for key, value in summary.items():
        click.echo(f"  {key}: {value}")
    # Shown this once only: the passwords are stored hashed.
    click.echo("demo users (shown once; change them with `gisapp users reset-password`):")
    for u in users:
        click.echo(f"  {u['username']:<18} {u['password']:<14} {u['role']:<22} {u['area'] or '全市'}")


@click.command("demo-cases")
@click.option("--per-district", type=int, default=10_000, show_default=True)
@click.option("--seed", type=int, default=2022, show_default=True)
@click.option("--if-empty", is_flag=True, help="only if there are no cases yet (scripts/serve)")
@with_appcontext
def demo_cases_command(per_district: int, seed: int, if_empty: bool):
    """Add a year of synthetic cases (about N/365 a day) to every district of the demo city."""
    from .cases.report import now
    from .demo.cases import add_cases
    from .demands import demo as demands_demo
    eng = db.engine()
    started = time.monotonic()
    with eng.begin() as conn:
        if if_empty and conn.execute(text("SELECT EXISTS (SELECT 1 FROM case_file)")).scalar():
            click.echo("demo-cases: cases exist; nothing added")
            return
        districts = conn.execute(text("SELECT code FROM area_current WHERE level = 1 ORDER BY code")).scalars().all()
        for code in districts:
            n = add_cases(conn, code, per_district, seed, now())
            click.echo(f"  {code}: {n} cases")
        click.echo(f"  demands: {demands_demo.add_demo_demands(conn, seed, now())}")
    click.echo(f"demo-cases: done in {time.monotonic() - started:.1f}s")


@click.group("tiles", cls=AppGroup)
def tiles_group():
    """Vector tiles."""


@tiles_group.command("warm")
def tiles_warm_command():
    """Render the wall's overview tiles (districts, streets, case counts; z8-13) ahead of time."""
    from .tiles.warm import warm
    started = time.monotonic()
    n = warm()
    click.echo(f"tiles warm: {n} overview tiles ready in {time.monotonic() - started:.1f}s")


# --- accounts ------------------------------------------------------------------------

@click.group("users", cls=AppGroup)
def users_group():
    """Manage user accounts."""


@users_group.command("add")
@click.argument("username")
@click.option("--role", required=True, help="city_admin, grid_worker, ... (see README)")
@click.option("--name", "display_name", help="display name")
@click.option("--person", "person_id", type=int, help="staff record whose duties set the jurisdiction")
@click.password_option(help="prompted for when not given")
def users_add(username, role, display_name, person_id, password):
    """Create a user."""
    from .accounts import audit, auth
    from .accounts.access import Viewer
    with db.engine().begin() as conn:
        user_id = auth.add_user(conn, username, password, role, display_name, person_id)
        audit.record(conn, Viewer.public(), "user.add", username, role=role, via="cli")
    click.echo(f"user {username} created (id {user_id}, role {role})")


@users_group.command("list")
def users_list():
    """List users."""
    from .accounts import auth
    with db.engine().connect() as conn:
        for u in auth.list_users(conn):
            state = "disabled" if u["disabled"] else "active"
            click.echo(f"{u['username']:<24} {u['role']:<22} person={u['person_id']} {state}")


@users_group.command("disable")
@click.argument("username")
def users_disable(username):
    """Disable a user and end their sessions."""
    from .accounts import audit, auth
    from .accounts.access import Viewer
    with db.engine().begin() as conn:
        auth.set_disabled(conn, username)
        audit.record(conn, Viewer.public(), "user.disable", username, via="cli")
    click.echo(f"user {username} disabled")


@users_group.command("reset-password")
@click.argument("username")
@click.password_option()
def users_reset_password(username, password):
    """Set a new password, unlock the account and end its sessions."""
    from .accounts import audit, auth
    from .accounts.access import Viewer
    with db.engine().begin() as conn:
        auth.reset_password(conn, username, password)
        audit.record(conn, Viewer.public(), "user.reset_password", username, via="cli")
    click.echo(f"password of {username} reset")


@click.group("tokens", cls=AppGroup)
def tokens_group():
    """Manage API tokens for field devices."""


@tokens_group.command("issue")
@click.argument("username")
@click.option("--days", type=int, default=90, show_default=True)
@click.option("--label", default="", help="e.g. the device")
def tokens_issue(username, days, label):
    """Issue a token; it is shown once and stored only hashed."""
    from .accounts import audit, auth
    from .accounts.access import Viewer
    with db.engine().begin() as conn:
        secret = auth.issue_token(conn, username, days, label)
        audit.record(conn, Viewer.public(), "token.issue", username, prefix=secret[:10], via="cli")
    click.echo(secret)
    click.echo(f"(shown once; expires in {days} days; revoke with: gisapp tokens revoke {secret[:10]})",
               err=True)


@tokens_group.command("revoke")
@click.argument("token_prefix_or_id")
def tokens_revoke(token_prefix_or_id):
    """Revoke a token by its id or its first 10 characters."""
    from .accounts import audit, auth
    from .accounts.access import Viewer
    with db.engine().begin() as conn:
        n = auth.revoke_token(conn, token_prefix_or_id)
        audit.record(conn, Viewer.public(), "token.revoke", token_prefix_or_id, count=n, via="cli")
    if not n:
        raise click.ClickException("no live token matches")
    click.echo(f"revoked {n} token(s)")


def register_commands(app: Flask) -> None:
    from .boundaries.cli import boundaries_group
    from .households.cli import households_group
    for command in (demo_command, demo_cases_command, users_group, tokens_group, boundaries_group,
                    households_group, tiles_group):
        app.cli.add_command(command)
    from .ogc.export_cli import export_command, import_command
    app.cli.add_command(export_command)
    app.cli.add_command(import_command)
    from .facilities.file_import import facilities_group
    app.cli.add_command(facilities_group)
    from .boundaries.buildings_import import buildings_group
    app.cli.add_command(buildings_group)


def main() -> None:
    from . import create_app
    cli = FlaskGroup(create_app=lambda: create_app(), add_default_commands=True,
                     add_version_option=False, help="gisapp management commands")
    sys.exit(cli.main())
