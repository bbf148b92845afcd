"""gunicorn settings for scripts/serve and the benchmarks."""
# gevent workers: the map wall's event streams (/api/events) stay open for hours, one
# greenlet each, so they never starve ordinary requests the way a thread pool would.
worker_class = "gevent"
worker_connections = 1000
timeout = 60
graceful_timeout = 10
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = "warning"


def post_fork(server, worker):
    """Make psycopg2 wait cooperatively (gevent), in the worker only, never at import."""
    from psycogreen.gevent import patch_psycopg
    patch_psycopg()


def post_worker_init(worker):
    """Build the in-memory index, start the live listener and the tile cache (its first
    sync), before the first request, not during it: a wall that restarts asks for its
    first tiles at once, and they should find the fast path open."""
    from gisapp import index
    from gisapp.live.hub import hub
    try:
        index(worker.wsgi).snapshot()
        with worker.wsgi.app_context():
            hub(worker.wsgi).ensure_started()
    except Exception as exc:  # the database may be down; the first request will retry
        worker.log.warning("warm-up failed: %s", exc)
