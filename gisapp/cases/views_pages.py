"""Case pages: the public report form, the worker's list, one case, and evaluation charts."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from .. import db
from ..accounts.web_auth import current_viewer
from ..web.pages import default_area, login_first
from .report import STATES, categories

bp = Blueprint("case_pages", __name__)
PAGE_SIZE = 50          # cases per page of the list
STATE_NAMES = {
    "reported": "已上报",
    "registered": "已立案",
    "dispatched": "已派遣",
    "in_progress": "处理中",
    "handled": "已处理",
    "verified": "已核查",
    "closed": "已结案",
    "evaluated": "已评价",
    "escalated": "会商研判",
    "cancelled": "已作废",
}


@bp.get("/report")
def report_page():
    """隐患上报: anyone may report a hazard or incident, without an account."""
    with db.read() as conn:
        cats = categories(conn, public_only=current_viewer().is_public)
    return render_template("cases/report.html", categories=cats,
                           max_photos=current_app.config["MAX_PHOTOS"])


@bp.get("/cases")
def case_list():
    if current_viewer().is_public:
        return login_first()
    return render_template("cases/list.html", states=[(s, STATE_NAMES[s]) for s in STATES],
                           page_size=PAGE_SIZE)


@bp.get("/cases/<int:case_id>")
def case_page(case_id: int):
    if current_viewer().is_public:
        return login_first()
    return render_template("cases/detail.html", case_id=case_id)


@bp.get("/cases/stats")
def case_stats_page():
    viewer = current_viewer()
    if viewer.is_public:
        return login_first()
    default = default_area(viewer)
    return render_template("cases/stats.html", default_area=default)
