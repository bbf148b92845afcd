"""The field page (/field) for a phone, the supervision page, and nearby facilities."""
from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    jsonify,
    render_template,
    request,
    send_from_directory,
)

from .. import db
from ..accounts import auth
from ..accounts.web_auth import SESSION_COOKIE, current_viewer
from ..areas.basemap import raster_basemap
from ..errors import BadInput
from ..facilities.registry import facilities_near
from ..web.pages import default_area, login_first
from ..web.params import optional_position, parse_int
from .visit_stats import STATS_ROLES, opening_group

bp = Blueprint("field", __name__)
NEARBY_METRES = 1000
PAGE_GROUPS = (
    ("district", "按区"),
    ("street", "按街道"),
    ("community", "按社区"),
    ("grid", "按网格"),
    ("worker", "按走访责任人"),
    ("total", "合计"),
)

@bp.get("/field")
def field_page():
    """外勤: where am I, today's visits, log a visit, report a case (for a phone)."""
    if current_viewer().is_public:
        return login_first()
    return render_template("field/index.html", basemap=raster_basemap(current_app.config),
                           session_expires=_session_expires(),
                           max_photos=current_app.config["MAX_PHOTOS"])


def _session_expires() -> str | None:
    """When this login ends: the page forgets its cached due list then at the latest."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None                          # a bearer token: nothing is cached for it
    with db.read() as conn:
        found = auth.session_user(conn, cookie)
    return found[2].isoformat() if found else None


@bp.get("/field-sw.js")
def field_service_worker():
    """The field page's service worker, served from the root so it may control /field."""
    resp = send_from_directory(current_app.static_folder, "js/field-sw.js",
                               mimetype="text/javascript", max_age=0)
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.app_context_processor
def supervision_link() -> dict:
    """Lets the shared top bar offer 走访考核 only to those it opens for."""
    return {"may_supervise_visits": lambda viewer: viewer.role in STATS_ROLES}


@bp.get("/visits/supervision")
def supervision_page():
    """走访考核: completion charts, overdue map and recent visits, for supervisors."""
    viewer = current_viewer()
    if viewer.is_public:
        return login_first()
    if viewer.role not in STATS_ROLES:        # as /api/visits/stats answers 403
        return render_template("visits/forbidden.html"), 403
    default = default_area(viewer)
    return render_template("visits/supervision.html", default_area=default,
                           default_group=opening_group(viewer), groups=PAGE_GROUPS,
                           basemap=raster_basemap(current_app.config),
                           may_see_homes=viewer.may_see_personal_data())


@bp.get("/api/field/nearby")
def nearby_facilities():
    """Service facilities within walking reach (1 km straight line) of a point."""
    lng, lat, _ = optional_position(request.args)
    if lng is None:
        raise BadInput("lng and lat are required", field="lng")
    limit = parse_int(request.args.get("limit"), "limit", 10, 1, 50)
    staff = not current_viewer().is_public
    with db.read() as conn:
        rows = facilities_near(conn, lng, lat, NEARBY_METRES, staff, limit)
    return jsonify({"within_m": NEARBY_METRES, "facilities": rows})
