"""Topics: open one at its level's area, read it, take it a step further, or drop it."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy.engine import Connection

from ..accounts import audit
from ..accounts.access import Viewer
from ..errors import BadInput, Conflict, Forbidden, NotFound
from ..queries import loader
from . import rules

sql = loader(__package__)

# The text each step writes on the topic, and which of them the step requires.
STEP_FIELDS = {
    2: ("title", "body"),
    3: ("plan",),
    4: ("announcement",),
    5: ("minutes", "decision"),
    6: ("outcome",),
}
REQUIRED = {3: ("plan",), 4: ("announcement",), 5: ("minutes", "decision"), 6: ("outcome",)}
LIMITS = {
    "title": 200,
    "body": 4000,
    "plan": 8000,
    "announcement": 8000,
    "minutes": 20000,
    "decision": 8000,
    "outcome": 8000,
    "note": 4000,
    "reason": 4000,
}


def now() -> datetime:
    return datetime.now(UTC)


def locate_topic_area(conn: Connection, level: str, area_code, building_id) -> dict:
    """The area (and building) a new topic of `level` belongs to, with a point for the map."""
    if level not in rules.LEVELS:
        raise BadInput(f"level must be one of {', '.join(rules.LEVELS)}", field="level")
    if level == "building":
        if not isinstance(building_id, int) or isinstance(building_id, bool):
            raise BadInput("a building topic needs building_id", field="building_id")
        row = (
            conn.execute(sql("building_for_topic"), {"building_id": building_id}).mappings().first()
        )
        if row is None:
            raise NotFound(f"no building {building_id}")
        return dict(row)
    if not isinstance(area_code, str) or not area_code.isdigit():
        raise BadInput("area_code is required", field="area_code")
    row = (
        conn.execute(sql("area_for_level"), {"code": area_code, "level": rules.AREA_LEVEL[level]})
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no {level} area with code {area_code}", field="area_code")
    return {**row, "building_id": None}


def open_topic(conn: Connection, viewer: Viewer, fields: dict) -> tuple[int, int]:
    """Open a topic at step 1 (collect opinions); returns (topic id, its step-log id)."""
    level = fields.get("level")
    place = locate_topic_area(conn, level, fields.get("area_code"), fields.get("building_id"))
    if not rules.may_act(viewer, rules.STEP_ROLES[1], level, place["area_code"]):
        raise Forbidden("无权在该区域发起议题 (not allowed to open a topic here)")
    title = text_field(fields, "title", required=True)
    t = now()
    topic_id = conn.execute(
        sql("topic_insert"),
        {
            "level": level,
            "area_id": place["area_id"],
            "area_code": place["area_code"],
            "building_id": place["building_id"],
            "title": title,
            "body": text_field(fields, "body") or "",
            "token": secrets.token_urlsafe(16),
            "point": place["point"],
            "user_id": viewer.user_id,
            "at": t,
        },
    ).scalar()
    step_id = log_step(conn, viewer, topic_id, 1, text_field(fields, "note") or "", t)
    audit.record(conn, viewer, "topic.open", str(topic_id), level=level, area=place["area_code"])
    return topic_id, step_id


def text_field(fields: dict, name: str, required: bool = False) -> str | None:
    """A trimmed text input within its limit, or None when absent and not required."""
    value = fields.get(name)
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        if required:
            raise BadInput(f"{name} is required", field=name)
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > LIMITS[name]:
        raise BadInput(f"{name} must be text of 1..{LIMITS[name]} characters", field=name)
    return value.strip()


def get_topic(conn: Connection, topic_id: int, lock: bool = False) -> dict:
    """One topic as a dict, or NotFound; `lock` holds its row until the transaction ends."""
    if lock and conn.execute(sql("topic_lock"), {"id": topic_id}).first() is None:
        raise NotFound(f"no topic {topic_id}")
    row = conn.execute(sql("topic_get"), {"id": topic_id}).mappings().first()
    if row is None:
        raise NotFound(f"no topic {topic_id}")
    return dict(row)


def topic_id_for_token(conn: Connection, token: str) -> int:
    if not isinstance(token, str) or not 16 <= len(token) <= 64:
        raise NotFound("no such topic")
    row = conn.execute(sql("topic_by_token"), {"token": token}).first()
    if row is None:
        raise NotFound("no such topic")
    return row.id


def log_step(
    conn: Connection,
    viewer: Viewer,
    topic_id: int,
    step: int,
    note: str,
    at: datetime,
    action: str = "step",
) -> int:
    return conn.execute(
        sql("step_insert"),
        {
            "topic_id": topic_id,
            "step": step,
            "action": action,
            "at": at,
            "user_id": viewer.user_id,
            "actor_name": viewer.username,
            "note": note,
        },
    ).scalar()


def step_values(step: int, fields: dict) -> dict:
    """The topic's text this step writes, validated (None leaves a text as it was)."""
    values = {
        k: None for k in ("title", "body", "plan", "announcement", "minutes", "decision", "outcome")
    }
    for name in STEP_FIELDS.get(step, ()):
        values[name] = text_field(fields, name, required=name in REQUIRED.get(step, ()))
    return values


def advance(conn: Connection, viewer: Viewer, topic_id: int, fields: dict) -> tuple[dict, int]:
    """Take the topic to the step asked for; returns (the topic before, the step-log id)."""
    step = fields.get("step")
    if not isinstance(step, int) or isinstance(step, bool) or not 2 <= step <= 6:
        raise BadInput("step must be a number from 2 to 6 (step 1 opens a topic)", field="step")
    topic = get_topic(conn, topic_id, lock=True)
    rules.check_step(viewer, topic, step)
    values, t = step_values(step, fields), now()
    note = text_field(fields, "note") or ""
    changed = conn.execute(
        sql("topic_advance"), {"id": topic_id, "step": step, "at": t, **values}
    ).rowcount
    if changed != 1:  # cannot happen under the row lock; say so if it does
        raise Conflict("议题已被他人推进，请刷新 (the topic changed meanwhile)")
    step_id = log_step(conn, viewer, topic_id, step, note, t)
    audit.record(conn, viewer, f"topic.step{step}", str(topic_id), step=step)
    return topic, step_id


def drop(conn: Connection, viewer: Viewer, topic_id: int, fields: dict) -> None:
    """End a topic without a result, with a reason (logged at the step it had reached)."""
    topic = get_topic(conn, topic_id, lock=True)
    rules.check_open(viewer, topic, rules.DROP_ROLES, "终止议题")
    reason = text_field(fields, "reason", required=True)
    conn.execute(sql("topic_drop"), {"id": topic_id, "reason": reason})
    log_step(conn, viewer, topic_id, topic["step"], reason, now(), action="drop")
    audit.record(conn, viewer, "topic.drop", str(topic_id), reason=reason)


def steps(conn: Connection, topic_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute(sql("steps_list"), {"topic_id": topic_id}).mappings()]
