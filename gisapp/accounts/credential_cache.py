"""Resolved credentials per worker process, so that a device's every request is not
three database round trips (a map loads dozens of tiles a second).

An entry maps the SHA-256 of a token or session cookie to the Viewer it resolved to,
and lives until the earliest of: the credential's own expiry, `MAX_AGE_SECONDS`, or a
move of the 'auth' or 'staff' cache generation (sql/095_auth_generation.sql: revoking a
token, ending a session, disabling or re-roling a user, changing a duty). The
generations are read at most once per `check_seconds` (AUTH_CACHE_SECONDS), so a
revocation takes effect in every process within that time (plus the one query that
reads them); in the process that made it, at once (`clear`). The database stays the
truth: a miss always asks it.

One request reads the generations when they are due; requests arriving meanwhile go on
with the generations known so far instead of queueing for the pool with the same query.
Under gevent every request that waits on the database waits for the hub as well, and a
herd of them each second was the 16-connection tail of cached tiles (docs/wall.md).
"""
from __future__ import annotations

import hashlib
import threading
import time
from datetime import datetime, timezone

from sqlalchemy import text
from sqlalchemy.engine import Engine

MAX_AGE_SECONDS = 60.0
MAX_ENTRIES = 10_000
_GENERATIONS = text("SELECT name, generation FROM cache_generation WHERE name IN ('auth', 'staff')")


def credential_key(kind: str, secret: str) -> str:
    return kind + ":" + hashlib.sha256(secret.encode()).hexdigest()


class CredentialCache:
    """key -> (value, deadline on the monotonic clock), emptied when a generation moves."""

    def __init__(self, engine: Engine, check_seconds: float):
        self._engine = engine
        self._check_seconds = check_seconds
        self._lock = threading.Lock()
        self._reading = False                 # a request is reading the generations
        self._entries: dict[str, tuple[object, float]] = {}
        self._generations: dict[str, int] | None = None
        self._checked_at = float("-inf")

    def get(self, key: str) -> tuple[object, object]:
        """(cached value or None, a stamp to hand to `put` after a miss)."""
        self._check_generations()
        stamp = self._generations
        found = self._entries.get(key)
        if found is None or found[1] <= time.monotonic():
            return None, stamp
        return found[0], stamp

    def put(self, key: str, value, expires_at: datetime, stamp) -> None:
        """Remember a resolved credential until its expiry (at most MAX_AGE_SECONDS).

        Only if no generation moved since the miss (`stamp` from `get`): a credential
        read from the database just before a revocation is not kept past it.
        """
        left = (expires_at - datetime.now(timezone.utc)).total_seconds()
        deadline = time.monotonic() + min(MAX_AGE_SECONDS, left)
        with self._lock:
            if stamp is not self._generations:
                return
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (value, deadline)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _check_generations(self) -> None:
        if time.monotonic() - self._checked_at < self._check_seconds:
            return
        # Strict (check_seconds 0) or nothing known yet: every caller reads. Otherwise
        # one reads and the others go on; a flag, not lock.acquire(blocking=False),
        # which under gevent yields to the hub whenever it fails.
        relaxed = self._check_seconds > 0 and self._generations is not None
        with self._lock:
            if relaxed and self._reading:
                return
            self._reading = True
        try:
            started = time.monotonic()
            with self._engine.connect() as conn:
                gens = dict(conn.execute(_GENERATIONS).all())
            with self._lock:
                self._checked_at = max(self._checked_at, started)
                if gens != self._generations:
                    self._entries.clear()
                    self._generations = gens
        finally:
            self._reading = False
