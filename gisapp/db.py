"""The database: one engine per app, schema migrations from sql/, and the init-db command."""
from __future__ import annotations

import hashlib
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine


def make_engine(url: str, pool_size: int = 5) -> Engine:
    """An engine whose connections fail fast when the database is unreachable."""
    return create_engine(
        psycopg2_url(url),
        pool_size=pool_size,
        max_overflow=pool_size * 2,
        pool_pre_ping=True,
        pool_timeout=5,
        connect_args={"connect_timeout": 3, "application_name": "gisapp"},
    )


def psycopg2_url(url: str) -> str:
    """Pin the driver to psycopg2 (SQLAlchemy 2.1 would pick psycopg 3 for postgresql://)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


def engine() -> Engine:
    return current_app.extensions["gisapp_engine"]


def replica_engine() -> Engine:
    """The engine for reads a replica may answer: the read URL's, else the primary's."""
    return current_app.extensions.get("gisapp_read_engine") or engine()


def read() -> Connection:
    """A connection for reads that must see this client's own writes (the primary)."""
    return engine().connect()


def read_replica() -> Connection:
    """A connection for reads that may lag the primary by a moment: lookups, tiles,
    lists and statistics. The replica when GISAPP_READ_DATABASE_URL is set."""
    return replica_engine().connect()


def write() -> Connection:
    """A transaction for one request's writes: committed whole or not at all."""
    return engine().begin()


def migration_files(sql_dir: str | Path) -> list[Path]:
    return sorted(Path(sql_dir).glob("[0-9][0-9][0-9]_*.sql"))


def _checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def apply_schema(eng: Engine, sql_dir: str | Path) -> list[str]:
    """Apply every schema file that is new or changed, in order; return their names."""
    applied = []
    with eng.begin() as conn:
        # Serialise concurrent appliers (several workers starting at once).
        conn.execute(text("SELECT pg_advisory_xact_lock(727274)"))
        known = _known_checksums(conn)
        for path in migration_files(sql_dir):
            digest = _checksum(path)
            if known.get(path.name) == digest:
                continue
            # Through the raw cursor with no parameters, so '%' in PL/pgSQL stays literal.
            with conn.connection.driver_connection.cursor() as cur:
                cur.execute(path.read_text())
            conn.execute(
                text("INSERT INTO schema_migration (filename, checksum) VALUES (:f, :c) "
                     "ON CONFLICT (filename) DO UPDATE SET checksum = :c, applied_at = now()"),
                {"f": path.name, "c": digest})
            applied.append(path.name)
    return applied


def _known_checksums(conn: Connection) -> dict[str, str]:
    exists = conn.execute(text("SELECT to_regclass('schema_migration') IS NOT NULL")).scalar()
    if not exists:
        return {}
    return dict(conn.execute(text("SELECT filename, checksum FROM schema_migration")).all())


def schema_status(conn: Connection, sql_dir: str | Path) -> dict:
    """Whether every schema file has been applied as it is now."""
    known = _known_checksums(conn)
    pending = [p.name for p in migration_files(sql_dir) if known.get(p.name) != _checksum(p)]
    return {"current": not pending, "pending": pending}


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Apply the schema from sql/ (re-runnable)."""
    applied = apply_schema(engine(), current_app.config["SQL_DIR"])
    click.echo(f"schema: applied {len(applied)} file(s): {', '.join(applied) or 'none needed'}")


def init_app(app: Flask) -> None:
    app.extensions["gisapp_engine"] = make_engine(app.config["DATABASE_URL"],
                                                  app.config["DB_POOL_SIZE"])
    if app.config.get("READ_DATABASE_URL"):
        app.extensions["gisapp_read_engine"] = make_engine(app.config["READ_DATABASE_URL"],
                                                           app.config["DB_POOL_SIZE"])
    app.cli.add_command(init_db_command)
