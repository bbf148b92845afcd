"""Live updates: one poller per process reads the event outbox and feeds Server-Sent Events.

The hub's background thread (a greenlet under gunicorn's gevent workers) holds one
connection to the primary and every LIVE_POLL_SECONDS reads the outbox (.outbox):
the case_event and visit rows of every transaction that has ended since the last read.
Before it publishes them it runs the catch-up functions subscribers registered with
`on_change` (the tile cache applies its invalidations there), so a page reacting to an
event reloads fresh tiles; this module knows nothing of tiles.

Why a short poll and not NOTIFY. A transaction that NOTIFYs holds the cluster's
notify-queue lock from pre-commit until its commit is flushed (and, with a synchronous
standby, acknowledged): concurrent reports queued on it. A NOTIFY sent after commit in a
transaction of its own still waits for a flush and a standby, on the request's time. A
poll costs each process one indexed query per tick, adds at most a tick of latency, and
has nothing to miss: after a reconnect or a failover it simply reads on from its cursor.

Event ids come from the database (xid << 16 | rank): the same on every app node. A
client reconnecting with Last-Event-ID gets the events after it from the ring, or from
the outbox itself when the ring no longer holds them, so it never needs a `resync`;
only an id no database could have given (an old per-process one) gets one. Each
client's stream and what it may see of an event: gisapp.live.stream.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from ..cases.flow import clock_flags
from ..cases.report import load_cases
from ..cases.workhours import load_calendar
from ..db import psycopg2_url
from . import outbox

log = logging.getLogger(__name__)

PRUNE_SECONDS = 600.0
CALENDAR_SECONDS = 300.0
REPLAY_LIMIT = 5000             # events a reconnecting client may have missed, from the outbox
_PRUNE = text("DELETE FROM tile_dirty WHERE at < now() - interval '1 day'; "
              "DELETE FROM duty_change WHERE at < now() - interval '1 day'; "
              "DELETE FROM area_change WHERE at < now() - interval '1 day'")

# A subscriber's catch-up: given the hub's connection, bring itself up to date with the
# database and return what every event of this tick should carry (say {"tiles": 42}).
CatchUp = Callable[[Connection], dict]


@dataclass(frozen=True)
class Event:
    """One thing that happened, before it is shaped for any viewer. `id` None: a hint
    outside the outbox (boundaries changed), sent live and never replayed."""

    id: int | None
    type: str
    case: dict | None = None
    data: dict = field(default_factory=dict)
    # Viewer -> its rendering (stream.render_for); filled as streams write the event.
    rendered: dict = field(default_factory=dict, compare=False, repr=False)


class Subscriber:
    """One open stream's mailbox."""

    def __init__(self, size: int):
        self.queue: queue.Queue[Event] = queue.Queue(maxsize=size)
        self.overflow = False


def on_change(app: Flask, catch_up: CatchUp) -> None:
    """Register a catch-up to run before each tick's events are published (app factory)."""
    app.extensions.setdefault("gisapp_live_catch_ups", []).append(catch_up)


class LiveHub:
    """The process's single outbox reader and the streams it feeds."""

    def __init__(self, app: Flask):
        cfg = app.config
        self._engine = app.extensions["gisapp_engine"]     # replays, on a request's time
        # One connection of its own, named so it can be counted (one per process).
        self._poll_engine = create_engine(
            psycopg2_url(cfg["DATABASE_URL"]), poolclass=NullPool, isolation_level="AUTOCOMMIT",
            connect_args={"connect_timeout": 3, "application_name": "gisapp-listen"})
        self._catch_ups: list[CatchUp] = app.extensions.get("gisapp_live_catch_ups", [])
        self._poll_seconds = cfg["LIVE_POLL_SECONDS"]
        self._ring: deque[Event] = deque(maxlen=cfg["SSE_RING_SIZE"])
        self._queue_size = cfg["SSE_QUEUE_SIZE"]
        self._after: int | None = None     # every transaction up to this one has been read
        self._floor: int | None = None     # the ring holds every event after this id
        self.latest = 0                    # every event up to this id has been published
        self._published = 0                # the highest id published
        self._boundaries: int | None = None
        self._extra: dict = {}             # what the last catch-up said events carry
        self._subs: set[Subscriber] = set()
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._calendar = (0.0, None)
        self._last_prune = time.monotonic()

    # --- subscribers --------------------------------------------------------------------

    def subscribe(self) -> Subscriber:
        sub = Subscriber(self._queue_size)
        with self._lock:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            self._subs.discard(sub)

    def subscribers(self) -> int:
        with self._lock:
            return len(self._subs)

    def since(self, last_id: int | None) -> tuple[list[Event], bool]:
        """Events after `last_id` (from the ring, else the outbox), and whether none are
        missing. An id from another node that has read further is fine: the stream
        waits for the events after it."""
        if last_id is None:
            return [], True
        if not outbox.is_event_id(last_id):
            return [], False            # an id no database gave (an old per-process one)
        with self._lock:
            events, floor = list(self._ring), self._floor
        if floor is not None and last_id >= floor:
            return [e for e in events if e.id > last_id], True
        return self._replay(last_id)

    def _replay(self, last_id: int) -> tuple[list[Event], bool]:
        with self._engine.connect() as conn:
            batch = outbox.read_after(conn, outbox.xid_of(last_id) - 1, REPLAY_LIMIT)
            if batch.cut:
                return [], False        # too far behind: reload rather than replay all
            events = self._events(conn, batch.rows, self._extra)
        return [e for e in events if e.id > last_id], True

    def publish(self, event: Event) -> None:
        """Keep a numbered event in the ring and hand any event to every stream."""
        with self._lock:
            if event.id is not None:
                if event.id <= self._published:
                    return              # read again after a reconnect: already out
                if len(self._ring) == self._ring.maxlen:
                    self._floor = self._ring[0].id
                self._ring.append(event)
                self._published = self.latest = event.id
            subs = list(self._subs)
        for sub in subs:
            try:
                sub.queue.put_nowait(event)
            except queue.Full:
                sub.overflow = True     # a stuck client: it replays when it drains

    # --- the poller -----------------------------------------------------------------------

    def listening(self) -> bool:
        """Whether the poller runs and has read the outbox's position."""
        thread = self._thread
        return thread is not None and self._ready.is_set() and thread.is_alive()

    def ensure_started(self, wait: float = 5.0) -> None:
        """Start the poller if it is not running, and wait until it has connected."""
        if self.listening():
            return                  # every tile request asks: answer without the lock
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._ready.clear()
                self._thread = threading.Thread(target=self._run, name="gisapp-live",
                                                daemon=True)
                self._thread.start()
        self._ready.wait(wait)

    def stop(self) -> None:
        """Stop polling (tests; a worker process simply exits)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._poll_engine.dispose()

    def _run(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                with self._poll_engine.connect() as conn:
                    self._on_connect(conn)
                    self._ready.set()
                    backoff = 0.5
                    while not self._stopping.is_set():
                        self._tick(conn)
                        self._housekeeping(conn)
                        self._stopping.wait(self._poll_seconds)
            except (DBAPIError, OSError) as exc:   # the database went away
                if self._stopping.is_set():
                    break
                log.warning("live poller: %s; reconnecting in %.1fs", exc, backoff)
            except Exception:          # keep the process's only poller alive
                log.exception("live poller failed; reconnecting")
            self._stopping.wait(backoff)
            # At most 2 s: after a failover the feed follows the new primary within
            # seconds (one connection attempt per process every 2 s costs nothing).
            backoff = min(backoff * 2, 2.0)

    def _on_connect(self, conn: Connection) -> None:
        """Place the cursor: at first where the database stands now; after a reconnect no
        later than the server's oldest running transaction. A promoted standby may hand
        out again xids the old primary used in transactions that never reached it."""
        xmin, _ = outbox.snapshot(conn)
        with self._lock:
            if self._after is None:
                self._after = xmin - 1
                self._floor = self.latest = self._published = outbox.end_of(self._after)
            else:
                self._after = min(self._after, xmin - 1)
        self._catch_up(conn)

    def _tick(self, conn: Connection) -> None:
        """Read the outbox, let subscribers catch up (after the read, so they cover every
        transaction it saw), then publish."""
        batch = outbox.read_after(conn, self._after)
        extra = self._catch_up(conn)
        for event in self._events(conn, batch.rows, extra):
            self.publish(event)
        with self._lock:
            self._after = batch.done_xid
            self.latest = max(self.latest, outbox.end_of(batch.done_xid))
        if self._boundaries is not None and batch.boundaries != self._boundaries:
            self.publish(Event(None, "boundaries", data=extra))
        self._boundaries = batch.boundaries

    def _catch_up(self, conn: Connection) -> dict:
        extra: dict = {}
        for catch_up in self._catch_ups:
            extra.update(catch_up(conn))
        self._extra = extra
        return extra

    def _events(self, conn: Connection, rows: list[outbox.Row], extra: dict) -> list[Event]:
        cases = self._load_cases(conn, [r.ref for r in rows if r.kind == "case"])
        out = []
        for row in rows:
            if row.kind == "case":
                if row.ref in cases:        # gone (deleted since): its id is skipped
                    out.append(Event(row.id, "case", cases[row.ref], dict(extra)))
            elif row.kind == "visit":
                out.append(Event(row.id, "visit", data={**extra, "visit": row.detail}))
            else:
                out.append(Event(row.id, "bulk", data={**extra, "rows": row.ref}))
        return out

    def _load_cases(self, conn: Connection, case_ids: list[int]) -> dict[int, dict]:
        """The cases of a tick's events, in one query (a busy tick holds dozens)."""
        if not case_ids:
            return {}
        calendar = self._calendar_for(conn)
        cases = load_cases(conn, case_ids)
        for case in cases.values():
            case.update(clock_flags(case, calendar))
        return cases

    def _calendar_for(self, conn: Connection):
        loaded_at, calendar = self._calendar
        if calendar is None or time.monotonic() - loaded_at > CALENDAR_SECONDS:
            calendar = load_calendar(conn)
            self._calendar = (time.monotonic(), calendar)
        return calendar

    def _housekeeping(self, conn: Connection) -> None:
        if time.monotonic() - self._last_prune < PRUNE_SECONDS:
            return
        self._last_prune = time.monotonic()
        conn.execute(_PRUNE)


def hub(app: Flask) -> LiveHub:
    """This process's hub (made on first use, so after gunicorn forks, never before)."""
    app = getattr(app, "_get_current_object", lambda: app)()    # the app, not its proxy
    found = app.extensions.get("gisapp_live")
    if found is None:
        found = app.extensions.setdefault("gisapp_live", LiveHub(app))
    return found
