"""Registering and editing households, colour history, colour suggestions, and import
from CSV/Excel (dry run by default, every bad row reported, all or nothing)."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from gisapp.areas.crs import wgs84_to_gcj02
from gisapp.households.edit import suggest_colour

NW_MG = "210204001001001001"          # 121.50..121.525 E, 38.975..39.00 N
INSIDE = {"lng": 121.51, "lat": 38.98}


def _count(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def _area_counts(engine, code):
    with engine.connect() as conn:
        r = conn.execute(text("SELECT households, colour_counts FROM area WHERE code = :c"),
                         {"c": code}).first()
    return r.households, list(r.colour_counts)


@pytest.fixture(scope="module")
def building(engine):
    with engine.begin() as conn:
        return conn.execute(text("""
            INSERT INTO building (name, address, units, floors, geom, area_id)
            VALUES ('幸福里3号楼', '幸福街3号', 2, 6,
                    ST_SetSRID(ST_MakeEnvelope(121.5100, 38.9800, 121.5102, 38.9802), 4326),
                    locate_leaf(ST_SetSRID(ST_MakePoint(121.5101, 38.9801), 4326)))
            RETURNING id""")).scalar()


def test_register_household_with_colour_history_and_counts(client, as_user, engine):
    before = _area_counts(engine, NW_MG)
    gx, gy = (float(v) for v in wgs84_to_gcj02(INSIDE["lng"], INSIDE["lat"]))
    r = client.post("/api/households", headers=as_user("grid_worker"), json={
        "unit": 2, "room": "301", "head_name": "李秀英", "phone": "13912345678", "members": 1,
        "tags": ["独居老人", "低保"], "colour": "red", "reason": "独居且低保",
        "location": {"lng": gx, "lat": gy, "crs": "gcj02"}})
    assert r.status_code == 201, r.get_json()
    h = r.get_json()
    assert h["area_code"] == NW_MG and h["colour"] == "red" and h["tags"] == ["独居老人", "低保"]
    assert abs(h["lng"] - INSIDE["lng"]) < 1e-6                    # stored as WGS 84
    after = _area_counts(engine, NW_MG)
    assert after[0] == before[0] + 1 and after[1][0] == before[1][0] + 1
    assert _area_counts(engine, "210204")[0] == _count(engine, "SELECT count(*) FROM household")
    hist = client.get(f"/api/households/{h['id']}/colours",
                      headers=as_user("grid_worker")).get_json()
    assert [(c["from_colour"], c["to_colour"], c["changed_by"]) for c in hist["changes"]] == \
        [(None, "red", "grid_worker")]
    assert _count(engine, "SELECT count(*) FROM audit_log WHERE action = 'household.register' "
                  "AND target = :t", t=str(h["id"])) == 1


def test_register_by_building(client, as_user, building):
    r = client.post("/api/households", headers=as_user("grid_worker"), json={
        "building_id": building, "unit": 1, "room": "101", "colour": "蓝"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["building"] == "幸福里3号楼" and r.get_json()["colour"] == "blue"


def test_register_rules(client, as_user):
    ok = {"room": "1", "location": INSIDE}
    assert client.post("/api/households", json=ok).status_code in (401, 403)
    assert client.post("/api/households", headers=as_user("district_sup"),
                       json=ok).status_code == 403
    # Outside one's duties: refused.
    r = client.post("/api/households", headers=as_user("other_worker"), json=ok)
    assert r.status_code == 403
    for bad in ({**ok, "colour": "purple"}, {**ok, "unit": 100}, {**ok, "phone": "call me"},
                {**ok, "tags": "x" * 30}, {"room": "1"}, {**ok, "location": {"lng": 10, "lat": 10}},
                {**ok, "members": "many"}, {**ok, "building_id": 999999}):
        r = client.post("/api/households", headers=as_user("grid_worker"), json=bad)
        assert r.status_code == 400, (bad, r.get_json())
        assert r.get_json()["error"] == "bad_input"


def test_colour_change_needs_a_reason_and_is_kept(client, as_user, engine):
    hid = client.post("/api/households", headers=as_user("grid_worker"), json={
        "room": "808", "colour": "green", "location": INSIDE}).get_json()["id"]
    before = _area_counts(engine, NW_MG)[1]
    r = client.patch(f"/api/households/{hid}", headers=as_user("grid_worker"),
                     json={"colour": "orange"})
    assert r.status_code == 400 and r.get_json()["field"] == "reason"
    r = client.patch(f"/api/households/{hid}", headers=as_user("grid_worker"),
                     json={"colour": "orange", "reason": "家中新增残疾人", "suggested": "orange",
                           "tags": ["残疾"]})
    assert r.status_code == 200 and r.get_json()["colour"] == "orange"
    after = _area_counts(engine, NW_MG)[1]
    assert after[1] == before[1] + 1 and after[4] == before[4] - 1
    changes = client.get(f"/api/households/{hid}/colours",
                         headers=as_user("grid_worker")).get_json()["changes"]
    assert [(c["from_colour"], c["to_colour"], c["reason"]) for c in changes][-1] == \
        ("green", "orange", "家中新增残疾人")
    assert changes[-1]["suggested"] == "orange" and changes[-1]["changed_by"] == "grid_worker"
    # Editing other fields needs no reason; someone without the duty gets 404.
    assert client.patch(f"/api/households/{hid}", headers=as_user("grid_worker"),
                        json={"phone": "0411-1234567"}).status_code == 200
    assert client.patch(f"/api/households/{hid}", headers=as_user("other_worker"),
                        json={"phone": "0411-1234567"}).status_code == 404


def test_database_refuses_an_unrecorded_colour_change(engine):
    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE household SET colour = 5 WHERE id = (SELECT min(id) FROM household)"))


def test_suggest_colour_from_tags(client, as_user):
    assert suggest_colour(["独居老人", "低保"])["colour"] == "red"
    assert suggest_colour(["社区矫正"])["colour"] == "red"
    assert suggest_colour(["残疾"])["colour"] == "orange"
    assert suggest_colour(["长期患病"])["colour"] == "yellow"
    assert suggest_colour(["空巢老人"])["colour"] == "blue"
    assert suggest_colour(["其他"])["colour"] == "green"
    assert suggest_colour([])["colour"] is None
    r = client.post("/api/households/suggest-colour", headers=as_user("grid_worker"),
                    json={"tags": "独居老人、残疾"})
    assert r.get_json() == {"colour": "red", "reasons": ["独居老人", "残疾"], "confirm": True}


# --- import --------------------------------------------------------------------------

CSV_BAD = ("楼栋,单元,房号,户主,电话,标签,颜色,经度,纬度,坐标系\n"
           "幸福里3号楼,1,201,王建国,13800001111,独居老人,红,,,\n"          # row 2: fine
           "不存在的楼,1,202,赵六,,,,,,\n"                                    # row 3: no building
           ",,203,钱七,,,紫,121.51,38.98,\n"                                   # row 4: colour
           ",,204,孙八,,,,121.59,38.91,\n"                                     # row 5: not my duty
           ",,205,周九,,,,38.98,121.51,\n"                                     # row 6: swapped
           ",,206,吴十,abc,,,121.51,38.98,gcj02\n")                            # row 7: phone


def _import(client, headers, data: bytes, name: str, commit: bool):
    return client.post("/api/households/import", headers=headers,
                       content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), name), "commit": "1" if commit else "0"})


def test_import_reports_every_bad_row_and_imports_nothing(client, as_user, engine, building):
    total = _count(engine, "SELECT count(*) FROM household")
    for commit in (False, True):
        r = _import(client, as_user("grid_worker"), CSV_BAD.encode("utf-8-sig"), "homes.csv",
                    commit)
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        assert [e["row"] for e in body["errors"]] == [3, 4, 5, 6, 7]
        reasons = {e["row"]: e["reason"] for e in body["errors"]}
        assert "不存在的楼" in reasons[3] and "colour" in reasons[4] and "职责" in reasons[5]
        assert "swapped" in reasons[6] and "phone" in reasons[7]
        assert body["valid"] == 1 and body["committed"] is False and body["imported"] == 0
        assert _count(engine, "SELECT count(*) FROM household") == total


def test_import_csv_then_xlsx_all_or_nothing(client, as_user, engine, building):
    total = _count(engine, "SELECT count(*) FROM household")
    good = ("building,unit,room,head_name,colour,tags,lng,lat,crs\n"
            "幸福里3号楼,1,301,甲,yellow,长期患病,,,\n"
            ",,302,乙,,,121.512,38.982,wgs84\n").encode()
    dry = _import(client, as_user("grid_worker"), good, "good.csv", False).get_json()
    assert dry["valid"] == 2 and dry["errors"] == [] and dry["committed"] is False
    assert _count(engine, "SELECT count(*) FROM household") == total
    counts_before = _area_counts(engine, "210204")
    done = _import(client, as_user("grid_worker"), good, "good.csv", True).get_json()
    assert done["committed"] is True and done["imported"] == 2
    assert _count(engine, "SELECT count(*) FROM household") == total + 2
    counts_after = _area_counts(engine, "210204")        # cached counts follow, bottom to top
    assert counts_after[0] == counts_before[0] + 2 and counts_after[1][2] == counts_before[1][2] + 1
    assert _count(engine, "SELECT count(*) FROM household_colour_change WHERE reason = '导入'") >= 1

    wb = Workbook()
    ws = wb.active
    ws.append(["楼栋", "房号", "颜色", "经度", "纬度"])
    ws.append(["幸福里3号楼", "401", "绿", None, None])
    ws.append([None, "402", None, 121.513, 38.983])
    ws.append([None, "403", None, None, None])                 # row 4: no place at all
    buf = io.BytesIO()
    wb.save(buf)
    r = _import(client, as_user("grid_worker"), buf.getvalue(), "homes.xlsx", True).get_json()
    assert [e["row"] for e in r["errors"]] == [4] and r["imported"] == 0
    assert _count(engine, "SELECT count(*) FROM household") == total + 2


def test_import_bad_files(client, as_user):
    h = as_user("grid_worker")
    assert _import(client, h, b"x", "homes.pdf", False).status_code == 400
    assert _import(client, h, b"not a zip", "homes.xlsx", False).status_code == 400
    assert _import(client, h, b"planet,room\nmars,1\n", "homes.csv", False).status_code == 400
    assert _import(client, h, b"room\n1\n", "homes.csv", False).status_code == 400
    # Found by fresh-seed fuzzing: a lone carriage return, and a cell over csv's limit.
    for data in (b"\r0", b'room\n"' + b"x" * 200_000 + b'"\n'):
        resp = _import(client, h, data, "homes.csv", False)
        assert resp.status_code == 400 and resp.get_json()["error"], data[:20]
    assert client.post("/api/households/import", headers=h).status_code == 400
    assert _import(client, as_user("admin"), b"room\n1\n", "homes.csv", False).status_code == 403


def test_import_cli_dry_run_then_commit(runner, engine, tmp_path, building):
    path = tmp_path / "homes.csv"
    path.write_text("楼栋,房号,颜色\n幸福里3号楼,501,橙\n", encoding="utf-8")
    total = _count(engine, "SELECT count(*) FROM household")
    out = runner.invoke(args=["households", "import", str(path)])
    assert out.exit_code == 0 and "dry run" in out.output
    assert _count(engine, "SELECT count(*) FROM household") == total
    out = runner.invoke(args=["households", "import", str(path), "--commit"])
    assert out.exit_code == 0 and "imported 1" in out.output
    assert _count(engine, "SELECT count(*) FROM household") == total + 1
    path.write_text("楼栋,房号\n幸福里3号楼,502\n无名楼,503\n", encoding="utf-8")
    out = runner.invoke(args=["households", "import", str(path), "--commit"])
    assert out.exit_code != 0 and "row 3" in out.output
    assert _count(engine, "SELECT count(*) FROM household") == total + 1
