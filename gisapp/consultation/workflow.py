"""One step of a topic as a whole: the step, its deliberation record, its attachments; and
the topic as staff and as the public see it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Connection

from ..accounts.access import Viewer
from ..errors import BadInput
from . import attachments, deliberation, opinions, rules, topics

PUBLIC_FILE_STEPS = (4, 6)  # the announcement's and the report back's files are public
PUBLIC_KEYS = (
    "level",
    "area_name",
    "building_name",
    "title",
    "body",
    "step",
    "state",
    "announcement",
    "plan",
    "decision",
    "outcome",
    "created_at",
    "reported_at",
)


def open_topic(
    conn: Connection, viewer: Viewer, fields: dict, checked: list, root: Path, stored: list
) -> int:
    """Open a topic (step 1) with the files of its first log entry."""
    topic_id, step_id = topics.open_topic(conn, viewer, fields)
    attachments.store_all(conn, root, topic_id, step_id, checked, stored)
    return topic_id


def take_step(
    conn: Connection,
    viewer: Viewer,
    topic_id: int,
    fields: dict,
    checked: list,
    root: Path,
    stored: list,
) -> None:
    """Take the topic to fields['step']; the deliberation (5) records participants and tasks."""
    participants, tasks = [], []
    if fields.get("step") == 5:
        participants = deliberation.parse_participants(fields.get("participants"))
        tasks = deliberation.parse_tasks(conn, fields.get("tasks"))
    _, step_id = topics.advance(conn, viewer, topic_id, fields)
    if fields["step"] == 5:
        if not participants:
            raise BadInput(
                "协商议事须登记参加人员 (participants are required)", field="participants"
            )
        deliberation.record(conn, topic_id, participants, tasks)
    attachments.store_all(conn, root, topic_id, step_id, checked, stored)


def staff_view(conn: Connection, viewer: Viewer, topic_id: int) -> dict:
    """Everything about a topic for staff: the log, opinions, deliberation, what they may do."""
    topic = topics.get_topic(conn, topic_id)
    return {
        **_labelled(topic),
        "steps": topics.steps(conn, topic_id),
        "opinions": opinions.listing(conn, viewer, topic),
        **deliberation.listing(conn, topic_id),
        "allowed": rules.allowed(viewer, topic),
        "public_url": f"/t/{topic['public_token']}",
    }


def public_view(conn: Connection, topic_id: int) -> dict:
    """The topic's public page: its text, its progress, its outcome, the residents' opinions."""
    topic = topics.get_topic(conn, topic_id)
    out = {k: topic[k] for k in PUBLIC_KEYS}
    if topic["step"] < 4:  # the plan is public once announced
        out["plan"] = ""
    if topic["step"] < 5:
        out["decision"] = ""
    out.update(
        step_name=rules.STEP_NAMES[topic["step"]],
        state_name=rules.STATE_NAMES[topic["state"]],
        level_name=rules.LEVEL_NAMES[topic["level"]],
        takes_opinions=rules.takes_opinions(topic),
        opinions=opinions.public_listing(conn, topic),
        files=_public_files(conn, topic),
    )
    if topic["state"] == "reported":
        out["tasks"] = [
            {k: t[k] for k in ("title", "deadline_at", "done_at")}
            for t in deliberation.listing(conn, topic_id)["tasks"]
        ]
    return out


def _public_files(conn: Connection, topic: dict) -> list[dict]:
    """The files of the announcement and of the report back, with their public address."""
    token = topic["public_token"]
    return [
        {"filename": f["filename"], "url": f"/t/{token}/files/{f['id']}"}
        for s in topics.steps(conn, topic["id"])
        if s["step"] in PUBLIC_FILE_STEPS and s["action"] == "step"
        for f in s["attachments"]
    ]


def _labelled(topic: dict) -> dict:
    return {
        **topic,
        "step_name": rules.STEP_NAMES[topic["step"]],
        "state_name": rules.STATE_NAMES[topic["state"]],
        "level_name": rules.LEVEL_NAMES[topic["level"]],
    }
