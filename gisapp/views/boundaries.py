"""The boundary editor: its API (read, save, split, merge, delete, history, revert) and page."""
from __future__ import annotations

import csv
import io

from flask import (Blueprint, Response, current_app, jsonify, redirect, render_template, request,
                   url_for)

from .. import db, index
from ..access import SUPERVISORS
from ..areas import parse_code, parse_int
from ..boundaries import save_children
from ..boundary_input import (parse_edit, parse_geometry, parse_line, parse_name, parse_reason,
                              parse_version, parse_versions, read_body)
from ..boundary_ops import (area_history, carve_area, editor_view, merge_areas, revert_area,
                            search_areas, split_area)
from ..boundary_city_plan import CSV_FIELDS, city_plan
from ..boundary_proposals import MAX_PARTS, grid_area, propose_grids, propose_split
from ..errors import BadInput
from ..web_auth import current_viewer
from .wall import _basemap as wall_basemap

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
    """?format=json|csv&over=3000: the communities to split, after-split count, staff needed."""
    viewer = current_viewer()
    viewer.require_role(*SUPERVISORS)
    over = parse_int(request.args.get("over"), "over", 3000, 1, 1_000_000)
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise BadInput("format 必须是 json 或 csv (format must be json or csv)", field="format")
    with db.read() as conn:
        plan = city_plan(conn, viewer, over)
    if fmt == "json":
        return jsonify(plan)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(plan["rows"])
    writer.writerow({"code": "total", "name": f"合计：社区 {plan['communities']} → {plan['after_split']}",
                     "households": plan["households"],
                     "workers": plan["workers"], "workers_needed": plan["workers_needed"],
                     "workers_shortfall": plan["workers_to_add"]})
    # A byte-order mark, so spreadsheet programs read the Chinese as UTF-8.
    return Response("\ufeff" + buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=community-split-plan.csv"})


@bp.get("/editor/plan")
def plan_page():
    """拆分规划: the city plan report for the supervisor's jurisdiction."""
    viewer = current_viewer()
    if viewer.is_public:
        return redirect(url_for("auth.login_form", next=request.path), code=303)
    if viewer.role not in SUPERVISORS:
        return render_template("editor/editor.html", allowed=False), 403
    return render_template("editor/plan.html")


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
