"""The deliberation's record: participants, follow-up tasks (owners, deadlines), and a task
that becomes a case through the ordinary case code (gisapp/cases/report.py)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy.engine import Connection

from ..accounts import audit
from ..accounts.access import Viewer
from ..cases.report import report_and_load
from ..errors import BadInput, Conflict, Forbidden, NotFound
from ..queries import loader
from . import rules

sql = loader(__package__)
CHINA = timezone(timedelta(hours=8))
MAX_ROWS = 50


def _list_of(value, name: str) -> list:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or len(value) > MAX_ROWS:
        raise BadInput(f"{name} must be a list of at most {MAX_ROWS}", field=name)
    return value


def parse_participants(value) -> list[dict]:
    """[{kind, name}] with kind one of resident_rep, unit, department."""
    out = []
    for item in _list_of(value, "participants"):
        if not isinstance(item, dict) or item.get("kind") not in rules.PARTICIPANT_KINDS:
            raise BadInput(
                "each participant needs a kind: resident_rep, unit or department",
                field="participants",
            )
        name = item.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise BadInput(
                "each participant needs a name (at most 100 characters)", field="participants"
            )
        out.append({"kind": item["kind"], "name": name.strip()})
    return out


def parse_deadline(value) -> datetime:
    """A date (the end of that day, China time) or an ISO timestamp with its offset."""
    if not isinstance(value, str):
        raise BadInput("deadline must be a date (YYYY-MM-DD)", field="tasks")
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(23, 59, 59), CHINA)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(f"deadline {value!r} is not a date", field="tasks") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA)


def parse_tasks(conn: Connection, value) -> list[dict]:
    """[{title, owner_person_id | owner_name, deadline}] validated."""
    out = []
    for item in _list_of(value, "tasks"):
        if not isinstance(item, dict):
            raise BadInput("each task is an object", field="tasks")
        title, owner = item.get("title"), item.get("owner_name") or None
        if not isinstance(title, str) or not title.strip() or len(title) > 200:
            raise BadInput("each task needs a title (at most 200 characters)", field="tasks")
        person = item.get("owner_person_id")
        if person is not None and (
            not isinstance(person, int)
            or isinstance(person, bool)
            or conn.execute(sql("person_exists"), {"id": person}).first() is None
        ):
            raise BadInput(f"no staff member {person!r}", field="tasks")
        if person is None and (not isinstance(owner, str) or len(owner) > 100 or not owner.strip()):
            raise BadInput("each task needs an owner: owner_person_id or owner_name", field="tasks")
        out.append(
            {
                "title": title.strip(),
                "owner_person_id": person,
                "owner_name": owner.strip() if isinstance(owner, str) else None,
                "deadline_at": parse_deadline(item.get("deadline")),
            }
        )
    return out


def record(conn: Connection, topic_id: int, participants: list[dict], tasks: list[dict]) -> None:
    for p in participants:
        conn.execute(sql("participant_insert"), {"topic_id": topic_id, **p})
    for t in tasks:
        conn.execute(sql("task_insert"), {"topic_id": topic_id, **t})


def add_tasks(conn: Connection, viewer: Viewer, topic: dict, value) -> list[int]:
    """More follow-up tasks after the deliberation."""
    _check_tasks(viewer, topic)
    tasks = parse_tasks(conn, value)
    if not tasks:
        raise BadInput("tasks is required", field="tasks")
    ids = [conn.execute(sql("task_insert"), {"topic_id": topic["id"], **t}).scalar() for t in tasks]
    audit.record(conn, viewer, "topic.tasks", str(topic["id"]), tasks=ids)
    return ids


def _check_tasks(viewer: Viewer, topic: dict) -> None:
    if not rules.may_act(viewer, rules.TASK_ROLES, topic["level"], topic["area_code"]):
        raise Forbidden("无权管理后续任务 (not allowed to manage follow-up tasks)")
    if topic["step"] < 5 or topic["state"] == "dropped":
        raise Conflict("后续任务在协商议事之后才能登记 (tasks follow the deliberation)")


def _task(conn: Connection, topic: dict, task_id: int) -> dict:
    row = (
        conn.execute(sql("task_get"), {"task_id": task_id, "topic_id": topic["id"]})
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no task {task_id} on topic {topic['id']}")
    return dict(row)


def mark_done(conn: Connection, viewer: Viewer, topic: dict, task_id: int) -> None:
    _check_tasks(viewer, topic)
    if _task(conn, topic, task_id)["done_at"] is not None:
        raise Conflict("任务已完成 (task already done)")
    conn.execute(sql("task_done"), {"task_id": task_id})
    audit.record(conn, viewer, "topic.task_done", str(topic["id"]), task=task_id)


def to_case(conn: Connection, viewer: Viewer, topic: dict, task_id: int, category) -> dict:
    """Make the task a case at the topic's place, reported by the viewer; returns the case."""
    _check_tasks(viewer, topic)
    task = _task(conn, topic, task_id)
    if task["case_id"] is not None:
        raise Conflict(f"任务已转为案件 {task['case_id']} (already case {task['case_id']})")
    kind = (
        conn.execute(sql("category_kind"), {"category": category}).scalar()
        if isinstance(category, str)
        else None
    )
    if kind is None:
        raise BadInput("category must be a case category", field="category")
    report = {
        "kind": kind,
        "category": category,
        "contact": None,
        "description": f"议事协商后续任务：{task['title']}（议题 #{topic['id']}）",
        "client_id": f"topic-task-{task_id}",
        "lng": topic["lng"],
        "lat": topic["lat"],
    }
    case, _ = report_and_load(
        conn,
        viewer,
        report,
        audit=audit.fields(
            viewer, "case.report", category=category, topic=topic["id"], task=task_id
        ),
    )
    conn.execute(sql("task_case"), {"task_id": task_id, "case_id": case["id"]})
    return case


def listing(conn: Connection, topic_id: int) -> dict:
    return {
        "participants": [
            dict(r)
            for r in conn.execute(sql("participants_list"), {"topic_id": topic_id}).mappings()
        ],
        "tasks": [
            dict(r) for r in conn.execute(sql("tasks_list"), {"topic_id": topic_id}).mappings()
        ],
    }
