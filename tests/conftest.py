"""Test fixtures: a throwaway PostGIS cluster started by the suite itself.

The cluster lives in a temporary directory on a free port and is removed at the end.
A template database holds the schema and the tiny test city (tests/tiny_city.py);
each test module that writes gets its own copy of it, which is quick in PostgreSQL.
"""
from __future__ import annotations

import itertools
import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

from gisapp import create_app
from gisapp.db import apply_schema, make_engine
from gisapp.demo.pgcluster import Cluster

from .tiny_city import load_tiny_city, load_tiny_users

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = "gisapp_template"
_counter = itertools.count()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def cluster():
    """A PostgreSQL cluster for this test session only."""
    tmp = Path(tempfile.mkdtemp(prefix="gisapp-test-pg-"))
    pg = Cluster(tmp, _free_port())
    pg.start()
    yield pg
    pg.stop("immediate")
    shutil.rmtree(tmp, ignore_errors=True)


def _url(cluster: Cluster, dbname: str) -> str:
    return f"postgresql://postgres@127.0.0.1:{cluster.port}/{dbname}"


def _admin(cluster: Cluster, sql: str) -> None:
    eng = make_engine(_url(cluster, "postgres"))
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(sql))
    eng.dispose()


@pytest.fixture(scope="session")
def template_db(cluster):
    """A database with the schema and the tiny city, used as a template for copies."""
    _admin(cluster, f"CREATE DATABASE {TEMPLATE}")
    eng = make_engine(_url(cluster, TEMPLATE))
    apply_schema(eng, ROOT / "sql")
    load_tiny_city(eng)
    load_tiny_users(eng)
    eng.dispose()
    return TEMPLATE


def fresh_database(cluster: Cluster, template: str) -> str:
    """A new database copied from `template`; returns its URL."""
    name = f"t_{os.getpid()}_{next(_counter)}"
    _admin(cluster, f"CREATE DATABASE {name} TEMPLATE {template}")
    return _url(cluster, name)


@pytest.fixture(scope="module")
def db_url(cluster, template_db):
    """A private copy of the tiny city for one test module."""
    return fresh_database(cluster, template_db)


@pytest.fixture(scope="module")
def app(db_url):
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "INDEX_REFRESH_SECONDS": 0.0,
                      "AUTH_CACHE_SECONDS": 0.0,
                      # Every test client shares 127.0.0.1; test_accounts checks the limit itself.
                      "LOGIN_ATTEMPTS_PER_MINUTE": 10_000,
                      "PHOTO_DIR": str(Path(tempfile.mkdtemp(prefix="gisapp-photos-")))})
    yield app
    app.extensions["gisapp_engine"].dispose()


@pytest.fixture(scope="module")
def engine(app):
    return app.extensions["gisapp_engine"]


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="module")
def tokens(app):
    """An API token per tiny-city user, issued in this module's database."""
    from gisapp.accounts import auth

    from .tiny_city import TINY_USERS
    with app.extensions["gisapp_engine"].begin() as conn:
        return {u: auth.issue_token(conn, u, days=1) for u in TINY_USERS}


@pytest.fixture()
def as_user(tokens):
    """Headers that authenticate as a tiny-city user: as_user('grid_worker')."""
    return lambda username: {"Authorization": f"Bearer {tokens[username]}"}
