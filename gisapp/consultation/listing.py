"""Lists of topics (a page, the wall's layer) and the files of a topic."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from ..errors import BadInput
from ..queries import loader
from ..web.geojson import point_collection
from . import rules

sql = loader(__package__)
DEFAULT_LIMIT, MAX_LIMIT = 200, 2000
STATES = tuple(rules.STATE_NAMES)


def topics(
    conn: Connection, area: str, state: str | None, level: str | None, limit_raw: str | None
) -> list[dict]:
    """Topics inside `area` (a code prefix, '' for all), newest first. Public information."""
    if state is not None and state not in STATES:
        raise BadInput(f"state must be one of {', '.join(STATES)}", field="state")
    if level is not None and level not in rules.LEVELS:
        raise BadInput(f"level must be one of {', '.join(rules.LEVELS)}", field="level")
    limit = DEFAULT_LIMIT
    if limit_raw:
        if not limit_raw.isdigit() or not 1 <= int(limit_raw) <= MAX_LIMIT:
            raise BadInput(f"limit must be 1..{MAX_LIMIT}", field="limit")
        limit = int(limit_raw)
    rows = conn.execute(
        sql("topics_list"),
        {"area_prefix": area + "%", "state": state, "level": level, "limit": limit},
    ).mappings()
    return [
        {
            **r,
            "step_name": rules.STEP_NAMES[r["step"]],
            "state_name": rules.STATE_NAMES[r["state"]],
            "level_name": rules.LEVEL_NAMES[r["level"]],
            "public_url": f"/t/{r['public_token']}",
        }
        for r in rows
    ]


def as_geojson(rows: list[dict]) -> dict:
    keep = (
        "id",
        "level",
        "level_name",
        "area_name",
        "title",
        "step",
        "step_name",
        "state",
        "state_name",
        "public_url",
        "opinions",
        "open_tasks",
    )
    return point_collection(rows, lambda r: {k: r[k] for k in keep})


def attachment(conn: Connection, topic_id: int, attachment_id: int) -> dict | None:
    row = conn.execute(sql("attachment_get"), {"id": attachment_id, "topic_id": topic_id})
    found = row.mappings().first()
    return dict(found) if found else None
