"""Fixtures of the case tests that write reports in a transaction of their own."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from gisapp.accounts.auth import viewer_for_user


@pytest.fixture()
def conn(engine):
    """A transaction rolled back after the test: reports here leave nothing behind."""
    with engine.connect() as c:
        trans = c.begin()
        yield c
        trans.rollback()


@pytest.fixture()
def viewer(conn):
    uid = conn.execute(text("SELECT id FROM app_user WHERE username = 'grid_worker'")).scalar()
    return viewer_for_user(conn, uid, via_token=True)
