"""A grid worker reports what they see from /field (就地上报) with photos, as a whole task in
Chromium on a phone: category, description, two photos from the camera, sent from where
they stand; the community supervisor then opens the case at a desk and sees the photos."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from ..browser import PHONE, assert_accessible, screenshot, wait_for_summary
from ..phone_support import allow_tile_cancels, login, photo_file, settle_base_map

pytest_plugins = ["tests.browser"]
HERE = (121.511, 38.989)                     # WGS 84, in micro-grid 210204001001001001
AT_HERE = {**PHONE, "geolocation": {"longitude": HERE[0], "latitude": HERE[1], "accuracy": 15},
           "permissions": ["geolocation"]}


@pytest.mark.browser
def test_a_worker_reports_a_hazard_with_photos_and_the_supervisor_sees_them(
        live_server, open_context, engine):
    phone = open_context(AT_HERE)
    allow_tile_cancels(phone)
    login(phone, live_server, "grid_worker", "/field")
    wait_for_summary(phone, "() => document.getElementById('w-grid').textContent",
                     lambda t: "210204001001001" in t)
    settle_base_map(phone)
    form = phone.locator("#report-here")
    form.locator("select[name=category]").select_option(label="消防通道堵塞（安全隐患）")
    form.locator("textarea[name=description]").fill("五号楼北侧消防通道停了三辆电动车")
    form.locator("input[name=photos]").set_input_files(
        [photo_file(320, 240, seed=21, name="通道.png"), photo_file(200, 150, seed=22)])
    assert "已选 2 张" in form.inner_text()
    form.locator("button[type=submit]").tap()
    said = wait_for_summary(phone, "() => document.getElementById('report-result').textContent",
                            lambda t: "案件编号" in t or "失败" in t)
    case_id = int(re.search(r"案件编号 (\d+)", said).group(1))
    assert "2 张照片" in said, said
    assert "未选择照片" in form.inner_text()                        # ready for the next one
    screenshot(phone, "phone-field-report-photos")
    assert_accessible(phone, "#report-box")

    with engine.connect() as conn:
        stored = conn.execute(text("SELECT p.content_type FROM case_photo p "
                                   "WHERE p.case_id = :c"), {"c": case_id}).scalars().all()
    assert stored == ["image/jpeg", "image/jpeg"]                   # shrunk on the phone

    desk = open_context()
    allow_tile_cancels(desk)
    login(desk, live_server, "community_sup", f"/cases/{case_id}")
    desk.wait_for_selector("#case-photos img.photo")
    assert desk.locator("#case-photos img.photo").count() == 2
    assert desk.evaluate("Array.from(document.querySelectorAll('#case-photos img.photo'))"
                         ".every((i) => i.complete && i.naturalWidth > 0)")
    assert "五号楼北侧消防通道" in desk.inner_text("#case-facts")
    settle_base_map(desk)
    screenshot(desk, "desk-case-from-field-report")
    assert_accessible(desk)


@pytest.mark.browser
def test_without_a_position_the_worker_taps_the_map_to_place_the_report(
        live_server, open_context, engine):
    """Indoors the phone gets no fix (or the worker refused it): the report is placed by a
    tap on the field map instead, and lands in the grid where it was tapped."""
    phone = open_context(PHONE)                          # no geolocation permission
    allow_tile_cancels(phone)
    login(phone, live_server, "grid_worker", "/field")
    wait_for_summary(phone, "() => document.getElementById('where-status').textContent",
                     lambda t: "无法获取位置" in t)
    form = phone.locator("#report-here")
    form.locator("textarea[name=description]").fill("地下车库入口积水")
    form.locator("button[type=submit]").tap()
    said = phone.inner_text("#report-result")
    assert "地图上点选上报位置" in said, said

    phone.evaluate("() => window.scrollTo(0, 0)")
    settle_base_map(phone)
    box = phone.locator("#field-map").bounding_box()
    phone.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    placed = phone.inner_text("#report-result")
    assert "已在地图上选定上报位置" in placed, placed
    lng, lat = map(float, re.search(r"经度 ([\d.]+)，纬度 ([\d.]+)", placed).groups())
    form.locator("button[type=submit]").tap()
    said = wait_for_summary(phone, "() => document.getElementById('report-result').textContent",
                            lambda t: "案件编号" in t or "失败" in t)
    case_id = int(re.search(r"案件编号 (\d+)", said).group(1))
    screenshot(phone, "phone-field-report-tapped")
    with engine.connect() as conn:
        row = conn.execute(text("SELECT ST_X(geom) AS lng, ST_Y(geom) AS lat, area_code "
                                "FROM case_file WHERE id = :c"), {"c": case_id}).one()
    assert abs(row.lng - lng) < 1e-6 and abs(row.lat - lat) < 1e-6
    assert row.area_code.startswith("210204")
