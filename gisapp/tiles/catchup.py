"""Catch-up: bringing a process's tile cache up to the changes recorded in `tile_dirty`.

Every process applies the rows after the last id it has seen (`sync`): the live hub's
listener does so as soon as a change is announced, and requests fall back to it at most
every TILE_SYNC_SECONDS. Ids are handed out before commit, so a gap in the ids may fill
later: gaps are asked for again for a while (gisapp.tiles.regions).
"""
from __future__ import annotations

import threading
import time

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..queries import loader
from .regions import MAX_REGIONS, Region

sql = loader(__package__)
SYNC_BATCH = 5000
CLAIM_SECONDS = 5.0                 # a claimed periodic sync that never ran is retaken
_RECENT = text("SELECT id, grp, minx, miny, maxx, maxy FROM tile_dirty ORDER BY id DESC LIMIT :n")
_LAST_ID = text("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM tile_dirty_id_seq")


def _region(row) -> Region:
    return Region(row.id, row.grp, (row.minx, row.miny, row.maxx, row.maxy))


class CatchUp:
    """When and how one cache reads new regions; the cache applies them (`reset`,
    `apply`, and `pending` for what to ask for)."""

    def __init__(self, cache):
        self._cache = cache
        # One sync at a time (the listener's and a request's): a sync returns only once
        # the regions it found are applied (memory dropped; disk files deleted by the
        # node's deleter, and checked on read by every process).
        self._sync_lock = threading.Lock()
        self._claim_lock = threading.Lock()
        self.started = False
        self.last_sync = 0.0
        self._claimed_at = float("-inf")    # when a request took the periodic sync

    def start(self, conn: Connection) -> None:
        """Learn the current generation and the recent regions (once per process)."""
        rows = conn.execute(_RECENT, {"n": MAX_REGIONS}).all()
        last = conn.execute(_LAST_ID).scalar() or 0
        self._cache.reset([_region(r) for r in reversed(rows)], last)
        self.started = True
        self.last_sync = time.monotonic()

    def sync_due(self, period: float, min_generation: int = 0, claim: bool = False) -> bool:
        """Whether a request must sync before answering from the cache.

        Always before the first use and when a page asks for a newer generation. The
        periodic fallback (every `period` s) falls to one request: with `claim`, the
        first to ask takes it, and requests arriving until that sync ends answer from
        the cache as it was rather than queue for the pool to run the same query. Under
        gevent a request waiting on the database also waits for the hub, and that herd,
        once a second, was the 16-connection tail of cached tiles. With `period` 0
        (tests) every request syncs.
        """
        if not self.started or min_generation > self._cache.applied:
            return True
        now = time.monotonic()
        if now - self.last_sync < period:
            return False
        if period <= 0:
            return True
        with self._claim_lock:
            if now - self._claimed_at < CLAIM_SECONDS:
                return False            # another request is syncing for everyone
            if claim:
                self._claimed_at = now
            return True

    def sync(self, conn: Connection) -> int:
        """Apply every region recorded since the last sync; returns the new generation."""
        if not self.started:
            self.start(conn)
            return self._cache.applied
        with self._sync_lock:
            while True:
                after, gaps = self._cache.pending()
                rows = conn.execute(sql("dirty_after"), {"after": after, "gaps": gaps,
                                                         "limit": SYNC_BATCH}).all()
                self._cache.apply([_region(r) for r in rows])
                if len(rows) < SYNC_BATCH:
                    break
        self.last_sync = time.monotonic()
        self._claimed_at = float("-inf")
        return self._cache.applied
