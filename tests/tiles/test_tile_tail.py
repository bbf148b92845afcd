"""The 16-connection tail of cached tiles (issue 17): nothing on the fast path waits.

Under gunicorn's gevent workers a request that yields to the hub queues behind every
other connection of its worker. Two things made cached tiles yield: `Thread.is_alive()`
(the listener check: gevent's lock.acquire(blocking=False) sleeps when it fails), on
every request; and, once a second, every request at that moment reading the credential
generations and syncing the tile cache, each taking a pool connection for the same query.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest

from gisapp.tiles.service import tile_cache

from ..wall_support import GRID_WORKER_HOME, close_app, make_app, tile_at, url

# Run in a child: gevent's monkey patching must come before anything imports threading.
CHILD = textwrap.dedent("""
    from gevent import monkey; monkey.patch_all()
    from psycogreen.gevent import patch_psycopg; patch_psycopg()
    import json, sys, greenlet
    from werkzeug.test import EnvironBuilder
    from gisapp import create_app
    app = create_app({"DATABASE_URL": sys.argv[1], "TILE_SYNC_SECONDS": 60.0,
                      "AUTH_CACHE_SECONDS": 60.0, "TILE_CACHE_DIR": ""})
    headers = {"Authorization": "Bearer " + sys.argv[3]}
    assert app.test_client().get(sys.argv[2], headers=headers).status_code == 200
    environ = EnvironBuilder(path=sys.argv[2], headers=headers).get_environ()
    switches = []
    greenlet.settrace(lambda event, args: switches.append(event))
    answered = sum(app.wsgi_app.cached(dict(environ)) is not None for _ in range(200))
    greenlet.settrace(None)
    print(json.dumps({"answered": answered, "switches": len(switches)}))
""")


def test_a_cached_tile_never_yields_to_the_gevent_hub(db_url, tokens):
    path = url("community", *tile_at(*GRID_WORKER_HOME, 12))
    out = subprocess.run([sys.executable, "-c", CHILD, db_url, path, tokens["wall"]],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found == {"answered": 200, "switches": 0}


@pytest.fixture(scope="module")
def app(db_url):
    app = make_app(db_url, TILE_SYNC_SECONDS=1.0, AUTH_CACHE_SECONDS=1.0)
    yield app
    close_app(app)


def test_the_periodic_sync_falls_to_one_request(app, as_user):
    path = url("community", *tile_at(*GRID_WORKER_HOME, 12))
    assert app.test_client().get(path, headers=as_user("wall")).status_code == 200
    with app.app_context():
        cache = tile_cache(app)
    assert not cache.sync_due(1.0)
    cache.last_sync = time.monotonic() - 2.0               # the fallback interval passed
    assert cache.sync_due(1.0)                              # the fast path leaves it
    assert cache.sync_due(1.0, claim=True)                  # one request takes it...
    assert not cache.sync_due(1.0, claim=True)              # ...the others answer from cache
    assert not cache.sync_due(1.0)
    assert cache.sync_due(1.0, min_generation=cache.applied + 1)    # a page ahead: always
    with app.app_context(), app.extensions["gisapp_engine"].connect() as conn:
        cache.sync(conn)
    cache.last_sync = time.monotonic() - 2.0
    assert cache.sync_due(1.0, claim=True)                  # the claim ended with the sync
    assert cache.sync_due(0.0) and cache.sync_due(0.0)      # strict (tests): every request


def test_one_request_reads_the_credential_generations(app):
    credentials = app.extensions["gisapp_credentials"]
    credentials.get("token:x")                              # first read: generations known
    engine = app.extensions["gisapp_engine"]
    before = engine.pool.checkedout()
    credentials._checked_at = float("-inf")                 # due again
    credentials._reading = True                             # a request is reading them now
    credentials.get("token:x")
    assert engine.pool.checkedout() == before               # this one did not queue for it
    assert credentials._checked_at == float("-inf")
    credentials._reading = False
    credentials.get("token:x")
    assert credentials._checked_at > 0
