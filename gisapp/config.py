"""Settings: defaults here, overridden by GISAPP_* environment variables, then by test config."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, object] = {
    # Points at the project-local cluster that scripts/serve starts.
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:54329/gisapp",
    # A streaming replica for lookups, tiles, lists and statistics (scripts/cluster sets
    # it to the proxy's read port); empty = everything reads the DATABASE_URL above.
    "READ_DATABASE_URL": "",
    "SQL_DIR": str(ROOT / "sql"),
    "TILES_DIR": str(ROOT / "tiles"),
    "ASSETS_DIR": str(ROOT / "node_modules"),
    # An XYZ template such as http://tianditu.intranet/{z}/{x}/{y}.png; empty = none.
    "BASEMAP_URL": "",
    "BASEMAP_ATTRIBUTION": "",
    "MAX_BATCH_POINTS": 10_000,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    # Seconds between checks of the boundary generation by the in-memory index.
    "INDEX_REFRESH_SECONDS": 1.0,
    "DB_POOL_SIZE": 5,
    # Cookies carry the Secure flag; browsers accept it on http://127.0.0.1 and localhost.
    "COOKIE_SECURE": True,
    "SESSION_HOURS": 12,
    "LOGIN_ATTEMPTS_PER_MINUTE": 10,
    "PUBLIC_REPORTS_PER_MINUTE": 5,
    # Photos live outside the web root and are served only through access checks.
    "PHOTO_DIR": str(ROOT / "var" / "photos"),
    # How often a worker checks whether cached tokens and sessions were revoked.
    "AUTH_CACHE_SECONDS": 1.0,
    "MAX_PHOTO_BYTES": 10 * 1024 * 1024,
    "MAX_PHOTOS": 6,
    # Consultation (docs/consultation.md): a step's attachment, and residents' opinions.
    "TOPIC_MAX_ATTACHMENT_BYTES": 5 * 1024 * 1024,
    "PUBLIC_OPINIONS_PER_MINUTE": 5,
    # Vector tiles (tiles/layers.toml): disk cache (empty = memory only), memory LRU size,
    # and how often a request checks for invalidations the listener may have missed.
    "TILE_CACHE_DIR": str(ROOT / "var" / "tile-cache"),
    "TILE_MEMORY_ENTRIES": 4096,
    "TILE_CACHE_MAX_MB": 2048.0,
    "TILE_SYNC_SECONDS": 1.0,
    # The shared tile cache in the proxy (Varnish, docs/cluster.md): where to send its
    # BANs when tiles change, e.g. http://127.0.0.1:25486/ (comma-separated for several
    # Varnish instances); empty = no proxy cache.
    "TILE_PROXY_BAN_URL": "",
    # Live updates (/api/events): heartbeat comment interval, reconnect hint, replay ring.
    "SSE_HEARTBEAT_SECONDS": 15.0,
    "SSE_RETRY_MS": 3000,
    "SSE_RING_SIZE": 1000,
    "SSE_QUEUE_SIZE": 1000,
    # How often each process reads the event outbox (gisapp/live.py says why a poll).
    "LIVE_POLL_SECONDS": 0.1,
    # Privacy of small numbers: a count of a sensitive class (five colours, special groups)
    # below this is shown as "<N" to anyone without a duty toward those households.
    "SMALL_COUNT": 5,
    # Origins (comma-separated, e.g. https://dashboard.city.example) that may read with
    # credentials across origins; uncredentialed reads are open to every origin.
    "CORS_ORIGINS": "",
    # The 743 -> 841 review (gisapp/boundaries/plan_rule.py, docs/plan.md): communities over
    # PLAN_HOUSEHOLDS are reviewed; split when scattered and with many stand-alone buildings.
    "PLAN_HOUSEHOLDS": 3000,
    "PLAN_MANAGED_MIN": 0.6,
    "PLAN_DENSITY_MIN": 4000.0,
    "PLAN_COMPACT_MIN": 0.3,
    "PLAN_SPREAD_MAX_M": 450.0,
    "PLAN_STANDALONE_MIN": 0.3,
    # Share of the workers to add hired in the first year (the plan: ~3,000 of ~5,000).
    "PLAN_FIRST_YEAR_SHARE": 0.6,
    # The demands list (docs/demands.md): days to settle a demand; similar demands (same
    # category and community) are grouped within DEMAND_GROUP_DAYS when their texts'
    # trigram similarity (pg_trgm) reaches DEMAND_SIMILARITY; public demands per minute.
    "DEMAND_DEADLINE_DAYS": 15.0,
    "DEMAND_GROUP_DAYS": 90.0,
    "DEMAND_SIMILARITY": 0.3,
    "PUBLIC_DEMANDS_PER_MINUTE": 5,
}

_INT_KEYS = {"MAX_BATCH_POINTS", "MAX_CONTENT_LENGTH", "DB_POOL_SIZE", "SESSION_HOURS",
             "LOGIN_ATTEMPTS_PER_MINUTE", "PUBLIC_REPORTS_PER_MINUTE", "MAX_PHOTO_BYTES",
             "MAX_PHOTOS", "TILE_MEMORY_ENTRIES", "SSE_RETRY_MS", "SSE_RING_SIZE", "SSE_QUEUE_SIZE",
             "SMALL_COUNT", "PLAN_HOUSEHOLDS"}
_INT_KEYS |= {"TOPIC_MAX_ATTACHMENT_BYTES", "PUBLIC_OPINIONS_PER_MINUTE"}
_FLOAT_KEYS = {"INDEX_REFRESH_SECONDS", "AUTH_CACHE_SECONDS", "TILE_SYNC_SECONDS",
               "SSE_HEARTBEAT_SECONDS", "PLAN_MANAGED_MIN", "PLAN_DENSITY_MIN", "PLAN_COMPACT_MIN",
               "PLAN_SPREAD_MAX_M", "PLAN_STANDALONE_MIN", "PLAN_FIRST_YEAR_SHARE",
               "LIVE_POLL_SECONDS", "TILE_CACHE_MAX_MB"}
_BOOL_KEYS = {"COOKIE_SECURE"}
_INT_KEYS |= {"PUBLIC_DEMANDS_PER_MINUTE"}
_FLOAT_KEYS |= {"DEMAND_DEADLINE_DAYS", "DEMAND_GROUP_DAYS", "DEMAND_SIMILARITY"}


def from_environment(environ: dict[str, str] | None = None) -> dict[str, object]:
    """Defaults overlaid with GISAPP_<KEY> environment variables, converted to their types."""
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    for key in DEFAULTS:
        raw = environ.get(f"GISAPP_{key}")
        if raw is None:
            continue
        if key in _INT_KEYS:
            settings[key] = int(raw)
        elif key in _BOOL_KEYS:
            settings[key] = raw.strip().lower() in ("1", "true", "yes", "on")
        elif key in _FLOAT_KEYS:
            settings[key] = float(raw)
        else:
            settings[key] = raw
    return settings
