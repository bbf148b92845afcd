"""Live updates: one LISTEN connection per process, fanned out to Server-Sent Event streams.

The hub's background thread (a greenlet under gunicorn's gevent workers) LISTENs on
'gisapp_cases', 'gisapp_boundaries' and 'gisapp_tiles'. For each batch of notifications
it first applies tile invalidations (gisapp.tiles.cache), then loads every changed case
once and puts one event per case into a bounded ring buffer and into each subscriber's
queue. Payloads carry ids only, so what a client receives is decided per client, when
the event is written to its stream: cases it may not see are skipped, and the wall
gets the reporter's details masked (gisapp.cases.report.may_see, mask_for).

Event ids are per process, increasing, seeded with the start time in milliseconds (so
they keep increasing across restarts). A client reconnecting with Last-Event-ID gets the
events after it from the ring; when the ring no longer holds them, or the id came from
another worker process, it gets a `resync` event and reloads what it shows.
"""
from __future__ import annotations

import itertools
import json
import logging
import queue
import select
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import psycopg2
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ..accounts.access import Viewer
from ..cases.flow import clock_flags
from ..cases.report import load_case, mask_for, may_see
from ..cases.workhours import load_calendar
from ..errors import NotFound

log = logging.getLogger(__name__)

CHANNELS = ("gisapp_cases", "gisapp_boundaries", "gisapp_tiles")   # constants, never input
CASE_FIELDS = ("id", "state", "version", "kind", "category", "category_zh", "area_code",
               "area_name", "lng", "lat", "reported_at", "overdue", "near_deadline",
               "description", "department", "assignee")
PRUNE_SECONDS = 600.0
CALENDAR_SECONDS = 300.0
_PRUNE = text("DELETE FROM tile_dirty WHERE at < now() - interval '1 day'; "
              "DELETE FROM duty_change WHERE at < now() - interval '1 day'; "
              "DELETE FROM area_change WHERE at < now() - interval '1 day'")


@dataclass(frozen=True)
class Event:
    """One thing that happened, before it is shaped for any viewer."""

    id: int
    type: str
    case: dict | None = None
    data: dict = field(default_factory=dict)
    # Viewer -> its rendering (render_for); filled as streams write the event.
    rendered: dict = field(default_factory=dict, compare=False, repr=False)


def frame(event_id: int, event_type: str, data: dict) -> str:
    """One SSE message."""
    body = json.dumps(data, ensure_ascii=False, default=str)
    return f"id: {event_id}\nevent: {event_type}\ndata: {body}\n\n"


_UNRENDERED = object()


def render_for(event: Event, viewer: Viewer) -> str | None:
    """The event as this viewer may see it, or None if it is not theirs to see.

    Rendered once per event and viewer: a hundred walls logged in as the command centre
    share one rendering, not a hundred JSON encodings of the same case.
    """
    out = event.rendered.get(viewer, _UNRENDERED)
    if out is _UNRENDERED:
        out = event.rendered[viewer] = _render(event, viewer)
    return out


def _render(event: Event, viewer: Viewer) -> str | None:
    if event.type != "case":
        return frame(event.id, event.type, event.data)
    if not may_see(viewer, event.case):
        return None
    case = mask_for(viewer, event.case)
    data = {k: case.get(k) for k in CASE_FIELDS}
    data["description"] = (data["description"] or "")[:80]
    return frame(event.id, "case", {**event.data, "case": data})


class Subscriber:
    """One open stream's mailbox."""

    def __init__(self, size: int):
        self.queue: queue.Queue[Event] = queue.Queue(maxsize=size)
        self.overflow = False


class LiveHub:
    """The process's single listener and the streams it feeds."""

    def __init__(self, app: Flask):
        cfg = app.config
        self._app = app
        self._dsn = cfg["DATABASE_URL"]
        self._engine = app.extensions["gisapp_engine"]
        self._ring: deque[Event] = deque(maxlen=cfg["SSE_RING_SIZE"])
        self._queue_size = cfg["SSE_QUEUE_SIZE"]
        self.seed = int(time.time() * 1000)
        self._ids = itertools.count(self.seed)
        self.latest = self.seed - 1
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
        """Events after `last_id` from the ring, and whether none are missing."""
        if last_id is None:
            return [], True
        with self._lock:
            events, latest = list(self._ring), self.latest
        if last_id > latest or last_id < self.seed - 1:
            return [], False            # another process's id, or from before this one
        if events and last_id < events[0].id - 1:
            return [], False            # fell out of the ring
        return [e for e in events if e.id > last_id], True

    def publish(self, event_type: str, case: dict | None = None, data: dict | None = None) -> Event:
        """Give an event an id, keep it in the ring and hand it to every stream."""
        with self._lock:
            event = Event(next(self._ids), event_type, case, data or {})
            self.latest = event.id
            self._ring.append(event)
            subs = list(self._subs)
        for sub in subs:
            try:
                sub.queue.put_nowait(event)
            except queue.Full:
                sub.overflow = True     # a stuck client: it will be told to resync
        return event

    # --- the listener -------------------------------------------------------------------

    def listening(self) -> bool:
        """Whether the listener thread runs and has its LISTEN in place."""
        thread = self._thread
        return thread is not None and self._ready.is_set() and thread.is_alive()

    def ensure_started(self, wait: float = 5.0) -> None:
        """Start the listener if it is not running, and wait until it LISTENs."""
        if self.listening():
            return                  # every tile request asks: answer without the lock
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._ready.clear()
                self._thread = threading.Thread(target=self._run, name="gisapp-listen",
                                                daemon=True)
                self._thread.start()
        self._ready.wait(wait)

    def stop(self) -> None:
        """Stop listening (tests; a worker process simply exits)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            conn = None
            try:
                conn = psycopg2.connect(self._dsn, connect_timeout=3,
                                        application_name="gisapp-listen")
                conn.autocommit = True
                with conn.cursor() as cur:
                    for channel in CHANNELS:
                        cur.execute(f"LISTEN {channel}")
                self._on_connect()
                self._ready.set()
                backoff = 0.5
                self._listen(conn)
            except (psycopg2.Error, DBAPIError, OSError) as exc:   # the database went away
                if self._stopping.is_set():
                    break
                log.warning("live listener: %s; reconnecting in %.1fs", exc, backoff)
            except Exception:          # keep the process's only listener alive
                log.exception("live listener failed; reconnecting")
            finally:
                if conn is not None:
                    conn.close()
            self._stopping.wait(backoff)
            # At most 2 s: after a failover the feed follows the new primary within
            # seconds (one connection attempt per process every 2 s costs nothing).
            backoff = min(backoff * 2, 2.0)

    def _on_connect(self) -> None:
        """After (re)connecting, notifications may have been missed: catch up and say so."""
        self._sync_tiles()
        if self.latest >= self.seed:
            self.publish("resync", data={"reason": "listener reconnected"})

    def _listen(self, conn) -> None:
        while not self._stopping.is_set():
            if select.select([conn], [], [], 2.0)[0]:
                conn.poll()
                batch, conn.notifies[:] = list(conn.notifies), []
                if batch:
                    self._handle(batch)
            self._housekeeping()

    def _handle(self, batch) -> None:
        """Invalidate tiles first, so a page reacting to an event reloads fresh tiles."""
        generation = self._sync_tiles()
        case_ids, boundaries = [], False
        for note in batch:
            if note.channel == "gisapp_cases":
                case_id = _case_id(note.payload)
                if case_id is not None and case_id not in case_ids:
                    case_ids.append(case_id)
            elif note.channel == "gisapp_boundaries":
                boundaries = True
        for case in self._load_cases(case_ids):
            self.publish("case", case=case, data={"tiles": generation})
        if boundaries:
            self.publish("boundaries", data={"tiles": generation})

    def _load_cases(self, case_ids: list[int]) -> list[dict]:
        if not case_ids:
            return []
        out = []
        with self._engine.connect() as conn:
            calendar = self._calendar_for(conn)
            for case_id in case_ids:
                try:
                    case = load_case(conn, case_id)
                except NotFound:
                    continue
                case.update(clock_flags(case, calendar))
                out.append(case)
        return out

    def _calendar_for(self, conn):
        loaded_at, calendar = self._calendar
        if calendar is None or time.monotonic() - loaded_at > CALENDAR_SECONDS:
            calendar = load_calendar(conn)
            self._calendar = (time.monotonic(), calendar)
        return calendar

    def _sync_tiles(self) -> int:
        from ..tiles.service import tile_cache
        cache = tile_cache(self._app)
        with self._engine.connect() as conn:
            return cache.sync(conn)

    def _housekeeping(self) -> None:
        if time.monotonic() - self._last_prune < PRUNE_SECONDS:
            return
        self._last_prune = time.monotonic()
        with self._engine.begin() as conn:
            conn.execute(_PRUNE)


def _case_id(payload: str) -> int | None:
    try:
        value = json.loads(payload).get("id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


def hub(app: Flask) -> LiveHub:
    """This process's hub (made on first use, so after gunicorn forks, never before)."""
    app = getattr(app, "_get_current_object", lambda: app)()    # the app, not its proxy
    found = app.extensions.get("gisapp_live")
    if found is None:
        found = app.extensions.setdefault("gisapp_live", LiveHub(app))
    return found


def stream(live: LiveHub, viewer: Viewer, last_id: int | None, heartbeat: float,
           retry_ms: int):
    """The text of one client's event stream: replay, then live events and heartbeats."""
    sub = live.subscribe()
    try:
        yield f"retry: {retry_ms}\n: connected\n\n"
        backlog, complete = live.since(last_id)
        sent = last_id or 0
        if not complete:
            sent = live.latest
            yield frame(sent, "resync", {"reason": "events missed"})
        for event in backlog:
            sent = event.id
            out = render_for(event, viewer)
            if out:
                yield out
        yield from _follow(live, sub, viewer, sent, heartbeat)
    finally:
        live.unsubscribe(sub)


def _follow(live: LiveHub, sub: Subscriber, viewer: Viewer, sent: int, heartbeat: float):
    while True:
        if sub.overflow:
            sub.overflow = False
            _drain(sub.queue)
            sent = live.latest
            yield frame(sent, "resync", {"reason": "too slow"})
        try:
            event = sub.queue.get(timeout=heartbeat)
        except queue.Empty:
            yield ": heartbeat\n\n"
            continue
        if event.id <= sent:
            continue
        sent = event.id
        out = render_for(event, viewer)
        if out:
            yield out


def _drain(q: queue.Queue) -> None:
    while True:
        try:
            q.get_nowait()
        except queue.Empty:
            return
