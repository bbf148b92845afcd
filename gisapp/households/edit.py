"""Registering and editing households; colour changes kept with who, when and why.

Only people with a duty toward households, inside their jurisdiction, may register or
edit one (access.Viewer.may_see_household). The database refuses a colour change that
does not name its actor and reason (trigger in sql/110_households_visits.sql); this
module sets both for the transaction with set_config(..., true).
"""
from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..accounts import audit
from ..accounts.access import Viewer
from ..areas.crs import parse_crs, to_wgs84
from ..areas.locate import check_range, parse_coordinate
from ..errors import BadInput, Forbidden
from .records import COLOUR_KEYS, COLOURS, get_household

PHONE_RE = re.compile(r"^[0-9+\- ]{5,20}$")
COLOUR_ZH = {"红": "red", "橙": "orange", "黄": "yellow", "蓝": "blue", "绿": "green"}
MAX_TAGS = 20
FIELDS = ("building_id", "unit", "room", "head_name", "phone", "members", "tags", "colour")

# The suggestion rule, most vulnerable first; the first class whose tags match wins.
# Red: the groups DOMAIN.md names as highest risk, or an elderly person alone with a
# second hardship; orange: vulnerable families; yellow: poverty from illness; blue:
# families needing care; green: any other tagged household.
SUGGEST_RULES = (
    ("red", {"失独", "社区矫正", "戒毒康复"}),
    ("orange", {"困境儿童", "残疾", "低保"}),
    ("yellow", {"大病", "长期患病", "因病致贫"}),
    ("blue", {"独居老人", "空巢老人", "留守老人"}),
)
RED_COMBINATION = ("独居老人", {"残疾", "低保", "大病"})


def suggest_colour(tags: list[str]) -> dict:
    """A colour suggested by the tags, with the reasons; a person must confirm it."""
    tags = [t for t in tags if t]
    alone, hardship = RED_COMBINATION
    if alone in tags and hardship.intersection(tags):
        return {"colour": "red", "reasons": [alone, *sorted(hardship.intersection(tags))],
                "confirm": True}
    for colour, group in SUGGEST_RULES:
        hit = sorted(group.intersection(tags))
        if hit:
            return {"colour": colour, "reasons": hit, "confirm": True}
    if tags:
        return {"colour": "green", "reasons": list(tags), "confirm": True}
    return {"colour": None, "reasons": [], "confirm": True}


def parse_colour(raw) -> int | None:
    """A colour as red..green, 红..绿 or 1..5; None for no colour (empty)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, int) and not isinstance(raw, bool) and raw in COLOURS:
        return raw
    if isinstance(raw, str):
        key = COLOUR_ZH.get(raw.strip().rstrip("色"), raw.strip().lower())
        if key in COLOUR_KEYS:
            return COLOUR_KEYS[key]
        if key.isdigit() and int(key) in COLOURS:
            return int(key)
    raise BadInput("colour must be red, orange, yellow, blue or green (红橙黄蓝绿)", field="colour")


def parse_tags(raw) -> list[str]:
    """Tags from a list or a string separated by ; , 、 or ，."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        raw = re.split(r"[;,、，；|]", raw)
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        raise BadInput("tags must be a list of strings", field="tags")
    tags = list(dict.fromkeys(t.strip() for t in raw if t.strip()))
    if len(tags) > MAX_TAGS or any(len(t) > 20 for t in tags):
        raise BadInput(f"at most {MAX_TAGS} tags of at most 20 characters", field="tags")
    return tags


def _small_int(raw, name: str, lo: int, hi: int) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        value = int(str(raw).strip()) if not isinstance(raw, bool) else None
    except ValueError:
        value = None
    if value is None or not lo <= value <= hi:
        raise BadInput(f"{name} must be a whole number from {lo} to {hi}", field=name)
    return value


def _short_text(raw, name: str, limit: int) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, (str, int)) or isinstance(raw, bool):
        raise BadInput(f"{name} must be text", field=name)
    value = str(raw).strip()
    if len(value) > limit:
        raise BadInput(f"{name} is at most {limit} characters", field=name)
    return value or None


def clean_fields(body: dict, partial: bool) -> dict:
    """Validated household fields from a JSON body (only those present when partial)."""
    out: dict = {}
    parsers = {
        "building_id": lambda v: _small_int(v, "building_id", 1, 10**15),
        "unit": lambda v: _small_int(v, "unit", 1, 99),
        "room": lambda v: _short_text(v, "room", 20),
        "head_name": lambda v: _short_text(v, "head_name", 50),
        "phone": _phone,
        "members": lambda v: _small_int(v, "members", 1, 50),
        "tags": parse_tags,
        "colour": parse_colour,
    }
    for name, parse in parsers.items():
        if name in body or not partial:
            out[name] = parse(body.get(name))
    if "location" in body or any(k in body for k in ("lng", "lat")):
        out["location"] = parse_location(body.get("location", body))
    return out


def _phone(raw) -> str | None:
    value = _short_text(raw, "phone", 20)
    if value is not None and not PHONE_RE.match(value):
        raise BadInput("phone must be 5-20 digits, spaces, + or -", field="phone")
    return value


def parse_location(loc) -> tuple[float, float]:
    """A position {lng, lat, crs} as WGS 84."""
    if not isinstance(loc, dict):
        raise BadInput("location must be {lng, lat, crs}", field="location")
    lng, lat = parse_coordinate(loc.get("lng"), "lng"), parse_coordinate(loc.get("lat"), "lat")
    check_range(lng, lat)
    crs = loc.get("crs")
    if crs is not None and not isinstance(crs, str):
        raise BadInput("crs must be a string", field="crs")
    wlng, wlat = to_wgs84(lng, lat, parse_crs(crs))
    return float(wlng), float(wlat)


def parse_reason(raw) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 500:
        raise BadInput("reason must be text of at most 500 characters", field="reason")
    return raw.strip()


# --- writing -------------------------------------------------------------------------

_LEAF = text("""SELECT a.id, a.code FROM area a
                WHERE a.id = locate_leaf(ST_SetSRID(ST_MakePoint(:lng, :lat), 4326))""")
_BUILDING = text("""SELECT b.id, b.name, ST_X(ST_PointOnSurface(b.geom)) AS lng,
                           ST_Y(ST_PointOnSurface(b.geom)) AS lat
                    FROM building b WHERE b.id = :id""")


def _place(conn: Connection, viewer: Viewer, fields: dict) -> tuple[float, float, int, str]:
    """Where a household is (its own point, else its building's), and its leaf area."""
    b = None
    if fields.get("building_id"):
        b = conn.execute(_BUILDING, {"id": fields["building_id"]}).first()
        if b is None:
            raise BadInput(f"no building with id {fields['building_id']}", field="building_id")
    if fields.get("location"):
        lng, lat = fields["location"]
    elif b is not None:
        lng, lat = b.lng, b.lat
    else:
        raise BadInput("a household needs a location {lng, lat, crs} or a building_id",
                       field="location")
    leaf = conn.execute(_LEAF, {"lng": lng, "lat": lat}).first()
    if leaf is None:
        raise BadInput("the location lies outside every area", field="location")
    if not viewer.may_see_household(leaf.code):
        raise Forbidden("该位置不在您的职责范围内 (the location is outside your duties)")
    return lng, lat, leaf.id, leaf.code


def set_actor(conn: Connection, viewer: Viewer, reason: str | None,
              suggested: int | None = None) -> None:
    """Name who changes colours in this transaction, and why (the trigger requires it)."""
    conn.execute(text("""SELECT set_config('gisapp.actor', :a, true),
                                set_config('gisapp.user_id', :u, true),
                                set_config('gisapp.colour_reason', :r, true),
                                set_config('gisapp.colour_suggested', :s, true)"""),
                 {"a": viewer.username or "cli", "u": str(viewer.user_id or ""),
                  "r": reason or "", "s": str(suggested or "")})


_INSERT = text("""
    INSERT INTO household (building_id, unit, room, head_name, phone, members, colour, tags,
                           geom, area_id)
    VALUES (:building_id, :unit, :room, :head_name, :phone, :members, :colour,
            CAST(:tags AS text[]), ST_SetSRID(ST_MakePoint(:lng, :lat), 4326), :area_id)
    RETURNING id
""")
_FIRST_COLOUR = text("""
    INSERT INTO household_colour_change (household_id, from_colour, to_colour, changed_by,
                                         user_id, reason, suggested)
    VALUES (:id, NULL, :colour, :by, :uid, :reason, :suggested)
""")


def insert_household(conn: Connection, viewer: Viewer, fields: dict, lng: float, lat: float,
                     area_id: int, reason: str, counts: bool = True) -> int:
    """Insert one placed household, its first colour record and (unless the caller
    adjusts them in bulk, counts=False) the cached counts."""
    hid = conn.execute(_INSERT, {**{k: fields.get(k) for k in FIELDS}, "tags": fields.get("tags") or [],
                                 "lng": lng, "lat": lat, "area_id": area_id}).scalar()
    if fields.get("colour"):
        conn.execute(_FIRST_COLOUR, {"id": hid, "colour": fields["colour"],
                                     "by": viewer.username or "cli", "uid": viewer.user_id,
                                     "reason": reason, "suggested": fields.get("suggested")})
    if counts:
        adjust_counts(conn, {(area_id, fields.get("colour")): 1})
    return hid


def adjust_counts(conn: Connection, deltas: dict) -> None:
    """Apply {(leaf area id, colour or None): change} to the cached area counts."""
    for (area_id, colour), delta in sorted(deltas.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        if delta:
            conn.execute(text("SELECT adjust_area_counts(:a, CAST(:c AS smallint), :d)"),
                         {"a": area_id, "c": colour, "d": delta})


def register_household(conn: Connection, viewer: Viewer, fields: dict, reason: str | None) -> dict:
    """Register a household inside the viewer's duties; returns it as read back."""
    viewer.require_login()
    lng, lat, area_id, code = _place(conn, viewer, fields)
    hid = insert_household(conn, viewer, fields, lng, lat, area_id, reason or "登记")
    audit.record(conn, viewer, "household.register", str(hid), area=code,
                 colour=COLOURS.get(fields.get("colour")))
    return get_household(conn, viewer, hid)


_OLD = text("SELECT colour, area_id FROM household WHERE id = :id FOR UPDATE")


def update_household(conn: Connection, viewer: Viewer, household_id: int, fields: dict,
                     reason: str | None, suggested: int | None = None) -> dict:
    """Edit a household within the viewer's duties; a colour change needs a reason."""
    viewer.require_login()
    get_household(conn, viewer, household_id)                 # NotFound outside the duties
    old = conn.execute(_OLD, {"id": household_id}).first()
    sets = {k: fields[k] for k in FIELDS if k in fields}
    if "location" in fields or "building_id" in fields:
        lng, lat, area_id, _ = _place(conn, viewer, fields)
        sets.update(lng=lng, lat=lat, area_id=area_id)
    colour_changed = "colour" in sets and sets["colour"] != old.colour
    if colour_changed and not reason:
        raise BadInput("改变颜色等级须说明原因 (a colour change needs a reason)", field="reason")
    if not sets:
        raise BadInput("nothing to change")
    set_actor(conn, viewer, reason, suggested)
    conn.execute(text(_update_sql(sets)), {**sets, "id": household_id})
    new = conn.execute(text("SELECT colour, area_id FROM household WHERE id = :id"),
                       {"id": household_id}).first()
    if (new.colour, new.area_id) != (old.colour, old.area_id):
        conn.execute(text("SELECT adjust_area_counts(:a, CAST(:c AS smallint), -1), "
                          "adjust_area_counts(:na, CAST(:nc AS smallint), 1)"),
                     {"a": old.area_id, "c": old.colour, "na": new.area_id, "nc": new.colour})
    audit.record(conn, viewer, "household.update", str(household_id),
                 fields=sorted(k for k in sets if k not in ("lng", "lat")),
                 colour=[COLOURS.get(old.colour), COLOURS.get(new.colour)] if colour_changed else None,
                 reason=reason)
    return get_household(conn, viewer, household_id)


def _update_sql(sets: dict) -> str:
    # Column names come from FIELDS (a whitelist), never from the request.
    cols = [f"{k} = :{k}" for k in FIELDS if k in sets and k != "tags"]
    if "tags" in sets:
        cols.append("tags = CAST(:tags AS text[])")
    if "lng" in sets:
        cols += ["geom = ST_SetSRID(ST_MakePoint(:lng, :lat), 4326)", "area_id = :area_id"]
    return f"UPDATE household SET {', '.join(cols)}, updated_at = now() WHERE id = :id"


def colour_history(conn: Connection, viewer: Viewer, household_id: int) -> list[dict]:
    """Every colour change of a household the viewer may see, oldest first."""
    get_household(conn, viewer, household_id)
    rows = conn.execute(text("""
        SELECT from_colour, to_colour, changed_at, changed_by, reason, suggested
        FROM household_colour_change WHERE household_id = :id ORDER BY changed_at, id"""),
        {"id": household_id}).mappings().all()
    return [{**r, "from_colour": COLOURS.get(r["from_colour"]), "to_colour": COLOURS.get(r["to_colour"]),
             "suggested": COLOURS.get(r["suggested"])} for r in rows]
