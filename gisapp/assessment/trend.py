"""A subject's score month by month, and the communities' scores for the wall's map."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.engine import Connection

from ..accounts.access import Viewer
from ..errors import BadInput, NotFound
from .indicators import Period, sql
from .scores import load_scheme, scoreboard


def _months_back(last_start: date, months: int) -> list[Period]:
    """The `months` calendar months ending with the one starting on `last_start`."""
    out, start = [], last_start
    for _ in range(months):
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        out.append(Period(start, end))
        start = (start - timedelta(days=1)).replace(day=1)
    return out[::-1]


def _scope_of(conn: Connection, viewer: Viewer, level: str, subject: str) -> str:
    """The area whose data make the subject's score (a worker's: their narrowest duty area)."""
    if level == "worker":
        code = None
        if subject.isdigit() and len(subject) <= 18:
            code = conn.execute(
                sql("worker_area"),
                {"p": int(subject)},
            ).scalar()
    else:
        n = {"community": 12, "grid": 15}[level]
        code = subject if subject.isdigit() and len(subject) == n else None
        if code is None:
            raise BadInput(
                f"subject 必须是 {n} 位区域编码 (subject must be an area code)", field="subject"
            )
    if code is None or not (viewer.citywide or viewer.covers(code)):
        raise NotFound("没有这个考核对象 (no such subject in your jurisdiction)")
    return code


def trend(
    conn: Connection,
    viewer: Viewer,
    level: str,
    subject: str,
    last_start: date,
    months: int,
    today: date,
) -> dict:
    """{subject, months: [{month, score, items}]}: scores are per subject, so each month
    is computed over the subject's own area only."""
    scope = _scope_of(conn, viewer, level, subject)
    scheme = load_scheme(conn, level)
    points = []
    for period in _months_back(last_start, months):
        board = scoreboard(conn, level, scope, period, today, scheme)
        mine = next((r for r in board["results"] if r["subject"] == subject), None)
        points.append(
            {
                "month": period.start.isoformat()[:7],
                "score": mine["score"] if mine else None,
                "items": {k: v["value"] for k, v in mine["items"].items()} if mine else {},
            }
        )
    return {"level": level, "subject": subject, "months": points}


def choropleth(conn: Connection, scope: str, period: Period, today: date) -> dict:
    """Each community's score and grade for a period (the wall colours its communities)."""
    board = scoreboard(conn, "community", scope, period, today)
    return {
        "month": period.start.isoformat()[:7],
        "distribution": board["distribution"],
        "areas": [
            {
                "code": r["subject"],
                "name": r["label"],
                "score": r["score"],
                "grade": r["grade"],
                "rank": r["rank"],
            }
            for r in board["results"]
        ],
    }
