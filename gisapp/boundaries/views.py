"""The boundary editor: its API (read, save, split, merge, delete, history, revert) and page."""
from __future__ import annotations

import math

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for

from .. import db, index
from ..accounts.access import SUPERVISORS
from ..accounts.web_auth import current_viewer
from ..areas.features import parse_code, parse_int
from ..errors import BadInput
from ..live.views_wall import _basemap as wall_basemap
from ..web.table_export import csv_response, xlsx_response
from .city_plan import EXPORT_FIELDS, city_plan, clear_override, export_rows, set_override
from .input_checks import (
    parse_edit,
    parse_geometry,
    parse_line,
    parse_name,
    parse_reason,
    parse_version,
    parse_versions,
    read_body,
)
from .ops import (
    area_history,
    carve_area,
    editor_view,
    merge_areas,
    revert_area,
    search_areas,
    split_area,
)
from .plan_rule import PARAMETERS as PLAN_PARAMETERS
from .plan_rule import Thresholds
from .proposals import MAX_PARTS, grid_area, propose_grids, propose_split
from .save import save_children

bp = Blueprint("boundaries", __name__)


def _body() -> dict:
    """The JSON body of an edit, read only once the sender is known to be a supervisor."""
    current_viewer().require_role(*SUPERVISORS)
    body = read_body(request, current_app.config["MAX_CONTENT_LENGTH"])
    if not isinstance(body, dict):
        raise BadInput("请求体必须是 JSON 对象 (body must be a JSON object)")
    return body


def _optional_version(body: dict, key: str) -> int | None:
    return None if body.get(key) is None else parse_version(body[key], key)


def _saved(operation, *args, dry_run: bool = False, **kwargs):
    """Run one edit in one transaction; once committed, make lookups see it at once.

    A dry run does all the same work, validation included, then rolls it back: the
    editor previews a split or a merge this way before the user saves.
    """
    with db.engine().connect() as conn:
        with conn.begin() as tx:
            summary = operation(conn, current_viewer(), *args, **kwargs)
            if dry_run:
                tx.rollback()
    if not dry_run:
        # Not forced: the save moved the cache generations, so this rebuilds what changed
        # (and reloads the staff only if duties moved).
        index().refresh()
    return jsonify({**summary, "dry_run": dry_run})


def _dry_run(body: dict) -> bool:
    value = body.get("dry_run", False)
    if not isinstance(value, bool):
        raise BadInput("dry_run 必须是 true 或 false (dry_run must be a boolean)", field="dry_run")
    return value


@bp.get("/api/boundaries/search")
def boundary_search():
    viewer = current_viewer()
    viewer.require_login()
    q = (request.args.get("q") or "").strip()[:40]
    with db.read() as conn:
        return jsonify({"areas": search_areas(conn, viewer, q)})


@bp.get("/api/boundaries/<code>")
def boundary_read(code: str):
    viewer = current_viewer()
    viewer.require_login()
    with db.read() as conn:
        return jsonify(editor_view(conn, viewer, parse_code(code)))


@bp.put("/api/boundaries/<code>")
def boundary_save(code: str):
    body = _body()
    return _saved(save_children, parse_code(code), parse_edit(body), dry_run=_dry_run(body))


@bp.post("/api/areas/<code>/split")
def area_split(code: str):
    body = _body()
    return _saved(split_area, parse_code(code), parse_line(body.get("line")),
                  parse_version(body.get("version")), name=parse_name(body.get("name"), "body"),
                  reason=parse_reason(body.get("reason"), default=f"拆分 {code}"),
                  dry_run=_dry_run(body))


@bp.post("/api/areas/<code>/carve")
def area_carve(code: str):
    """Draw a new child of `code`: it takes the drawn polygon from the children there."""
    body = _body()
    name = parse_name(body.get("name"), "body")
    if name is None:
        raise BadInput("新区域必须有名称 (a new area needs a name)", field="name")
    return _saved(carve_area, parse_code(code), parse_geometry(body.get("polygon"), "polygon"),
                  name, parse_versions(body.get("versions"), "versions"),
                  reason=parse_reason(body.get("reason"), default=f"在 {code} 内新建 {name}"),
                  dry_run=_dry_run(body))


@bp.post("/api/areas/<code>/merge")
def area_merge(code: str):
    body = _body()
    other = parse_code(body.get("with"), "with")
    return _saved(merge_areas, parse_code(code), other, _optional_version(body, "version"),
                  _optional_version(body, "with_version"),
                  reason=parse_reason(body.get("reason"), default=f"合并 {other} 到 {code}"),
                  dry_run=_dry_run(body))


@bp.post("/api/areas/<code>/delete")
def area_delete(code: str):
    """Delete an area by handing its territory to a neighbour (a merge seen from the other side)."""
    body = _body()
    heir = parse_code(body.get("to"), "to")
    return _saved(merge_areas, heir, parse_code(code), _optional_version(body, "to_version"),
                  _optional_version(body, "version"),
                  reason=parse_reason(body.get("reason"), default=f"撤销 {code}，并入 {heir}"),
                  dry_run=_dry_run(body))


@bp.post("/api/areas/<code>/revert")
def area_revert(code: str):
    body = _body()
    version = parse_version(body.get("version"))
    return _saved(revert_area, parse_code(code), version,
                  reason=parse_reason(body.get("reason"), default=f"恢复 {code} 第 {version} 版"),
                  dry_run=_dry_run(body))


@bp.get("/api/areas/<code>/split-proposal")
def area_split_proposal(code: str):
    """?parts=k: a proposed split into k parts of nearly equal households (nothing saved)."""
    viewer = current_viewer()
    viewer.require_role(*SUPERVISORS)
    parts = parse_int(request.args.get("parts"), "parts", 0, 0, MAX_PARTS) or None
    with db.read() as conn:
        return jsonify(propose_split(conn, viewer, parse_code(code), parts))


@bp.get("/api/areas/<code>/grid-proposal")
def area_grid_proposal(code: str):
    """Proposed grids of ~250 households, each in micro-grids of ~75 (nothing saved)."""
    viewer = current_viewer()
    viewer.require_role(*SUPERVISORS)
    with db.read() as conn:
        return jsonify(propose_grids(conn, viewer, parse_code(code)))


@bp.post("/api/areas/<code>/grid")
def area_grid(code: str):
    """Save the proposed grids and micro-grids of an area that has no children yet."""
    body = _body()
    return _saved(grid_area, parse_code(code),
                  reason=parse_reason(body.get("reason"), default=f"按户数为 {code} 划分网格"),
                  dry_run=_dry_run(body))


@bp.get("/api/boundaries/plan")
def boundary_plan():
    """The review of communities over the threshold: ?format=json|csv|xlsx, and thresholds
    over, managed, density, compact, spread, standalone (defaults GISAPP_PLAN_*)."""
    viewer = current_viewer()
    viewer.require_role(*SUPERVISORS)
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv", "xlsx"):
        raise BadInput("format 必须是 json、csv 或 xlsx (format must be json, csv or xlsx)", field="format")
    thresholds = plan_thresholds(request.args)
    with db.read() as conn:
        plan = city_plan(conn, viewer, thresholds, current_app.config["PLAN_FIRST_YEAR_SHARE"],
                         geometry=fmt == "json" and request.args.get("map") == "1")
    if fmt == "json":
        return jsonify(plan)
    rows = export_rows(plan)
    if fmt == "csv":
        return csv_response(rows, EXPORT_FIELDS, "community-split-review")
    return xlsx_response(rows, EXPORT_FIELDS, "community-split-review", "社区拆分评估")


def plan_thresholds(args) -> Thresholds:
    """The configured thresholds, with those given as query parameters replaced."""
    values = {}
    for param, (name, lo, hi) in PLAN_PARAMETERS.items():
        if args.get(param) in (None, ""):
            continue
        if isinstance(lo, int):
            values[name] = parse_int(args[param], param, 0, lo, hi)
            continue
        try:
            value = float(args[param])
        except ValueError:
            value = math.nan
        if not lo <= value <= hi:
            raise BadInput(f"{param} 必须是 {lo} 到 {hi} 之间的数 ({param} must be a number "
                           f"between {lo} and {hi})", field=param)
        values[name] = value
    return Thresholds.from_config(current_app.config).with_values(values)


@bp.post("/api/boundaries/plan/<code>/override")
def boundary_plan_override(code: str):
    """{"decision": "split"|"keep"|null, "reason": ...}: a supervisor replaces the rule's
    decision for one community (null: back to the rule). Audited."""
    body = _body()
    code = parse_code(code)
    reason = parse_reason(body.get("reason"))
    with db.engine().begin() as conn:
        if body.get("decision") is None:
            return jsonify(clear_override(conn, current_viewer(), code, reason))
        return jsonify(set_override(conn, current_viewer(), code, body["decision"], reason))


@bp.get("/editor/plan")
def plan_page():
    """拆分规划: the review of communities over the threshold, on a map and in a table."""
    viewer = current_viewer()
    if viewer.is_public:
        return redirect(url_for("auth.login_form", next=request.path), code=303)
    if viewer.role not in SUPERVISORS:
        return render_template("editor/editor.html", allowed=False), 403
    return render_template("editor/plan.html", basemap=wall_basemap(current_app.config),
                           thresholds=Thresholds.from_config(current_app.config))


@bp.get("/api/areas/<code>/history")
def area_history_view(code: str):
    current_viewer().require_login()
    with db.read() as conn:
        return jsonify(area_history(conn, parse_code(code)))


@bp.app_context_processor
def editor_link() -> dict:
    """Lets the shared top bar offer 边界编辑 to those who may use it."""
    return {"may_use_editor": lambda viewer: viewer.role in SUPERVISORS}


@bp.get("/editor")
def editor_page():
    """边界编辑: supervisors draw and correct the boundaries inside their jurisdiction."""
    viewer = current_viewer()
    if viewer.is_public:
        return redirect(url_for("auth.login_form", next=request.full_path.rstrip("?")), code=303)
    if viewer.role not in SUPERVISORS:
        return render_template("editor/editor.html", allowed=False), 403
    # Citywide viewers start from the search box (the page opens the first district).
    start = request.args.get("area") or (viewer.prefixes[0] if viewer.prefixes else "")
    # The same base map as the map wall (an offline MBTiles file or GISAPP_BASEMAP_URL).
    return render_template("editor/editor.html", allowed=True, start=start,
                           basemap=wall_basemap(current_app.config))
