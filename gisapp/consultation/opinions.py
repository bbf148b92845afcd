"""Opinions on a topic, on one page: residents through the public link (an optional name and
contact that only staff with a duty toward the area ever see), demands linked to the topic,
and staff entries."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..accounts import audit
from ..accounts.access import Viewer
from ..errors import BadInput, Conflict
from ..queries import loader
from . import rules

sql = loader(__package__)
BODY_MAX, NAME_MAX, CONTACT_MAX = 2000, 50, 100


def _text(fields: dict, name: str, limit: int, required: bool = False) -> str | None:
    value = fields.get(name)
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise BadInput(f"{name} must be text of 1..{limit} characters", field=name)
    return value.strip()


def add_public(conn: Connection, topic: dict, fields: dict) -> int:
    """A resident's opinion through the topic's public page."""
    if not rules.takes_opinions(topic):
        raise Conflict("该议题已不再征集意见 (the topic no longer takes opinions)")
    return conn.execute(
        sql("opinion_insert"),
        {
            "topic_id": topic["id"],
            "source": "public",
            "body": _text(fields, "body", BODY_MAX, True),
            "name": _text(fields, "name", NAME_MAX),
            "contact": _text(fields, "contact", CONTACT_MAX),
            "user_id": None,
            "demand_id": None,
        },
    ).scalar()


def add_staff(conn: Connection, viewer: Viewer, topic: dict, fields: dict) -> int:
    """A staff entry (from a visit, a meeting, a building's chat group).

    Demands join a topic from the demands list (its "to_topic" action sets demand.topic_id)
    and are listed here from there, so there is one way to link them."""
    rules.check_open(viewer, topic, rules.OPINION_ROLES, "录入意见")
    if not rules.takes_opinions(topic):
        raise Conflict("该议题已不再征集意见 (the topic no longer takes opinions)")
    opinion_id = conn.execute(
        sql("opinion_insert"),
        {
            "topic_id": topic["id"],
            "source": "staff",
            "body": _text(fields, "body", BODY_MAX, True),
            "name": None,
            "contact": None,
            "user_id": viewer.user_id,
            "demand_id": None,
        },
    ).scalar()
    audit.record(conn, viewer, "topic.opinion", str(topic["id"]), source="staff")
    return opinion_id


def has_demands(conn: Connection) -> bool:
    """Whether the demands list (sql/210) is installed."""
    return bool(conn.execute(text("SELECT to_regclass('demand') IS NOT NULL")).scalar())


def listing(conn: Connection, viewer: Viewer, topic: dict) -> list[dict]:
    """Every opinion on the topic; names and contacts only for staff with a duty there."""
    rows = _opinions_and_demands(conn, topic)
    private = rules.may_act(viewer, rules.OPINION_ROLES, topic["level"], topic["area_code"])
    return [_shown(r, private) for r in rows]


def _opinions_and_demands(conn: Connection, topic: dict) -> list[dict]:
    # The topic's own opinions, then the residents' demands filed under it (when installed).
    rows = [
        dict(r) for r in conn.execute(sql("opinions_list"), {"topic_id": topic["id"]}).mappings()
    ]
    if has_demands(conn):
        rows += [
            dict(r)
            for r in conn.execute(sql("demands_of_topic"), {"topic_id": topic["id"]}).mappings()
        ]
    return rows


def _shown(row: dict, private: bool) -> dict:
    out = {
        "id": row.get("id"),
        "source": row["source"],
        "body": row["body"],
        "created_at": row["created_at"],
        "demand_id": row.get("demand_id"),
        "staff_name": row.get("staff_name"),
    }
    if private:
        out.update(author_name=row.get("author_name"), author_contact=row.get("author_contact"))
    return out


def public_listing(conn: Connection, topic: dict) -> list[dict]:
    """What the public page shows of the opinions: residents' and demands' text and date,
    never a name or a contact."""
    rows = _opinions_and_demands(conn, topic)
    return [
        {"source": r["source"], "body": r["body"], "created_at": r["created_at"]}
        for r in rows
        if r["source"] in ("public", "demand")
    ]
