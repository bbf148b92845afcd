"""Listing cases with filters (JSON, GeoJSON, CSV) within the viewer's rights."""
from __future__ import annotations

import csv
import io
from datetime import datetime

from flask import Response, jsonify
from sqlalchemy.engine import Connection

from ..accounts.access import Viewer
from ..areas.features import parse_code, parse_int
from ..errors import BadInput
from ..ogc.crs import bbox_param
from ..queries import loader
from .flow import clock_flags
from .report import KINDS, STATES, mask_for, visibility_params
from .workhours import WorkCalendar

sql = loader(__package__)

FORMATS = ("json", "geojson", "csv")
CSV_FIELDS = ("id", "kind", "category", "category_zh", "state", "reported_at", "area_code",
              "area_name", "area_path", "address", "assignee", "department", "deadline_at", "overdue", "lng", "lat",
              "description")


def _time(raw: str | None, field: str) -> str | None:
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw).isoformat()
    except ValueError:
        raise BadInput(f"{field} must be an ISO 8601 date or time", field=field) from None


def _sort(raw: str | None) -> str:
    if raw in (None, ""):
        return "reported"
    if raw not in SORTS:
        raise BadInput(f"sort must be one of {', '.join(SORTS)}", field="sort")
    return raw


def parse_filters(args, viewer: Viewer) -> dict:
    """Validated filters from query parameters."""
    states = [s for s in (args.get("state") or "").split(",") if s]
    if any(s not in STATES for s in states):
        raise BadInput(f"state must be among {', '.join(STATES)}", field="state")
    kind = args.get("kind") or None
    if kind is not None and kind not in KINDS:
        raise BadInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
    category = args.get("category") or None
    if category is not None and not (category.isascii() and category.replace("_", "").isalpha()):
        raise BadInput("category must be a category key", field="category")
    fmt = args.get("format", "json")
    if fmt not in FORMATS:
        raise BadInput(f"format must be one of {', '.join(FORMATS)}", field="format")
    mine = args.get("mine") in ("1", "true")
    return {
        "area": parse_code(args["area"], "area") if args.get("area") else None,
        "states": states or None, "kind": kind, "category": category,
        "since": _time(args.get("from"), "from"), "until": _time(args.get("to"), "to"),
        "bbox": bbox_param(args), "mine": mine, "format": fmt,
        "unassigned": args.get("unassigned") in ("1", "true"),
        "sort": _sort(args.get("sort")), **_search(args.get("q")),
        "limit": parse_int(args.get("limit"), "limit", 100, 1, 5000),
        "offset": parse_int(args.get("offset"), "offset", 0, 0, 10**9),
    }


SORTS = ("reported", "deadline")
MAX_QUERY = 100


def _search(raw: str | None) -> dict:
    """The search text as bound values: a number (or #number) is a case id; other text is
    matched as a LIKE pattern against description, category, area and address."""
    q = (raw or "").strip()
    if not q:
        return {"q": None, "q_like": None, "q_id": None}
    if len(q) > MAX_QUERY:
        raise BadInput(f"q is at most {MAX_QUERY} characters", field="q")
    digits = q.removeprefix("#")
    if digits.isascii() and digits.isdigit():
        return {"q": q, "q_like": None, "q_id": int(digits) if len(digits) <= 15 else 0}
    like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return {"q": q, "q_like": like, "q_id": None}


def list_cases(conn: Connection, viewer: Viewer, f: dict, cal: WorkCalendar) -> dict:
    """A page of the cases the viewer may see that match the filters, with clock flags."""
    minx, miny, maxx, maxy = f["bbox"] or (None, None, None, None)
    rows = conn.execute(sql("case_list"), {
        **visibility_params(viewer), "area": f["area"], "states": f["states"], "kind": f["kind"],
        "category": f["category"], "since": f["since"], "until": f["until"],
        "minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy, "mine": f["mine"],
        "me": viewer.user_id, "my_person": viewer.person_id, "unassigned": f["unassigned"],
        # Callers other than the list (exports) may leave out search and sort.
        "q": f.get("q"), "q_like": f.get("q_like"), "q_id": f.get("q_id"),
        "sort": f.get("sort", "reported"),
        "limit": f["limit"], "offset": f["offset"]}).mappings().all()
    cases = []
    for r in rows:
        case = {**r, "limit_hours": float(r["limit_hours"]), "duplicate_of": list(r["duplicate_of"])}
        case.update(clock_flags(case, cal))
        case.pop("total")
        cases.append(mask_for(viewer, case))
    total = rows[0]["total"] if rows else 0
    return {"numberMatched": total, "numberReturned": len(cases), "cases": cases,
            "limit": f["limit"], "offset": f["offset"]}


def render_cases(page: dict, f: dict):
    if f["format"] == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        w.writerows(page["cases"])
        return Response("\ufeff" + buf.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=cases.csv"})
    if f["format"] == "geojson":
        return jsonify({"type": "FeatureCollection", "numberMatched": page["numberMatched"],
                        "numberReturned": page["numberReturned"], "features": [
                            {"type": "Feature", "id": c["id"],
                             "geometry": {"type": "Point", "coordinates": [c["lng"], c["lat"]]},
                             "properties": {k: v for k, v in c.items() if k not in ("lng", "lat")}}
                            for c in page["cases"]]})
    return jsonify(page)
