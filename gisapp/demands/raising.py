"""Raising a demand: check what was sent, locate it, group it with similar ones, store it.

A demand is raised on a visit (placed at the household), from the public page (no
account; the receipt code is how the resident follows it) or by staff. Where it lies
is decided as for case reports: `locate_leaf` in SQL, as the boundaries stand now.
"""
from __future__ import annotations

import re
import secrets

from flask import current_app
from sqlalchemy.engine import Connection

from ..accounts.access import Viewer
from ..areas.crs import parse_crs, to_wgs84
from ..areas.locate import check_range, parse_coordinate
from ..errors import BadInput, Conflict, NotFound
from ..queries import loader
from .categories import require_category

sql = loader(__package__)
SOURCES = ("visit", "public", "staff")
MAX_BODY = 2000
MAX_NAME = 50
MAX_CONTACT = 100
CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
# Receipt codes: ten characters without look-alikes (0/O, 1/I), 32^10 possibilities.
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
RECEIPT = re.compile(r"^[A-Z0-9]{10}$")


def new_receipt() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(10))


def parse_receipt(raw) -> str:
    """A receipt code as typed by a resident (case and spaces forgiven), or BadInput."""
    code = re.sub(r"[\s-]", "", raw).upper() if isinstance(raw, str) else ""
    if not RECEIPT.match(code):
        raise BadInput("受理编号为 10 位字母或数字 (a receipt is 10 letters or digits)",
                       field="receipt")
    return code


def _text(f: dict, key: str, limit: int, required: bool) -> str | None:
    value = f.get(key)
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        need = "is required, " if required else "is "
        raise BadInput(f"{key} {need}text of at most {limit} characters", field=key)
    return value.strip()


def parse_location(f: dict) -> tuple[float, float]:
    """The demand's place as WGS 84 (lng, lat); `crs` may name GCJ-02 or BD-09."""
    loc = f.get("location") if isinstance(f.get("location"), dict) else f
    if loc.get("lng") in (None, "") and loc.get("lat") in (None, ""):
        raise BadInput("location is required: lng and lat", field="location")
    lng, lat = parse_coordinate(loc.get("lng"), "lng"), parse_coordinate(loc.get("lat"), "lat")
    check_range(lng, lat)
    crs = loc.get("crs")
    if crs is not None and not isinstance(crs, str):
        raise BadInput("crs must be a string", field="crs")
    wlng, wlat = to_wgs84(lng, lat, parse_crs(crs))
    return float(wlng), float(wlat)


def parse_demand(f: dict, located: bool = True) -> dict:
    """A demand from a JSON object or form; `located=False` when the place comes from elsewhere."""
    if not isinstance(f, dict):
        raise BadInput("body must be a JSON object")
    if not isinstance(f.get("category"), str) or not f["category"]:
        raise BadInput("category is required (see /api/demand-categories)", field="category")
    client_id = f.get("client_id") or None
    if client_id is not None and not (isinstance(client_id, str) and CLIENT_ID.match(client_id)):
        raise BadInput("client_id must be 8-64 letters, digits or _.:-", field="client_id")
    demand = {"category": f["category"], "body": _text(f, "body", MAX_BODY, True),
              "reporter_name": _text(f, "reporter_name", MAX_NAME, False),
              "reporter_contact": _text(f, "reporter_contact", MAX_CONTACT, False),
              "client_id": client_id}
    if located:
        demand["lng"], demand["lat"] = parse_location(f)
    return demand


def raise_demand(conn: Connection, viewer: Viewer, demand: dict, source: str,
                 visit_id: int | None = None) -> tuple[int, bool]:
    """Store a parsed demand in the caller's transaction; (demand id, created?)."""
    if source not in SOURCES:
        raise ValueError(source)
    require_category(conn, demand["category"])
    if demand.get("client_id"):
        existing = _stored(conn, viewer, demand["client_id"])
        if existing:
            return existing, False
    cfg = current_app.config
    new_id = conn.execute(sql("demand_raise"), {
        **{k: demand.get(k) for k in ("client_id", "category", "body", "lng", "lat",
                                      "reporter_name", "reporter_contact")},
        "receipt": new_receipt(), "source": source, "visit_id": visit_id,
        "user_id": viewer.user_id, "group_days": cfg["DEMAND_GROUP_DAYS"],
        "similarity": cfg["DEMAND_SIMILARITY"],
        "deadline_days": cfg["DEMAND_DEADLINE_DAYS"]}).scalar()
    if new_id is None:                     # a concurrent retry won the race on client_id
        return _stored(conn, viewer, demand["client_id"]), False
    return new_id, True


def _stored(conn: Connection, viewer: Viewer, client_id: str) -> int | None:
    """The demand already stored under this client id by the same person (or the public)."""
    row = conn.execute(sql("demand_by_client_id"), {"c": client_id}).first()
    if row is None:
        return None
    if row.raised_by_user_id != viewer.user_id:
        raise Conflict("该记录编号已被使用 (client_id already used by someone else)",
                       field="client_id")
    return row.id


def load_demand(conn: Connection, demand_id: int, for_update: bool = False) -> dict:
    """One demand with its names (NotFound if there is none)."""
    if for_update:
        conn.execute(sql("demand_lock"), {"id": demand_id})
    row = conn.execute(sql("demand_one"), {"id": demand_id}).mappings().first()
    if row is None:
        raise NotFound(f"没有编号为 {demand_id} 的诉求 (no such demand)")
    return dict(row)


def parse_visit_demand(raw, note: str) -> dict | None:
    """A demand sent with a visit ({category, body}; the body defaults to the visit's note).
    Its place is the household's, so it carries none of its own."""
    if raw in (None, "", False):
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("category"), str):
        raise BadInput('demand must be {"category": ..., "body": ...}', field="demand")
    body = raw.get("body") or note
    if not isinstance(body, str) or not body.strip() or len(body) > MAX_BODY:
        raise BadInput(f"demand.body is required, text of at most {MAX_BODY} characters",
                       field="demand")
    return {"category": raw["category"], "body": body.strip(), "reporter_name": None,
            "reporter_contact": None, "client_id": None}


def raise_on_visit(conn: Connection, viewer: Viewer, visit_id: int, household: dict,
                   demand: dict) -> int:
    """Store the demand a visit recorded, placed at the household, linked to the visit."""
    try:
        require_category(conn, demand["category"])
    except BadInput as exc:
        raise BadInput(exc.message, field="demand") from None
    demand_id, _ = raise_demand(conn, viewer, {**demand, "lng": household["lng"],
                                               "lat": household["lat"]}, "visit", visit_id)
    return demand_id


def receipts_of_visit(conn: Connection, visit_id: int) -> list[str]:
    """The receipt codes of the demands a visit recorded."""
    return list(conn.execute(sql("demand_receipts_of_visit"), {"id": visit_id}).scalars())
