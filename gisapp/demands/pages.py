"""The demands pages: the staff list and one demand, the public form and the status page."""
from __future__ import annotations

from flask import render_template, request

from .. import db
from ..accounts.web_auth import current_viewer
from ..web.pages import default_area, login_first
from . import bp
from .categories import categories
from .lists import STATE_NAMES


@bp.get("/demands")
def demand_list_page():
    """民意诉求清单: filters by area, period, state and category; counts per area; CSV."""
    viewer = current_viewer()
    if viewer.is_public:
        return login_first()
    with db.read() as conn:
        cats = categories(conn)
    default = default_area(viewer)
    return render_template("demands/list.html", categories=cats, states=STATE_NAMES.items(),
                           default_area=default)


@bp.get("/demands/<int:demand_id>")
def demand_page(demand_id: int):
    if current_viewer().is_public:
        return login_first()
    with db.read() as conn:
        cats = categories(conn)
    return render_template("demands/detail.html", demand_id=demand_id, categories=cats)


@bp.get("/report/demand")
def raise_page():
    """反映诉求: anyone may raise a demand without an account (staff: recorded as staff)."""
    with db.read() as conn:
        cats = categories(conn)
    return render_template("demands/raise.html", categories=cats)


@bp.get("/demands/status")
def status_page():
    """诉求进度查询: the state of a demand by its receipt code, for whoever holds it."""
    return render_template("demands/status.html", receipt=request.args.get("receipt", "")[:20])
