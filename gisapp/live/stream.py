"""One client's Server-Sent Event stream: replay after Last-Event-ID, then live events.

Payloads are shaped per client when written to its stream: cases it may not see are
skipped, the wall gets the reporter's details masked (gisapp.cases.report.may_see,
mask_for), and visits go only to those with a duty toward the household's area.
"""
from __future__ import annotations

import json
import queue

from ..accounts.access import Viewer
from ..cases.report import mask_for, may_see
from .hub import Event, LiveHub, Subscriber

CASE_FIELDS = ("id", "state", "version", "kind", "category", "category_zh", "area_code",
               "area_name", "lng", "lat", "reported_at", "overdue", "near_deadline",
               "description", "department", "assignee")


def frame(event_id: int | None, event_type: str, data: dict) -> str:
    """One SSE message (without an id line for a hint, so the client's last id stays)."""
    body = json.dumps(data, ensure_ascii=False, default=str)
    head = "" if event_id is None else f"id: {event_id}\n"
    return f"{head}event: {event_type}\ndata: {body}\n\n"


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
    if event.type == "visit":
        visit = event.data["visit"]
        return frame(event.id, "visit", event.data) \
            if viewer.may_see_household(visit["area_code"] or "") else None
    if event.type != "case":
        return frame(event.id, event.type, event.data)
    if not may_see(viewer, event.case):
        return None
    case = mask_for(viewer, event.case)
    data = {k: case.get(k) for k in CASE_FIELDS}
    data["description"] = (data["description"] or "")[:80]
    return frame(event.id, "case", {**event.data, "case": data})



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
            sent = yield from _catch_up_slow(live, sub, viewer, sent)
        try:
            event = sub.queue.get(timeout=heartbeat)
        except queue.Empty:
            yield ": heartbeat\n\n"
            continue
        if event.id is not None:
            if event.id <= sent:
                continue
            sent = event.id
        out = render_for(event, viewer)
        if out:
            yield out


def _catch_up_slow(live: LiveHub, sub: Subscriber, viewer: Viewer, sent: int):
    """A client too slow for its mailbox: drop the mailbox and replay from the outbox."""
    sub.overflow = False
    _drain(sub.queue)
    backlog, complete = live.since(sent)
    if not complete:
        yield frame(live.latest, "resync", {"reason": "too slow"})
        return live.latest
    for event in backlog:
        sent = event.id
        out = render_for(event, viewer)
        if out:
            yield out
    return sent


def _drain(q: queue.Queue) -> None:
    while True:
        try:
            q.get_nowait()
        except queue.Empty:
            return
