"""gunicorn settings for scripts/serve and the benchmarks."""
worker_class = "gthread"
threads = 4
timeout = 60
graceful_timeout = 10
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = "warning"


def post_worker_init(worker):
    """Build the in-memory index before the first request, not during it."""
    from gisapp import index
    try:
        index(worker.wsgi).snapshot()
    except Exception as exc:  # the database may be down; the first request will retry
        worker.log.warning("index warm-up failed: %s", exc)
