"""Reading demands: the staff list and counts (within the viewer's jurisdiction), one
demand with its history, and the public's view through a receipt code."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy.engine import Connection

from ..accounts.access import Viewer
from ..areas.features import parse_code, parse_int
from ..cases.receipt import receipt_area
from ..cases.workhours import CHINA
from ..errors import BadInput, NotFound
from .flow import ACTION_NAMES, allowed_actions, may_see
from .raising import load_demand, sql

STATES = ("open", "case", "topic", "answered", "declined")
STATE_NAMES = {"open": "办理中", "case": "已转案件", "topic": "已转议事协商",
               "answered": "已答复", "declined": "不予受理"}
SOURCE_NAMES = {"visit": "走访", "public": "群众", "staff": "工作人员"}
SORTS = ("created", "deadline")
CSV_HEADERS = {"id": "编号", "receipt": "受理编号", "category_zh": "类别", "body": "诉求内容",
               "source_zh": "来源", "area_code": "区域编码", "area_path": "所在区域",
               "group_id": "同类诉求组", "state_zh": "状态", "created_at": "登记时间",
               "deadline_at": "办理期限", "closed_at": "办结时间", "overdue": "超期",
               "case_id": "案件编号", "topic_id": "议题编号", "lng": "经度", "lat": "纬度"}
PRIVATE = ("reporter_name", "reporter_contact", "raised_by_user_id", "raised_by")


def _day(raw: str | None, field: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadInput(f"{field} must be a date YYYY-MM-DD", field=field) from None


def parse_filters(args) -> dict:
    """Validated list filters: area, period (from..to, days in China), state, category."""
    states = [s for s in (args.get("state") or "").split(",") if s]
    if any(s not in STATES for s in states):
        raise BadInput(f"state must be among {', '.join(STATES)}", field="state")
    category = args.get("category") or None
    if category is not None and not (category.isascii() and category.replace("_", "").isalpha()):
        raise BadInput("category must be a category key", field="category")
    first, last = _day(args.get("from"), "from"), _day(args.get("to"), "to")
    if first and last and last < first:
        raise BadInput("to must not be before from", field="to")
    sort = args.get("sort") or "created"
    if sort not in SORTS:
        raise BadInput(f"sort must be one of {', '.join(SORTS)}", field="sort")
    return {"area": parse_code(args["area"], "area") if args.get("area") else None,
            "states": states or None, "category": category,
            "since": datetime.combine(first, time(), CHINA) if first else None,
            "until": datetime.combine(last + timedelta(days=1), time(), CHINA) if last else None,
            "grp": parse_int(args.get("group"), "group", None, 1, 2**62),
            "overdue": args.get("overdue") in ("1", "true"), "sort": sort,
            "limit": parse_int(args.get("limit"), "limit", 50, 1, 5000),
            "offset": parse_int(args.get("offset"), "offset", 0, 0, 10**7)}


def visibility(viewer: Viewer) -> dict:
    """Bound values the list and count queries test visibility with (the public: nothing)."""
    return {"vis_all": viewer.citywide and not viewer.is_public,
            "vis_patterns": [] if viewer.citywide else viewer.like_patterns(),
            "vis_user": viewer.user_id}


def mask(viewer: Viewer, demand: dict) -> dict:
    """Names and contacts only for staff with a duty toward the area (never a wall screen)."""
    shown = {**demand, "state_zh": STATE_NAMES[demand["state"]],
             "source_zh": SOURCE_NAMES.get(demand.get("source"), "")}
    own = demand.get("raised_by_user_id") == viewer.user_id and viewer.user_id is not None
    if viewer.role == "wall_viewer" or not (own or viewer.citywide or (
            demand.get("area_code") and viewer.covers(demand["area_code"]))):
        shown.update(dict.fromkeys(k for k in PRIVATE if k in shown))
    return shown


def list_demands(conn: Connection, viewer: Viewer, f: dict) -> tuple[int, list[dict]]:
    """(total, one page) of the demands the viewer may see, matching the filters."""
    viewer.require_login()
    rows = conn.execute(sql("demand_list"), {**f, **visibility(viewer)}).mappings().all()
    total = rows[0]["total"] if rows else 0
    return total, [mask(viewer, {k: v for k, v in r.items() if k != "total"}) for r in rows]


def count_demands(conn: Connection, viewer: Viewer, f: dict) -> list[dict]:
    """Counts per child area of f['area'] (districts for the whole city), per state."""
    viewer.require_login()
    params = {k: f[k] for k in ("area", "category", "since", "until")}
    return [dict(r) for r in conn.execute(sql("demand_counts"), {**params, **visibility(viewer)})
            .mappings()]


def get_demand(conn: Connection, viewer: Viewer, demand_id: int) -> dict:
    """One demand with its history and the actions open to the viewer (404 if not visible)."""
    viewer.require_login()
    demand = load_demand(conn, demand_id)
    if not may_see(viewer, demand):
        raise NotFound(f"没有编号为 {demand_id} 的诉求 (no such demand)")
    events = [{**dict(e), "action_zh": ACTION_NAMES.get(e["action"], e["action"])}
              for e in conn.execute(sql("demand_events"), {"id": demand_id}).mappings()]
    return {**mask(viewer, demand), "events": events,
            "actions": allowed_actions(viewer, demand)}


def public_status(conn: Connection, receipt: str) -> dict:
    """What anyone holding the receipt may know: category, state, deadline, the answer."""
    row = conn.execute(sql("demand_public"), {"receipt": receipt}).mappings().first()
    if row is None:
        raise NotFound("没有这个受理编号的诉求，请核对后重试 (no demand with this receipt)",
                       field="receipt")
    found = dict(row)
    place = receipt_area(conn, found.pop("area_code"))
    return {**found, **place, "state_zh": STATE_NAMES[found["state"]]}
