"""The demands pages and API (see docs/demands.md)."""
from __future__ import annotations

from flask import jsonify

from .. import db
from . import bp
from .categories import categories


@bp.get("/api/demand-categories")
def demand_categories():
    with db.read() as conn:
        return jsonify({"categories": categories(conn)})
