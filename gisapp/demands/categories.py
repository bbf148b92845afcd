"""Demand categories (demand_category): what residents ask about."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..errors import BadInput

_ALL = text("SELECT key, name_zh, case_category FROM demand_category ORDER BY sort, key")


def categories(conn: Connection) -> list[dict]:
    """Every category, in the order the forms offer them."""
    return [dict(r) for r in conn.execute(_ALL).mappings()]


def require_category(conn: Connection, key) -> dict:
    """The category with this key, or BadInput."""
    found = {c["key"]: c for c in categories(conn)}
    if not isinstance(key, str) or key not in found:
        raise BadInput(f"unknown category {key!r}", field="category")
    return found[key]
