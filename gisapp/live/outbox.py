"""The event outbox: what the live feed delivers, read from rows the writes already make.

Every case change writes a `case_event` row and every field visit a `visit` row, each
stamped with its transaction's id (xid8, sql/250_event_outbox.sql). `read_after` returns
those of every transaction that has ended, oldest transaction first; an event's id is
`xid << 16 | rank`, its place in its transaction. The ids are the database's, not a
process's: every app node numbers the same event alike, so a client resumes anywhere.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from ..queries import loader

sql = loader(__package__)           # gisapp/live/queries/outbox_*.sql

RANK_BITS = 16
PER_TRANSACTION = 1000          # more outbox rows in one transaction: one 'bulk' event
FIRST_NORMAL_XID = 3            # PostgreSQL's xids 0-2 are special: never an event's


@dataclass(frozen=True)
class Row:
    """One event as the outbox has it: a changed case, a visit, or a bulk load."""

    id: int
    kind: str                   # 'case', 'visit' or 'bulk'
    ref: int                    # the case's or the visit's id
    detail: dict | None = None  # a visit's facts (cases are loaded when published)


@dataclass(frozen=True)
class Batch:
    """What one read found: the rows, the last transaction covered, the boundaries counter."""

    rows: list[Row]
    done_xid: int               # every transaction up to this one has been read
    boundaries: int
    cut: bool                   # stopped at `limit` before the horizon


def event_id(xid: int, rank: int) -> int:
    return xid << RANK_BITS | rank


def xid_of(event_id: int) -> int:
    return event_id >> RANK_BITS


def end_of(xid: int) -> int:
    """The highest event id a transaction could have: a position 'after all of it'."""
    return event_id(xid + 1, 0) - 1


def is_event_id(value: int) -> bool:
    """Whether the database could have given this id (not, say, an old per-process one)."""
    return xid_of(value) >= FIRST_NORMAL_XID and 0 < value & ((1 << RANK_BITS) - 1)


def snapshot(conn: Connection) -> tuple[int, int]:
    """(the oldest transaction still running, the next transaction id) of the server."""
    row = conn.execute(sql("outbox_snapshot")).one()
    return row.xmin, row.xmax


def read_after(conn: Connection, after_xid: int, limit: int = 5000) -> Batch:
    """The events of every ended transaction after `after_xid`, at most about `limit`."""
    found = conn.execute(sql("outbox_after"), {"after": after_xid, "per_transaction": PER_TRANSACTION,
                                        "limit": limit}).all()
    head = found[0]
    found = [r for r in found if r.xid is not None]
    done, cut = head.horizon - 1, len(found) == limit
    if cut and found[0].xid != found[-1].xid:
        done = found[-1].xid - 1    # maybe cut inside the last transaction: read it again
        found = [r for r in found if r.xid <= done]
    return Batch([_row(r) for r in found], done, head.boundaries or 0, cut)


def _row(r) -> Row:
    if r.n > PER_TRANSACTION:
        return Row(event_id(r.xid, 1), "bulk", r.n)
    return Row(event_id(r.xid, r.rank), r.kind, r.ref, r.detail)
