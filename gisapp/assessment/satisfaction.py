"""Residents' satisfaction: the public reporter's receipt, the single-use link offered once
the case is closed ("was it fixed?", as FixMyStreet), and answers recorded on a visit."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..accounts.access import FIELD_ROLES, Viewer
from ..errors import BadInput, Conflict, Forbidden, NotFound
from ..queries import loader

sql = loader(__package__)

RECEIPT = re.compile(r"^[A-Za-z0-9]{12,40}$")
TOKEN = re.compile(r"^[A-Za-z0-9]{20,64}$")
CLOSED = ("closed", "evaluated")


def receipt_code(conn: Connection, case_id: int) -> str | None:
    """The receipt code of a publicly reported case (sql/230 issues it on insert)."""
    return conn.execute(
        text("SELECT code FROM case_receipt WHERE case_id = :id"), {"id": case_id}
    ).scalar()


def receipt(conn: Connection, code: str) -> dict:
    """The case behind a receipt code, as its reporter may see it (no one else's data)."""
    row = None
    if RECEIPT.match(code or ""):
        row = conn.execute(sql("receipt"), {"code": code}).mappings().first()
    if row is None:
        raise NotFound("查询码无效 (no such receipt)")
    out = {
        k: row[k] for k in ("id", "state", "reported_at", "closed_at", "category_zh", "area_path")
    }
    out["satisfaction"] = _invite_state(row)
    return out


def _invite_state(row) -> dict | None:
    if row["state"] not in CLOSED or row["token"] is None:
        return None
    if row["used_at"] is not None:
        return {"state": "used", "used_at": row["used_at"]}
    if row["expired"]:
        return {"state": "expired", "expires_at": row["expires_at"]}
    return {"state": "open", "token": row["token"], "expires_at": row["expires_at"]}


def invite(conn: Connection, token: str) -> dict:
    """A link's case and state, for the page that asks the question."""
    row = None
    if TOKEN.match(token or ""):
        row = (
            conn.execute(
                sql("invite"),
                {"t": token},
            )
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound("评价链接无效 (no such link)")
    state = "used" if row["used_at"] else "expired" if row["expired"] else "open"
    return {
        "case_id": row["case_id"],
        "category_zh": row["category_zh"],
        "closed_at": row["closed_at"],
        "expires_at": row["expires_at"],
        "state": state,
    }


def parse_answer(body: dict) -> tuple[int, str]:
    score = body.get("score")
    if isinstance(score, str) and score.isdigit():
        score = int(score)
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise BadInput("score 必须是 1 到 5 的整数 (score must be 1..5)", field="score")
    comment = body.get("comment") or ""
    if not isinstance(comment, str) or len(comment) > 500:
        raise BadInput("意见最多 500 字 (comment at most 500 characters)", field="comment")
    return score, comment.strip()


def answer(conn: Connection, token: str, score: int, comment: str) -> dict:
    """Use the link once: store the answer, or refuse (used, expired, unknown) changing nothing."""
    state = invite(conn, token)["state"]
    if state != "open":
        raise Conflict(
            {
                "used": "该评价链接已使用 (the link was used)",
                "expired": "该评价链接已过期 (the link expired)",
            }[state],
            state=state,
        )
    row = (
        conn.execute(
            sql("satisfaction_answer"), {"token": token, "score": score, "comment": comment}
        )
        .mappings()
        .first()
    )
    if row is None:  # used or expired in the moment between the two statements
        raise Conflict("该评价链接已使用 (the link was used)", state="used")
    return dict(row)


def record_for_visit(
    conn: Connection, viewer: Viewer, visit_id: int, score: int, comment: str
) -> dict:
    """A resident's satisfaction given on a visit, recorded by field staff of that area."""
    viewer.require_role(*FIELD_ROLES)
    visit = (
        conn.execute(
            text("SELECT id, area_code, person_id FROM visit WHERE id = :id"), {"id": visit_id}
        )
        .mappings()
        .first()
    )
    if visit is None or not (visit["area_code"] and viewer.covers(visit["area_code"])):
        raise NotFound(f"没有编号为 {visit_id} 的走访 (no such visit)")
    row = store_for_visit(conn, visit_id, score, comment)
    if row is None:
        raise Conflict("该走访已记录满意度 (already recorded for this visit)")
    return row


def store_for_visit(conn: Connection, visit_id: int, score: int, comment: str = "") -> dict | None:
    """Store the answer of a visit being logged (None: one is stored already)."""
    row = (
        conn.execute(
            sql("satisfaction_of_visit"), {"id": visit_id, "score": score, "comment": comment}
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def parse_visit_score(raw) -> int | None:
    """The optional satisfaction of a visit being logged: 1..5, or nothing."""
    if raw in (None, ""):
        return None
    return parse_answer({"score": raw})[0]


def require_staff(viewer: Viewer) -> None:
    if viewer.is_public:
        raise Forbidden("仅限工作人员 (staff only)")
