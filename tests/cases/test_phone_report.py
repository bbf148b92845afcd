"""The public and the grid worker on phones, as whole tasks in Chromium: a hazard placed
by a tap on the map, with a photo, whose receipt names the full area path and the office
to call; the responsible grid worker sees it in /cases and accepts it. And one position
gives one grid on /report and on /field (both read the browser's position as WGS-84)."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from ..browser import PHONE, assert_accessible, screenshot, wait_for_summary
from ..phone_support import allow_tile_cancels, login, photo_file, settle_base_map

pytest_plugins = ["tests.browser"]
HERE = (121.511, 38.989)              # WGS 84, micro-grid 210204001001001001 (grid_worker's)
# East of the line between grids 210204001001001 and ...002 at 121.525 by 1.5 hundredths of
# a degree less than the GCJ-02 offset here: read as GCJ-02 it would land in the western grid.
NEAR_LINE = (121.5265, 38.988)


def at(position):
    return {**PHONE,
            "geolocation": {"longitude": position[0], "latitude": position[1], "accuracy": 10},
            "permissions": ["geolocation"]}


def report_here(page, base, description, photo=None):
    """The public's task up to the receipt: place by 使用我的位置 and a tap, describe, send."""
    allow_tile_cancels(page)
    page.goto(f"{base}/report")
    page.wait_for_selector("#report-map path.leaflet-interactive")      # the district is drawn
    page.select_option("select[name=category]", "fire_exit")
    page.fill("textarea[name=description]", description)
    settle_base_map(page)
    assert " km" in page.inner_text("#report-map .leaflet-control-scale")   # the whole district
    page.tap("#use-location")
    wait_for_summary(page, "() => document.getElementById('location-text').textContent",
                     lambda t: "WGS-84" in t)
    # The map zoomed in to street level: its scale bar now measures metres, not kilometres.
    wait_for_summary(page,
                     "() => document.querySelector('#report-map .leaflet-control-scale').innerText",
                     lambda t: t.strip().endswith(" m") and int(t.split()[0]) <= 100)
    settle_base_map(page)
    box = page.locator("#report-map").bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)   # right here
    if photo:
        page.set_input_files("input[name=photos]", photo)
    page.tap("#report-form button[type=submit]")
    page.wait_for_selector("#report-result strong")
    settle_base_map(page)
    return page.inner_text("#report-result")


@pytest.mark.browser
def test_public_reports_a_hazard_and_the_grid_worker_accepts_it(live_server, open_context, engine,
                                                                  client, as_user):
    public = open_context(at(HERE))
    receipt = report_here(public, live_server, "三单元楼道堆满杂物，堵塞消防通道",
                          photo_file(320, 240))
    assert "测试社区01001 测试网格01001 测试微网格01001" in receipt       # the full path
    assert "测试微网格01001办公室" in receipt and "0411-80001001" in receipt    # whom to call
    assert public.get_attribute("#report-result a", "href") == "tel:0411-80001001"
    case_id = int(receipt.split("案件编号")[1].split("，")[0])
    # The file box sits inside the card on a 390 px phone.
    card = public.locator("#report-form").bounding_box()
    files = public.locator("input[name=photos]").bounding_box()
    assert card["x"] <= files["x"] and files["x"] + files["width"] <= card["x"] + card["width"]
    screenshot(public, "phone-report-receipt")
    assert_accessible(public)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT c.area_code, ST_X(c.geom) AS lng, ST_Y(c.geom) AS lat, "
                                "(SELECT count(*) FROM case_photo p "
                                "WHERE p.case_id = c.id) AS photos "
                                "FROM case_file c WHERE c.id = :id"), {"id": case_id}).first()
    assert row.area_code == "210204001001001001" and row.photos == 1
    assert abs(row.lng - HERE[0]) < 2e-4 and abs(row.lat - HERE[1]) < 2e-4     # where it was tapped

    # The community registers and dispatches it (their step, by the API here).
    for action in ("register", "dispatch"):
        r = client.post(f"/api/cases/{case_id}/actions/{action}", headers=as_user("community_sup"),
                        json={})
        assert r.status_code == 200, r.get_json()

    worker = open_context(PHONE)
    allow_tile_cancels(worker)
    login(worker, live_server, "grid_worker", "/cases")
    card = worker.locator(f"[data-case-id='{case_id}']:visible")          # a card on a phone
    card.wait_for()
    assert "消防通道堵塞" in card.inner_text()
    screenshot(worker, "phone-cases-worker")
    settle_base_map(worker)
    card.locator(f"a[href='/cases/{case_id}']").first.tap()
    worker.tap("#case-actions button[data-action=accept]")
    worker.wait_for_selector("#action-form[data-action=accept]")            # 接单, with a note
    worker.fill("#action-form textarea[name=note]", "已接单，马上去现场")
    worker.tap("#action-form button[type=submit]")
    wait_for_summary(worker, "() => document.getElementById('case-state').textContent",
                     lambda t: t == "处理中")
    settle_base_map(worker)
    screenshot(worker, "phone-case-accepted")
    assert_accessible(worker)
    case = client.get(f"/api/cases/{case_id}", headers=as_user("grid_leader")).get_json()
    assert case["state"] == "in_progress"
    assert [e["action"] for e in case["events"]][-1] == "accept"


@pytest.mark.browser
def test_one_position_gives_one_grid_on_report_and_field(live_server, open_context):
    page = open_context(at(NEAR_LINE))
    receipt = report_here(page, live_server, "路灯杆倾斜")
    assert "测试网格01002 测试微网格02001" in receipt
    screenshot(page, "phone-report-near-line")
    login(page, live_server, "grid_worker", "/field")
    wait_for_summary(page, "() => document.getElementById('w-microgrid').textContent",
                     lambda t: "210204001001002001" in t)
    assert "测试微网格02001" in page.inner_text("#w-microgrid")
    assert "WGS-84" in page.inner_text("#crs-note")        # the page says which CRS it reads
    wait_for_summary(page, "() => document.getElementById('nearby-count').textContent", bool)
    page.wait_for_selector("#field-map path[stroke-dasharray]")            # the grid's outline
    screenshot(page, "phone-field-near-line")
    assert_accessible(page)
