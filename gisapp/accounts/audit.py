"""The audit log: every read of household personal data (per request) and every change."""
from __future__ import annotations

import json

from flask import has_request_context, request
from sqlalchemy import text
from sqlalchemy.engine import Connection

from .access import Viewer

_INSERT = text("""
    INSERT INTO audit_log (user_id, username, role, action, target, detail, ip, method, path)
    VALUES (:uid, :uname, :role, :action, :target, CAST(:detail AS jsonb), :ip, :method, :path)
""")


def record(conn: Connection, viewer: Viewer, action: str, target: str | None = None,
           **detail) -> None:
    """Write one audit row in the caller's transaction (so a change and its record commit together)."""
    conn.execute(_INSERT, fields(viewer, action, target, **detail))


def fields(viewer: Viewer, action: str, target: str | None = None, **detail) -> dict:
    """The values of one audit row, for a statement that writes its row itself (a case report)."""
    return {"uid": viewer.user_id, "uname": viewer.username, "role": viewer.role,
            "action": action, "target": target,
            "detail": json.dumps(detail, ensure_ascii=False, default=str), **_request_fields()}


def _request_fields() -> dict:
    if not has_request_context():
        return {"ip": "cli", "method": None, "path": None}
    return {"ip": request.remote_addr, "method": request.method, "path": request.full_path[:500]}


def query(conn: Connection, user: str | None = None, action: str | None = None,
          since: str | None = None, limit: int = 100, offset: int = 0) -> list[dict]:
    """Audit rows, newest first, filtered by username, action prefix and time."""
    rows = conn.execute(text("""
        SELECT id, at, username, role, action, target, detail, ip, method, path
        FROM audit_log
        WHERE (CAST(:user AS text) IS NULL OR username = :user)
          AND (CAST(:action AS text) IS NULL OR action LIKE :action || '%')
          AND (CAST(:since AS timestamptz) IS NULL OR at >= CAST(:since AS timestamptz))
        ORDER BY at DESC, id DESC LIMIT :limit OFFSET :offset"""),
        {"user": user, "action": action, "since": since, "limit": limit, "offset": offset})
    return [dict(r) for r in rows.mappings()]
