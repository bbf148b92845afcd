"""A grid worker finds something urgent on a visit and reports it in one tap (同时上报案件),
with a photo, as a whole task in Chromium on a phone; whoever handles the case then sees
that photo on the case page, as they would for any other report with a photo."""
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


@pytest.fixture(scope="module")
def home(engine):
    """A yellow household next to the worker."""
    with engine.begin() as conn:
        return conn.execute(text("""
            INSERT INTO household (unit, room, head_name, phone, colour, tags, geom, area_id)
            VALUES (3, '201', '周建国', '13833334444', 3, ARRAY['独居老人'],
                    ST_SetSRID(ST_MakePoint(121.5113, 38.9892), 4326),
                    locate_leaf(ST_SetSRID(ST_MakePoint(121.5113, 38.9892), 4326)))
            RETURNING id""")).scalar()


@pytest.mark.browser
def test_the_photo_of_a_visit_goes_with_the_case_it_opens(live_server, open_context, home):
    phone = open_context(AT_HERE)
    allow_tile_cancels(phone)
    login(phone, live_server, "grid_worker", "/field")
    item = phone.locator(f"#due-list li[data-household-id='{home}']")
    item.wait_for()
    settle_base_map(phone)
    item.locator("button.primary").tap()
    phone.select_option("#visit-form select[name=outcome]", label="情况紧急，需立即处置")
    phone.fill("#visit-form textarea[name=note]", "厨房燃气软管老化，有异味")
    phone.set_input_files("#visit-form input[name=photo]", photo_file(320, 240, seed=31))
    phone.tap("#visit-form input[name=open_case]")
    phone.select_option("#visit-form select[name=case_category]", label="燃气隐患（安全隐患）")
    assert "走访照片将同时附在案件上" in phone.inner_text("#case-offer")
    screenshot(phone, "phone-visit-opens-case")
    assert_accessible(phone, "#visit-box")
    phone.tap("#visit-submit")
    said = wait_for_summary(phone, "() => document.getElementById('net-status').textContent",
                            lambda t: "走访已记录" in t)
    case_id = int(re.search(r"已上报案件 (\d+)", said).group(1))

    desk = open_context()
    allow_tile_cancels(desk)
    login(desk, live_server, "community_sup", f"/cases/{case_id}")
    desk.wait_for_selector("#case-photos img.photo")
    assert desk.evaluate("Array.from(document.querySelectorAll('#case-photos img.photo'))"
                         ".map((i) => i.complete && i.naturalWidth)") == [320]
    assert "燃气软管老化" in desk.inner_text("#case-facts")
    settle_base_map(desk)
    screenshot(desk, "desk-case-from-visit-photo")
    assert_accessible(desk)
